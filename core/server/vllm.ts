/**
 * vLLM (`vllm serve`): the command line rendered from the spec, checked against the flag set
 * and values of the pinned release (core/server/vllm/, derived from its wheel).
 */
import { CommandLineError } from './cli-flags';
import {
  modelArgument,
  seconds,
  tensorParallelProblems,
  tensorParallelSize,
  type EngineContainer,
  type ServingEngine,
  type SpecProblem,
} from './engine';
import type { ServiceSpecShape } from './spec-shape';
import { VLLM, VLLM_FLAGS } from './vllm-contract';

/** vLLM's loader for weights streamed from object storage (Run:ai Model Streamer). */
const STREAMING_LOAD_FORMAT = 'runai_streamer';
if (!VLLM.loadFormats.includes(STREAMING_LOAD_FORMAT)) throw new Error(`vLLM ${VLLM.version} has no ${STREAMING_LOAD_FORMAT} load format`);

/** Flags the spec renders, by the field that sets them: extraArgs may not set them again. */
const RENDERED: Record<string, string> = {
  '--served-model-name': 'model.name',
  '--port': 'container.port',
  '--tensor-parallel-size': 'server.tensorParallelSize',
  '--quantization': 'server.quantization',
  '--max-model-len': 'server.maxModelLen',
  '--gpu-memory-utilization': 'server.gpuMemoryUtilization',
  '--enable-prefix-caching': 'server.prefixCaching',
  '--shutdown-timeout': 'server.drainTimeout',
  '--load-format': 'model.source',
};

function renderedArgs(spec: ServiceSpecShape): string[] {
  const s = spec.server;
  const streamed = spec.model.source !== undefined && 'uri' in spec.model.source;
  return [
    modelArgument(spec),
    '--served-model-name',
    spec.model.name,
    '--port',
    String(spec.container.port),
    '--tensor-parallel-size',
    String(tensorParallelSize(spec)),
    ...(s.quantization ? ['--quantization', s.quantization] : []),
    ...(s.maxModelLen ? ['--max-model-len', String(s.maxModelLen)] : []),
    ...(s.gpuMemoryUtilization ? ['--gpu-memory-utilization', String(s.gpuMemoryUtilization)] : []),
    ...(s.prefixCaching === undefined ? [] : [s.prefixCaching ? '--enable-prefix-caching' : '--no-enable-prefix-caching']),
    '--shutdown-timeout',
    String(seconds(s.drainTimeout)),
    ...(streamed ? ['--load-format', STREAMING_LOAD_FORMAT] : []),
  ];
}

function problems(spec: ServiceSpecShape): SpecProblem[] {
  const out: SpecProblem[] = [];
  const s = spec.server;
  if (s.quantization !== undefined && !VLLM.quantizationMethods.includes(s.quantization)) {
    out.push({
      path: ['server', 'quantization'],
      message: `vLLM ${VLLM.version} has no quantization "${s.quantization}"; it takes one of: ${VLLM.quantizationMethods.join(', ')}`,
    });
  }
  out.push(...tensorParallelProblems(spec));
  const extra: [string[], string[]][] = [
    [['server', 'extraArgs'], s.extraArgs],
    [['container', 'args'], spec.container.args],
  ];
  for (const [path, args] of extra)
    args.forEach((arg, i) => {
      const name = arg.startsWith('--') ? arg.split('=')[0]!.replace(/_/g, '-') : undefined;
      const flag = name ? VLLM_FLAGS.resolve(name.replace(/^--no-/, '--'))?.flag : undefined;
      const owner = flag && Object.keys(RENDERED).find((r) => flag.names.includes(r));
      if (owner) out.push({ path: [...path, i], message: `${arg} is set by ${RENDERED[owner]}; set it there` });
    });
  try {
    VLLM_FLAGS.parse([...renderedArgs(spec), ...s.extraArgs, ...spec.container.args]);
  } catch (err) {
    if (!(err instanceof CommandLineError)) throw err;
    out.push({ path: ['server', 'extraArgs'], message: `vllm serve ${VLLM.version} refuses the command line: ${err.message}` });
  }
  return out;
}

export const vllm: ServingEngine = {
  name: 'vllm',
  problems,
  container: (spec): EngineContainer => ({
    command: ['vllm', 'serve'],
    args: [...renderedArgs(spec), ...spec.server.extraArgs],
    // container.args follow (manifests.ts appends them): checked with these above.
    // vLLM's API server listens once the engine is up; /health then answers, /v1/models lists the served name.
    healthPath: '/health',
    readyPath: '/v1/models',
    metricsPath: '/metrics',
  }),
};
