/**
 * The simulated server is configured as vLLM is: by its `vllm serve` command line, parsed with
 * the flag set of the pinned vLLM (core/server/vllm/). A flag vLLM does not know, or a value it
 * refuses, stops the server as vLLM would (argparse's exit code 2; a config error's 1). Only the
 * simulation's own knobs (SIM_*, which vLLM ignores) come from the environment.
 */
import { CommandLineError, type ParsedCommandLine } from '../../../core/server/cli-flags';
import { VLLM, VLLM_FLAGS } from '../../../core/server/vllm-contract';

export interface ServingConfig {
  /** The positional model: a folder, an s3:// URI or a hub name. */
  model: string;
  /** What clients call the model (--served-model-name; the model argument when unset). */
  servedNames: string[];
  quantization?: string;
  tensorParallelSize: number;
  maxModelLen?: number;
  /** vLLM's V1 engine caches prefixes unless told not to. */
  prefixCaching: boolean;
  gpuMemoryUtilization: number;
  port: number;
  host?: string;
  /** Seconds in-flight requests may take to finish on SIGTERM (0: abort them). */
  shutdownTimeoutSeconds: number;
  loadFormat: string;
}

/** Why the server would not start, and the exit code vLLM's process gives. */
export class ServeError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'ServeError';
  }
}

const HUMAN = { k: 1e3, m: 1e6, g: 1e9, t: 1e12, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 } as const;
const humanInt = (v: string) => {
  const m = /^(\d+(?:\.\d+)?)([kKmMgGtT]?)$/.exec(v);
  return m ? Math.round(Number(m[1]) * (m[2] ? HUMAN[m[2] as keyof typeof HUMAN] : 1)) : undefined;
};

/** `vllm serve <args>`: the command a model-server container runs; anything else is not a vLLM server. */
export function servingConfigFrom(command: readonly string[], args: readonly string[]): ServingConfig {
  const argv = [...command, ...args];
  const serve = argv.findIndex((a, i) => a === 'serve' && /(^|\/)vllm$/.test(argv[i - 1] ?? ''));
  if (serve < 0) throw new ServeError(`not a vLLM server: ${argv.slice(0, 3).join(' ')} (the simulator runs \`vllm serve\`)`, 127);
  let parsed: ParsedCommandLine;
  try {
    parsed = VLLM_FLAGS.parse(argv.slice(serve + 1));
  } catch (err) {
    if (err instanceof CommandLineError) throw new ServeError(`vllm serve: error: ${err.message}`, 2);
    throw err;
  }
  const o = parsed.options;
  const str = (k: string) => (typeof o.get(k) === 'string' ? (o.get(k) as string) : undefined);
  const model = parsed.positionals[0] ?? str('--model');
  if (!model) throw new ServeError('vllm serve: error: a model is required (vllm serve <model>)', 2);
  const quantization = str('--quantization');
  if (quantization !== undefined && !VLLM.quantizationMethods.includes(quantization)) {
    // ModelConfig's check, after parsing: vLLM exits with its ValueError.
    throw new ServeError(
      `ValueError: Unknown quantization method: ${quantization}. Must be one of ${JSON.stringify(VLLM.quantizationMethods)}.`,
      1,
    );
  }
  const maxModelLen = str('--max-model-len');
  const served = o.get('--served-model-name');
  return {
    model,
    servedNames: Array.isArray(served) && served.length > 0 ? served : [model],
    quantization,
    tensorParallelSize: Number(str('--tensor-parallel-size') ?? 1),
    maxModelLen: maxModelLen === undefined || maxModelLen === 'auto' || maxModelLen === '-1' ? undefined : humanInt(maxModelLen),
    prefixCaching: o.get('--enable-prefix-caching') !== false,
    gpuMemoryUtilization: Number(str('--gpu-memory-utilization') ?? 0.92),
    port: Number(str('--port') ?? 8000),
    host: str('--host'),
    shutdownTimeoutSeconds: Number(str('--shutdown-timeout') ?? 0),
    loadFormat: str('--load-format') ?? 'auto',
  };
}
