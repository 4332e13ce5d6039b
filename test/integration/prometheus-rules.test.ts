import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../infra/dev/stack/exec';
import { bin } from '../../infra/dev/stack/paths';
import { testStack } from '../support/stack';

// The shipped SLO rules: valid for promtool, behaving as their unit tests say, and loaded by the
// stack's Prometheus (which reads infra/prometheus/rules/*.yml).
const RULES = join(__dirname, '..', '..', 'infra', 'prometheus');

describe('Prometheus SLO rules', () => {
  let promtool: string;
  beforeAll(async () => {
    promtool = bin('promtool'); // built with the stack's Prometheus
  });

  it('pass promtool check rules', async () => {
    expect(await run(promtool, ['check', 'rules', join(RULES, 'rules', 'autoglm-slos.yml')])).toMatch(/SUCCESS: 12 rules found/);
  });

  it('pass promtool check rules: continuous protection', async () => {
    expect(await run(promtool, ['check', 'rules', join(RULES, 'rules', 'autoglm-protection.yml')])).toMatch(/SUCCESS: 3 rules found/);
  });

  it.each(['autoglm-slos.test.yml', 'autoglm-protection.test.yml'])("pass promtool's rule unit tests: %s", async (file) => {
    expect(await run(promtool, ['test', 'rules', file], { cwd: join(RULES, 'tests') })).toMatch(/SUCCESS/);
  });

  it("are loaded by the stack's Prometheus", async () => {
    const body = (await (await fetch(`${testStack().prometheus.url}/api/v1/rules`)).json()) as {
      data: { groups: { name: string; rules: { name: string }[] }[] };
    };
    const alerts = body.data.groups.find((g) => g.name === 'autoglm-alerts')?.rules.map((r) => r.name);
    expect(alerts).toEqual([
      'ModelServiceP95LatencyHigh',
      'ModelServiceErrorRateHigh',
      'ModelServiceGpuMemoryHigh',
      'ModelServiceErrorBudgetBurnFast',
      'ModelServiceErrorBudgetBurnSlow',
    ]);
    const protection = body.data.groups.find((g) => g.name === 'autoglm-protection')?.rules.map((r) => r.name);
    expect(protection).toEqual(['autoglm:protect_unprotected_seconds', 'ModelServiceBackupRpoHigh', 'ModelServiceProtectionStalled']);
  });

  it("back a Grafana dashboard whose every query Prometheus accepts, with the seeds' panels and the pipeline's metrics", async () => {
    const dashboard = JSON.parse(readFileSync(join(__dirname, '..', '..', 'infra', 'grafana', 'autoglm-dashboard.json'), 'utf8')) as {
      panels: { title: string; targets?: { expr: string }[] }[];
    };
    const titles = dashboard.panels.map((p) => p.title);
    for (const seed of [
      'Latency percentiles (E2E)',
      'Error rate',
      'GPU memory used',
      'Queue length (requests waiting)',
      'Releases by outcome',
      'Rollbacks by reason',
      'Analysis decisions',
    ])
      expect(titles).toContain(seed);
    const exprs = dashboard.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr);
    const metricNames = readFileSync(join(__dirname, '..', '..', 'workflows', 'metrics.ts'), 'utf8')
      .match(/'autoglm_[a-z_]+'/g)!
      .map((m) => m.slice(1, -1));
    for (const name of metricNames) expect({ name, used: exprs.some((e) => e.includes(name)) }).toEqual({ name, used: true });
    for (const expr of exprs) {
      // Grafana's variables as it would fill them in.
      const query = expr
        .replace(/\$namespace/g, 'models')
        .replace(/\$service/g, 'autoglm')
        .replace(/\$__rate_interval|\$__range/g, '5m');
      const res = await fetch(`${testStack().prometheus.url}/api/v1/query?query=${encodeURIComponent(query)}`);
      expect({ expr, status: ((await res.json()) as { status: string }).status }).toEqual({ expr, status: 'success' });
    }
  });
});
