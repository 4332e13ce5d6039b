import { join } from 'node:path';
import { run, which } from '../../infra/dev/stack/exec';
import { testStack } from '../support/stack';

// The shipped SLO rules: valid for promtool, behaving as their unit tests say, and loaded by the
// stack's Prometheus (which reads infra/prometheus/rules/*.yml).
const RULES = join(__dirname, '..', '..', 'infra', 'prometheus');

describe('Prometheus SLO rules', () => {
  let promtool: string;
  beforeAll(async () => {
    promtool = (await which('promtool')) ?? 'promtool';
  });

  it('pass promtool check rules', async () => {
    expect(await run(promtool, ['check', 'rules', join(RULES, 'rules', 'autoglm-slos.yml')])).toMatch(/SUCCESS: 12 rules found/);
  });

  it("pass promtool's rule unit tests (error rate, burn rate, P95 latency, GPU memory alerts)", async () => {
    expect(await run(promtool, ['test', 'rules', 'autoglm-slos.test.yml'], { cwd: join(RULES, 'tests') })).toMatch(/SUCCESS/);
  });

  it("are loaded by the stack's Prometheus", async () => {
    const body = (await (await fetch(`${testStack().prometheus.url}/api/v1/rules`)).json()) as { data: { groups: { name: string; rules: { name: string }[] }[] } };
    const alerts = body.data.groups.find((g) => g.name === 'autoglm-alerts')?.rules.map((r) => r.name);
    expect(alerts).toEqual(['ModelServiceP95LatencyHigh', 'ModelServiceErrorRateHigh', 'ModelServiceGpuMemoryHigh', 'ModelServiceErrorBudgetBurnFast', 'ModelServiceErrorBudgetBurnSlow']);
  });
});
