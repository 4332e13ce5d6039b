import { SpecFileError, parseSpecText } from '../../core/spec-file';
import { specYaml } from '../support/spec-yaml';

const yaml = specYaml;

describe('service spec files', () => {
  it('reads YAML with defaults from the seeds', () => {
    const spec = parseSpecText(yaml(), 'autoglm.yaml');
    expect(spec.slos).toEqual({ p95LatencyMs: 2000, errorRate: 0.05, gpuMemoryUtilization: 0.9 });
    expect(spec.model.loadBudget).toBe(600_000);
    expect(spec.rollout.steps[0]).toEqual({ weight: 10, bake: 300_000 });
    expect(spec.rollout.traffic).toEqual({ kind: 'replica-ratio' });
    expect(spec.gpu).toMatchObject({ poolLabel: 'pool', resource: 'nvidia.com/gpu' });
  });

  it('takes an image by tag (the pipeline pins it) and cosign keys', () => {
    const spec = parseSpecText(
      yaml().replace(/image: .*/, 'image: registry.example/autoglm/server:v2') +
        'supplyChain: { cosignKeys: ["-----BEGIN PUBLIC KEY-----\\nx\\n-----END PUBLIC KEY-----"] }\n',
      'x',
    );
    expect(spec.image).toBe('registry.example/autoglm/server:v2');
    expect(spec.supplyChain.cosignKeys).toHaveLength(1);
  });

  it('takes keyless identities and enforcement per environment (unlisted environments enforce)', async () => {
    const { enforcementFor, signaturesRequired } = await import('../../core/service-spec');
    const text =
      yaml() +
      'supplyChain: { keyless: [{ issuer: "https://token.actions.githubusercontent.com", subjectRegExp: \'https://github\\.com/o/r/.*\' }], enforcement: { staging: warn } }\n';
    const production = parseSpecText(text, 'x');
    expect(production.environment).toBe('production');
    expect(signaturesRequired(production)).toBe(true);
    expect(enforcementFor(production)).toBe('enforce');
    expect(enforcementFor(parseSpecText(`${text}environment: staging\n`, 'x'))).toBe('warn');
    expect(signaturesRequired(parseSpecText(yaml(), 'x'))).toBe(false);
  });

  it('reads JSON too', () => {
    const spec = parseSpecText(JSON.stringify({ ...parseSpecText(yaml(), 'x'), rollout: { steps: [{ replicas: 1 }] } }), 'autoglm.json');
    expect(spec.rollout.steps).toEqual([{ replicas: 1 }]);
  });

  it.each`
    change                                                                                  | message
    ${'image: server:latest'}                                                               | ${/image: must be registry-host\/repository/}
    ${'replicas: 0'}                                                                        | ${/replicas: Too small/i}
    ${'service: AutoGLM'}                                                                   | ${/service: lower-case letters/}
    ${'rollout: { steps: [] }'}                                                             | ${/rollout.steps: at least one canary step/}
    ${'rollout: { steps: [{ bake: 1m }] }'}                                                 | ${/rollout.steps.0: a step needs a weight or a replica count/}
    ${'rollout: { steps: [{ weight: 10, bake: 1m, gate: manual }] }'}                       | ${/a bake time or a manual gate, not both/}
    ${'rollout: { steps: [{ weight: 50 }, { weight: 20 }] }'}                               | ${/rollout.steps.1.weight: weights must not go down/}
    ${'rollout: { steps: [{ replicas: 9 }] }'}                                              | ${/rollout.steps.0.replicas: more canary replicas \(9\) than the service has \(4\)/}
    ${'model: { name: m, loadBudget: forever }'}                                            | ${/model.loadBudget: "forever" is not a duration/}
    ${'rollout: { steps: [{ weight: 10 }], traffic: { kind: istio } }'}                     | ${/rollout.traffic/}
    ${'supplyChain: { keyless: [{ issuer: https://i.test }] }'}                             | ${/supplyChain.keyless.0: give exactly one of subject and subjectRegExp/}
    ${'supplyChain: { keyless: [{ issuer: https://i.test, subjectRegExp: "a(" }] }'}        | ${/supplyChain.keyless.0.subjectRegExp: not a valid regular expression/}
    ${'supplyChain: { provenance: { repository: https://github.com/o/r } }'}                | ${/supplyChain.provenance: provenance needs cosignKeys or keyless identities/}
    ${'supplyChain: { enforcement: { staging: lax } }'}                                     | ${/supplyChain.enforcement.staging/}
    ${'replicaz: 3'}                                                                        | ${/^bad.yaml: invalid service spec: replicaz: unknown field$/}
    ${'gpu: { pool: a100, perReplicas: 4, perReplica: 4 }'}                                 | ${/gpu.perReplicas: unknown field/}
    ${'rollout: { steps: [{ weigth: 10 }] }'}                                               | ${/rollout.steps.0.weigth: unknown field/}
    ${'rollout: { steps: [{ weight: 10 }], traffic: { kind: replica-ratio, wieghts: 1 } }'} | ${/rollout.traffic.wieghts: unknown field/}
    ${'slos: { p95latencyMs: 500 }'}                                                        | ${/slos.p95latencyMs: unknown field/}
    ${'analysis: { interval: 5s, bogus: 1 }'}                                               | ${/analysis.bogus: unknown field/}
    ${'server: { engine: vllm, tensorParalelSize: 2 }'}                                     | ${/server.tensorParalelSize: unknown field/}
    ${'container: { port: 8000, argz: [] }'}                                                | ${/container.argz: unknown field/}
  `('refuses $change', ({ change, message }) => {
    const key = (change as string).split(':')[0]!;
    const text =
      yaml()
        .split('\n')
        .filter((l) => !l.startsWith(`${key}:`) && !(key === 'rollout' && /^\s+(steps:|- )/.test(l)))
        .join('\n') + `\n${change}\n`;
    expect(() => parseSpecText(text, 'bad.yaml')).toThrow(SpecFileError);
    expect(() => parseSpecText(text, 'bad.yaml')).toThrow(message);
  });

  it('says where a file is not YAML', () => {
    expect(() => parseSpecText('service: [unclosed', 'broken.yaml')).toThrow(/^broken.yaml:1:\d+: not valid YAML/);
    // Found by the property test: an alias to nothing threw a ReferenceError; runaway aliases too.
    expect(() => parseSpecText('*!', 'alias.yaml')).toThrow(SpecFileError);
    const laughs = [
      'a: &a [x, x, x, x, x, x, x, x, x]',
      ...'bcdefgh'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefgh'[i]}`).join(', ')}]`),
    ];
    expect(() => parseSpecText(laughs.join('\n'), 'laughs.yaml')).toThrow(/^laughs.yaml: not valid YAML\/JSON: /);
  });
});
