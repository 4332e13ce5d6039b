import { renderDeployment, revisionOf } from '../../core/manifests';
import { VLLM, VLLM_FLAGS } from '../../core/server/vllm-contract';
import { parseSpecText } from '../../core/spec-file';
import { specYaml } from '../support/spec-yaml';

// The container a spec renders: vLLM's (or SGLang's) own command line, the model's volume,
// /dev/shm, env from Secrets, and the graceful stop. Checked against vLLM's flag set (from its wheel).
const yaml = specYaml;
const spec = (over = '', model?: string) =>
  parseSpecText(model ? yaml(over).replace(/^model: .*$/m, `model: ${model}`) : yaml(over), 'autoglm.yaml');

interface Pod {
  volumes: {
    name: string;
    emptyDir?: { medium: string; sizeLimit: string };
    persistentVolumeClaim?: { claimName: string; readOnly: boolean };
  }[];
  terminationGracePeriodSeconds: number;
  containers: {
    command: string[];
    args: string[];
    env: { name: string; value?: string; valueFrom?: unknown }[];
    volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
    lifecycle: { preStop: { sleep: { seconds: number } } };
    startupProbe: { periodSeconds: number; failureThreshold: number };
    readinessProbe: { periodSeconds: number };
    livenessProbe: { periodSeconds: number };
  }[];
}
const pod = (s: ReturnType<typeof spec>) => (renderDeployment(s, 1) as unknown as { spec: { template: { spec: Pod } } }).spec.template.spec;
const container = (s: ReturnType<typeof spec>) => pod(s).containers[0]!;

describe('the vLLM command line', () => {
  it.each([
    [
      'defaults: the hub name, TP from the GPUs',
      '',
      undefined,
      [
        'open-autoglm-7b',
        '--served-model-name',
        'open-autoglm-7b',
        '--port',
        '8000',
        '--tensor-parallel-size',
        '4',
        '--shutdown-timeout',
        '30',
      ],
    ],
    [
      'every option',
      'server: { quantization: fp8, maxModelLen: 8192, gpuMemoryUtilization: 0.85, prefixCaching: false, tensorParallelSize: 2, extraArgs: [--dtype, bfloat16] }',
      undefined,
      [
        'open-autoglm-7b',
        '--served-model-name',
        'open-autoglm-7b',
        '--port',
        '8000',
        '--tensor-parallel-size',
        '2',
        '--quantization',
        'fp8',
        '--max-model-len',
        '8192',
        '--gpu-memory-utilization',
        '0.85',
        '--no-enable-prefix-caching',
        '--shutdown-timeout',
        '30',
        '--dtype',
        'bfloat16',
      ],
    ],
    [
      'a PVC source: the mounted folder',
      '',
      '{ name: m, source: { pvc: weights, path: glm/9b } }',
      ['/models/glm/9b', '--served-model-name', 'm'],
    ],
    [
      'an object store: the URI and the streaming loader',
      '',
      '{ name: m, source: { uri: "s3://models/glm-9b" } }',
      ['s3://models/glm-9b', '--served-model-name', 'm'],
    ],
  ])('%s', (_, over, model, expected) => {
    const c = container(spec(over, model));
    expect(c.command).toEqual(['vllm', 'serve']);
    expect(c.args.slice(0, expected.length)).toEqual(expected);
    expect(() => VLLM_FLAGS.parse(c.args)).not.toThrow();
    if (model?.includes('s3://')) expect(c.args.join(' ')).toContain('--load-format runai_streamer');
  });

  it.each([
    [
      'a quantization vLLM does not have, naming the values it has',
      'server: { quantization: int8 }',
      /server\.quantization.*no quantization "int8".*fp8/,
    ],
    ['a flag vLLM does not know', 'server: { extraArgs: [--turbo] }', /server\.extraArgs.*unrecognized arguments: --turbo/],
    ['a value argparse refuses', 'server: { extraArgs: [--dtype, fp64] }', /invalid choice: 'fp64'/],
    [
      'a flag the spec already sets',
      'server: { extraArgs: [--tensor-parallel-size=8] }',
      /server\.extraArgs\.0.*set by server\.tensorParallelSize/,
    ],
    ['container.args as well', 'container: { args: [--max-model-len, "4k", --bogus] }', /unrecognized arguments: --bogus/],
    ['more tensor parallelism than GPUs', 'server: { tensorParallelSize: 8 }', /server\.tensorParallelSize.*gpu\.perReplica 4/],
    ['a misspelt model field (it used to be dropped)', '', /model\.quantization: unknown field/, '{ name: m, quantization: fp8 }'],
    ['a source that is neither', '', /model\.source/, '{ name: m, source: { uri: "http://x/y" } }'],
  ] as [string, string, RegExp, string?][])('refuses %s', (...[, over, message, model]) => {
    // Rest parameters: jest would take a fourth named parameter for its done callback.
    expect(() => spec(over, model)).toThrow(message);
  });

  it('takes every quantization method of the pinned vLLM', () => {
    expect(VLLM.quantizationMethods.length).toBeGreaterThan(20);
    for (const q of VLLM.quantizationMethods) expect(container(spec(`server: { quantization: ${JSON.stringify(q)} }`)).args).toContain(q);
  });
});

