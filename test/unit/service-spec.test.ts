import { SpecFileError, parseSpecText } from '../../core/spec-file';
import { renderDeployment, revisionOf } from '../../core/manifests';

const yaml = (over = '') => `
service: autoglm
namespace: models
version: v2.1.0
image: registry.example/autoglm/server@sha256:${'b'.repeat(64)}
model: { name: open-autoglm-7b, loadBudget: 10m }
gpu: { pool: a100, perReplica: 4 }
replicas: 4
rollout:
  steps:
    - { weight: 10, bake: 5m }
    - { weight: 50, gate: manual }
${over}`;

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
    change                                                                           | message
    ${'image: server:latest'}                                                        | ${/image: must be registry-host\/repository/}
    ${'replicas: 0'}                                                                 | ${/replicas: Too small/i}
    ${'service: AutoGLM'}                                                            | ${/service: lower-case letters/}
    ${'rollout: { steps: [] }'}                                                      | ${/rollout.steps: at least one canary step/}
    ${'rollout: { steps: [{ bake: 1m }] }'}                                          | ${/rollout.steps.0: a step needs a weight or a replica count/}
    ${'rollout: { steps: [{ weight: 10, bake: 1m, gate: manual }] }'}                | ${/a bake time or a manual gate, not both/}
    ${'rollout: { steps: [{ weight: 50 }, { weight: 20 }] }'}                        | ${/rollout.steps.1.weight: weights must not go down/}
    ${'rollout: { steps: [{ replicas: 9 }] }'}                                       | ${/rollout.steps.0.replicas: more canary replicas \(9\) than the service has \(4\)/}
    ${'model: { name: m, loadBudget: forever }'}                                     | ${/model.loadBudget: "forever" is not a duration/}
    ${'rollout: { steps: [{ weight: 10 }], traffic: { kind: istio } }'}              | ${/rollout.traffic/}
    ${'supplyChain: { keyless: [{ issuer: https://i.test }] }'}                      | ${/supplyChain.keyless.0: give exactly one of subject and subjectRegExp/}
    ${'supplyChain: { keyless: [{ issuer: https://i.test, subjectRegExp: "a(" }] }'} | ${/supplyChain.keyless.0.subjectRegExp: not a valid regular expression/}
    ${'supplyChain: { provenance: { repository: https://github.com/o/r } }'}         | ${/supplyChain.provenance: provenance needs cosignKeys or keyless identities/}
    ${'supplyChain: { enforcement: { staging: lax } }'}                              | ${/supplyChain.enforcement.staging/}
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
  });
});

describe('serving options', () => {
  const spec = (model = '{ name: open-autoglm-7b, loadBudget: 10m }') =>
    parseSpecText(yaml().replace('model: { name: open-autoglm-7b, loadBudget: 10m }', `model: ${model}`), 'autoglm.yaml');
  const env = (s: ReturnType<typeof spec>) =>
    (renderDeployment(s, 1) as unknown as { spec: { template: { spec: { containers: { env: { name: string; value: string }[] }[] } } } })
      .spec.template.spec.containers[0]!.env;

  it('passes quantization and the response cache to the model server as infra/k8s does', () => {
    const s = spec('{ name: open-autoglm-7b, loadBudget: 10m, quantization: int8, responseCache: true }');
    expect(env(s).slice(0, 3)).toEqual([
      { name: 'MODEL_NAME', value: 'open-autoglm-7b' },
      { name: 'QUANTIZATION', value: 'int8' },
      { name: 'RESPONSE_CACHE', value: 'true' },
    ]);
    expect(env(spec()).map((e) => e.name)).toEqual(['MODEL_NAME']);
  });

  it('makes a new revision when they change, and leaves the revision of specs without them as it was', () => {
    const plain = revisionOf(spec());
    expect(plain).toBe('4296c740'); // as before the options existed: releases in flight keep their revision
    expect(revisionOf(spec('{ name: open-autoglm-7b, loadBudget: 10m, quantization: int8 }'))).not.toBe(plain);
    expect(revisionOf(spec('{ name: open-autoglm-7b, loadBudget: 10m, responseCache: false }'))).not.toBe(plain);
  });

  it('refuses an unknown quantization', () => {
    expect(() => spec('{ name: m, quantization: int3 }')).toThrow(/model\.quantization/);
  });
});
