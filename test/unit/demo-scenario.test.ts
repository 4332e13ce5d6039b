import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ServiceSpec } from '../../core/service-spec';
import { behaviourFromEnv, performanceAt } from '../../infra/dev/model-world/behaviour';
import { behaviourEnv, mergeSpec, parseScenarioText, releaseSpec, ScenarioFileError } from '../../demo/scenario/format';
import { asReleaseFailure } from '../../core/release/types';
import { mismatches, releaseFailureOutcome } from '../../demo/scenario/outcome';

const EXAMPLES = join(__dirname, '../../examples/scenarios');
const IMAGE = `127.0.0.1:5000/autoglm/scenario-server@sha256:${'a'.repeat(64)}`;
const KEY = '-----BEGIN PUBLIC KEY-----\nk\n-----END PUBLIC KEY-----\n';

const minimal = (over: Record<string, unknown> = {}) =>
  JSON.stringify({
    name: 't',
    images: { v1: {} },
    service: {
      service: 'svc',
      namespace: 'ns',
      model: { name: 'm' },
      gpu: { pool: 'l4', perReplica: 1 },
      replicas: 1,
      rollout: { steps: [{ weight: 50 }] },
    },
    steps: [{ release: { version: 'v1', image: 'v1', expect: { outcome: 'promoted' } } }],
    ...over,
  });

describe('scenario files', () => {
  it.each(readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml')))(
    'shipped example %s parses, and every release spec is valid',
    (file) => {
      const scenario = parseScenarioText(readFileSync(join(EXAMPLES, file), 'utf8'), file);
      expect(scenario.steps.length).toBeGreaterThan(0);
      for (const step of scenario.steps)
        if ('release' in step) expect(ServiceSpec.safeParse(releaseSpec(scenario, step.release, IMAGE, KEY)).success).toBe(true);
    },
  );

  it('a canary behaviour becomes the simulator variables the model server reads back', () => {
    const env = behaviourEnv({
      modelLoad: '3s',
      ttftMs: 80,
      tokensPerSecond: 40,
      errorRate: 0.1,
      answerSalt: 'x',
      fault: { after: '5s', ttftMs: 2500, errorRate: 0.5 },
    });
    expect(env).toEqual({
      SIM_MODEL_LOAD_DELAY: '3s',
      SIM_TTFT_MS: '80',
      SIM_TOKENS_PER_SECOND: '40',
      SIM_ERROR_RATE: '0.1',
      SIM_ANSWER_SALT: 'x',
      SIM_FAULT_AFTER: '5s',
      SIM_FAULT_TTFT_MS: '2500',
      SIM_FAULT_ERROR_RATE: '0.5',
    });
    const b = behaviourFromEnv(env);
    expect(b.loadDelayMs).toBe(3000);
    expect(performanceAt(b, 1000)).toMatchObject({ ttftMs: 80, errorRate: 0.1, tokensPerSecond: 40 });
    expect(performanceAt(b, 6000)).toMatchObject({ ttftMs: 2500, errorRate: 0.5, tokensPerSecond: 40 });
  });

  it('a step spec merges over the service (objects by key, lists replaced); its canary variables over the container env', () => {
    const scenario = parseScenarioText(
      minimal({
        service: {
          service: 'svc',
          namespace: 'ns',
          model: { name: 'm' },
          gpu: { pool: 'l4', perReplica: 1 },
          replicas: 1,
          container: { env: { SIM_TTFT_MS: '10', KEEP: '1' } },
          rollout: { steps: [{ weight: 10 }, { weight: 50 }], allowSwap: true },
        },
        steps: [
          {
            release: {
              version: 'v2',
              image: 'v1',
              canary: { ttftMs: 99 },
              spec: { replicas: 2, rollout: { steps: [{ weight: 25 }] } },
              expect: { outcome: 'promoted' },
            },
          },
        ],
      }),
      'f',
    );
    const step = scenario.steps[0]!;
    if (!('release' in step)) throw new Error('a release step');
    const spec = releaseSpec(scenario, step.release, IMAGE, KEY);
    expect(spec).toMatchObject({
      version: 'v2',
      image: IMAGE,
      replicas: 2,
      rollout: { steps: [{ weight: 25 }], allowSwap: true },
      container: { env: { SIM_TTFT_MS: '99', KEEP: '1' } },
      supplyChain: { cosignKeys: [KEY] },
    });
    expect(mergeSpec({ a: { b: 1, c: [1, 2] } }, { a: { c: [3] } })).toEqual({ a: { b: 1, c: [3] } });
  });

  it('a scenario that sets its own supplyChain keeps it', () => {
    const s = parseScenarioText(minimal({ service: { ...JSON.parse(minimal()).service, supplyChain: { cosignKeys: [] } } }), 'f');
    const step = s.steps[0]!;
    if (!('release' in step)) throw new Error('a release step');
    expect(releaseSpec(s, step.release, IMAGE, KEY).supplyChain).toEqual({ cosignKeys: [] });
  });

  it.each([
    [
      'a step naming an unknown image',
      minimal({ steps: [{ release: { version: 'v1', image: 'v9', expect: { outcome: 'promoted' } } }] }),
      /steps\[0\] \(release v1\): unknown image "v9" \(images: v1\)/,
    ],
    [
      'an unknown outcome',
      minimal({ steps: [{ release: { version: 'v1', image: 'v1', expect: { outcome: 'great' } } }] }),
      /invalid scenario: .*outcome/,
    ],
    [
      'a release whose spec is invalid',
      minimal({ steps: [{ release: { version: 'v1', image: 'v1', spec: { replicas: -1 }, expect: { outcome: 'promoted' } } }] }),
      /steps\[0\] \(release v1\): invalid service spec: .*replicas/,
    ],
    [
      'a step releasing another service',
      minimal({ steps: [{ release: { version: 'v1', image: 'v1', spec: { service: 'other' }, expect: { outcome: 'promoted' } } }] }),
      /one service \(ns\/svc\)/,
    ],
    ['a service that sets the image', minimal({ service: { ...JSON.parse(minimal()).service, image: IMAGE } }), /leave out "image"/],
    ['a misspelt key', minimal({ stepz: [] }), /invalid scenario: .*stepz/],
    [
      'a bad fault duration',
      minimal({
        steps: [{ release: { version: 'v1', image: 'v1', canary: { fault: { after: 'soon' } }, expect: { outcome: 'promoted' } } }],
      }),
      /duration/,
    ],
    ['no steps', minimal({ steps: [] }), /invalid scenario: .*steps/],
    [
      'a step that is both release and rollback',
      minimal({
        steps: [
          {
            release: { version: 'v1', image: 'v1', expect: { outcome: 'promoted' } },
            rollback: { reason: 'x', expect: { outcome: 'failed' } },
          },
        ],
      }),
      /either `release` or `rollback`/,
    ],
  ])('refuses %s with a reason naming where', (_what, text, reason) => {
    expect(() => parseScenarioText(text, 'f.yaml')).toThrow(ScenarioFileError);
    expect(() => parseScenarioText(text, 'f.yaml')).toThrow(reason);
  });

  it('a YAML syntax error names the line', () => {
    expect(() => parseScenarioText('name: [x\nsteps: 1', 'bad.yaml')).toThrow(/bad\.yaml:\d+:\d+: not valid YAML/);
  });
});