describe('the pod around the server', () => {
  it('mounts a PVC source read-only, /dev/shm sized by tensor parallelism, env from literals and Secret/ConfigMap keys', () => {
    const s = spec(
      'container: { env: { HF_TOKEN: { secretKeyRef: { name: hub, key: token } }, TUNING: { configMapKeyRef: { name: tune, key: profile } }, SIM_TTFT_MS: "80" } }',
      '{ name: m, source: { pvc: weights } }',
    );
    const p = pod(s);
    expect(p.volumes).toEqual([
      { name: 'dshm', emptyDir: { medium: 'Memory', sizeLimit: '8Gi' } },
      { name: 'model', persistentVolumeClaim: { claimName: 'weights', readOnly: true } },
    ]);
    expect(p.containers[0]!.volumeMounts).toEqual([
      { name: 'dshm', mountPath: '/dev/shm' },
      { name: 'model', mountPath: '/models', readOnly: true },
    ]);
    expect(p.containers[0]!.env).toEqual([
      { name: 'HF_TOKEN', valueFrom: { secretKeyRef: { name: 'hub', key: 'token' } } },
      { name: 'TUNING', valueFrom: { configMapKeyRef: { name: 'tune', key: 'profile' } } },
      { name: 'SIM_TTFT_MS', value: '80' },
    ]);
  });

  it('stops gracefully: endpoints drain during preStop, then vLLM finishes what it has within the grace period', () => {
    const p = pod(spec('server: { drainTimeout: 45s, preStopDelay: 10s }'));
    expect(p.containers[0]!.lifecycle).toEqual({ preStop: { sleep: { seconds: 10 } } });
    expect(p.containers[0]!.args.join(' ')).toContain('--shutdown-timeout 45');
    expect(p.terminationGracePeriodSeconds).toBe(60);
  });

  it.each`
    period       | loadBudget | startup | failures | why
    ${undefined} | ${'2m'}    | ${5}    | ${25}    | ${'the default: Ready within 5 s of loading'}
    ${'1s'}      | ${'2m'}    | ${1}    | ${121}   | ${'a fast probe keeps the whole load budget'}
    ${'10s'}     | ${'15s'}   | ${10}   | ${3}     | ${'a slow probe over a short budget still covers it'}
  `('probes start-up and readiness every probePeriod ($why)', ({ period, loadBudget, startup, failures }) => {
    const server = period === undefined ? '' : `server: { probePeriod: ${period} }`;
    const c = pod(spec(server, `{ name: m, loadBudget: ${loadBudget} }`)).containers[0]!;
    expect(c.startupProbe).toMatchObject({ periodSeconds: startup, failureThreshold: failures });
    expect(c.readinessProbe.periodSeconds).toBe(startup);
    expect(c.livenessProbe.periodSeconds).toBe(10);
  });

  it.each(['500ms', '0s', '90s', '1500ms'])('refuses a probePeriod of %s (whole seconds, 1s to 60s)', (period) => {
    expect(() => spec(`server: { probePeriod: ${period} }`)).toThrow(/server\.probePeriod.*whole seconds from 1s to 60s/s);
  });

  it('keeps the revision of a spec without server options, and makes a new one when they change', () => {
    const plain = revisionOf(spec());
    expect(plain).toBe('4296c740'); // as before the server section existed: releases in flight keep their revision
    expect(revisionOf(spec('server: { engine: vllm }'))).toBe(plain);
    expect(revisionOf(spec('server: { quantization: fp8 }'))).not.toBe(plain);
    expect(revisionOf(spec('server: { probePeriod: 5s }'))).toBe(plain);
    expect(revisionOf(spec('server: { probePeriod: 1s }'))).not.toBe(plain);
    expect(revisionOf(spec('', '{ name: open-autoglm-7b, loadBudget: 10m, source: { pvc: w } }'))).not.toBe(plain);
  });
});

describe('SGLang', () => {
  it('renders its launcher with its own flag names, metrics on', () => {
    const c = container(spec('server: { engine: sglang, maxModelLen: 4096, gpuMemoryUtilization: 0.8 }'));
    expect(c.command).toEqual(['python3', '-m', 'sglang.launch_server']);
    expect(c.args).toEqual(
      expect.arrayContaining([
        '--model-path',
        '--tp-size',
        '4',
        '--context-length',
        '4096',
        '--mem-fraction-static',
        '0.8',
        '--enable-metrics',
      ]),
    );
  });

  it('refuses weights from object storage', () => {
    expect(() => spec('server: { engine: sglang }', '{ name: m, source: { uri: "s3://b/m" } }')).toThrow(/model\.source/);
  });
});
