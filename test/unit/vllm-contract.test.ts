import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { renderDeployment } from '../../core/manifests';
import { ServiceSpec } from '../../core/service-spec';
import { parseSpecText } from '../../core/spec-file';
import { VLLM, VLLM_FLAGS } from '../../core/server/vllm-contract';
import { parseScenarioText, releaseSpec } from '../../demo/scenario/format';
import { simulatedServer, vllmServeArgs } from '../../infra/dev/model-world/launch';

// The serving contract of vLLM (core/server/vllm/, derived from its wheel: the integration test
// vllm-wheel.test.ts holds it to the wheel) against what the pipeline renders and what the
// simulated server exposes and accepts.
const EXAMPLES = join(__dirname, '..', '..', 'examples');
const run = promisify(execFile);

type Container = { command: string[]; args: string[] };
const containerOf = (spec: ServiceSpec) =>
  (renderDeployment(spec, 1) as unknown as { spec: { template: { spec: { containers: Container[] } } } }).spec.template.spec.containers[0]!;

/** Every spec the project ships: the service examples and each release of each scenario. */
function shippedSpecs(): [string, ServiceSpec][] {
  const services = readdirSync(join(EXAMPLES, 'services')).map((f): [string, ServiceSpec] => [
    `services/${f}`,
    parseSpecText(readFileSync(join(EXAMPLES, 'services', f), 'utf8'), f),
  ]);
  const scenarios = readdirSync(join(EXAMPLES, 'scenarios')).flatMap((f) => {
    const scenario = parseScenarioText(readFileSync(join(EXAMPLES, 'scenarios', f), 'utf8'), f);
    return scenario.steps.flatMap((step, i): [string, ServiceSpec][] =>
      'release' in step
        ? [
            [
              `scenarios/${f} step ${i}`,
              ServiceSpec.parse(
                releaseSpec(
                  scenario,
                  step.release,
                  `r.example/x@sha256:${'0'.repeat(64)}`,
                  '-----BEGIN PUBLIC KEY-----\nk\n-----END PUBLIC KEY-----',
                ),
              ),
            ],
          ]
        : [],
    );
  });
  return [...services, ...scenarios];
}

describe('the vLLM contract', () => {
  it(`is vLLM ${VLLM.version}'s: hundreds of flags, its engine and HTTP metrics, its quantization methods`, () => {
    expect(VLLM.version).toBe('0.33.0');
    expect(VLLM.flags.length).toBeGreaterThan(250);
    expect(VLLM.metrics.map((m) => m.name)).toContain('vllm:request_success_total');
    expect(VLLM.httpMetrics.map((m) => m.name)).toContain('http_requests_total');
    expect(VLLM.quantizationMethods).toContain('fp8');
    expect(VLLM.quantizationMethods).not.toContain('int8');
  });

  const specs = shippedSpecs();
  it.each(specs)('accepts the command line rendered for %s', (_, spec) => {
    const c = containerOf(spec);
    expect(c.command).toEqual(['vllm', 'serve']);
    const parsed = VLLM_FLAGS.parse(c.args);
    expect(parsed.positionals).toHaveLength(1);
    expect(parsed.options.get('--served-model-name')).toEqual([spec.model.name]);
  });
});

describe('the simulated server against the contract', () => {
  it('exposes exactly vLLM’s names, types and labels for every metric it implements', async () => {
    const server = simulatedServer(...vllmServeArgs('m'), {});
    const port = await server.listen();
    await (
      await fetch(`http://127.0.0.1:${port}/v1/completions`, {
        method: 'POST',
        body: JSON.stringify({ prompt: 'hello there', max_tokens: 3 }),
      })
    ).text();
    const text = await server.metrics.text();
    await server.close();
    const exposed = new Map<string, { type: string; labels: Set<string> }>();
    for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) exposed.set(m[1]!, { type: m[2]!, labels: new Set() });
    for (const m of text.matchAll(/^([^#\s{]+)\{([^}]*)\}/gm)) {
      const family = [...exposed.keys()].find((n) => m[1] === n || m[1]!.startsWith(`${n}_`));
      for (const l of m[2]!.matchAll(/(\w+)="/g)) if (l[1] !== 'le' && family) exposed.get(family)!.labels.add(l[1]!);
    }
    const contract = new Map([...VLLM.metrics, ...VLLM.httpMetrics].map((m) => [m.name, m]));
    const implemented = [...exposed.keys()].filter((n) => n.startsWith('vllm:') || n.startsWith('http_'));
    expect(implemented.length).toBeGreaterThanOrEqual(14);
    for (const name of implemented) {
      const want = contract.get(name);
      expect({ name, known: want !== undefined }).toEqual({ name, known: true });
      expect({ name, type: exposed.get(name)!.type, labels: [...exposed.get(name)!.labels].sort() }).toEqual({
        name,
        type: want!.type,
        labels: want!.labels,
      });
    }
    // Nothing else: GPU memory comes from the node's dcgm-exporter, not from the model server.
    expect([...exposed.keys()].filter((n) => !implemented.includes(n))).toEqual([]);
  });

  it.each([
    ['a flag vLLM does not know', ['--turbo'], 2, /vllm serve: error: unrecognized arguments: --turbo/],
    ['a value argparse refuses', ['--tensor-parallel-size', 'two'], 2, /argument --tensor-parallel-size\/-tp: invalid int value: 'two'/],
    ['a quantization vLLM does not have', ['--quantization', 'int8'], 1, /Unknown quantization method: int8/],
  ])(
    'exits as vLLM would on %s',
    async (_, flags, code, message) => {
      const serveOne = join(__dirname, '..', '..', 'infra', 'dev', 'model-world', 'serve-one.ts');
      const tsx = join(__dirname, '..', '..', 'node_modules', '.bin', 'tsx');
      const failure = (await run(tsx, [serveOne, 'vllm', 'serve', 'm', '--port', '0', ...flags]).then(
        () => undefined,
        (e: { code: number; stderr: string }) => e,
      ))!;
      expect(failure).toBeDefined();
      expect(failure.code).toBe(code);
      expect(failure.stderr).toMatch(message);
    },
    30_000,
  );
});