describe('scenario outcomes', () => {
  it.each`
    details                                                                                    | message                                          | outcome
    ${{ outcome: 'rolled-back', failedIn: 'canary', reason: 'P95 latency 4837 ms > 2000 ms' }} | ${'release rolled back: P95 latency 4837 ms'}    | ${'rolled-back'}
    ${{ outcome: 'refused', failedIn: 'verifying', reason: 'no cosign signature found' }}      | ${'image refused: no cosign signature found'}    | ${'refused'}
    ${{ outcome: 'refused', failedIn: 'planning', reason: 'not enough GPUs', missingGpus: 4 }} | ${'release rolled back: wording does not count'} | ${'refused'}
    ${undefined}                                                                               | ${'release rolled back: but no details'}         | ${'refused'}
  `('a failed release is $outcome by its details, whatever the message ($message)', ({ details, message, outcome }) => {
    expect(releaseFailureOutcome(asReleaseFailure(details), message)).toEqual({ outcome, reason: message });
  });

  it('only well-formed details are release failures', () => {
    expect(asReleaseFailure({ outcome: 'rolled-back', failedIn: 'canary', reason: 'x' })).toBeDefined();
    expect(asReleaseFailure({ outcome: 'exploded', reason: 'x' })).toBeUndefined();
    expect(asReleaseFailure({ outcome: 'refused' })).toBeUndefined();
    expect(asReleaseFailure('release rolled back: x')).toBeUndefined();
    expect(asReleaseFailure(undefined)).toBeUndefined();
  });

  it('compares outcome, reason (case-insensitive substring) and version', () => {
    expect(
      mismatches({ outcome: 'rolled-back', reason: 'LATENCY' }, { outcome: 'rolled-back', reason: 'P95 latency 4837 ms > 2000 ms' }),
    ).toEqual([]);
    expect(mismatches({ outcome: 'promoted' }, { outcome: 'refused', reason: 'image refused: x' })).toEqual([
      'expected promoted, got refused (image refused: x)',
    ]);
    expect(mismatches({ outcome: 'refused', reason: 'signature' }, { outcome: 'refused', reason: 'not enough GPUs' })).toEqual([
      'expected a reason containing "signature", got "not enough GPUs"',
    ]);
    expect(mismatches({ outcome: 'rolled-back', version: 'v1' }, { outcome: 'rolled-back', reason: '', version: 'v2' })).toEqual([
      'expected version v1, got v2',
    ]);
  });
});
