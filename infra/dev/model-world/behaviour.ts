/**
 * How a simulated model server behaves, read from its pod's container env (SIM_*, which vLLM
 * ignores), so a "bad" version deploys exactly like a good one: only its spec differs. What vLLM
 * itself is told (model, quantization, …) comes from the command line (serving-config.ts).
 */
import { z } from 'zod';
import { durationMs } from '../../../core/duration';

const num = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().min(min).max(max);

const PerformanceFields = z.object({
  /** Median time to first token (ms) and the log-normal spread around it. */
  ttftMs: num(0),
  ttftSigma: num(0, 3),
  /** Decode speed of one request; inter-token latency is its inverse, with a spread. */
  tokensPerSecond: num(0.1),
  itlSigma: num(0, 3),
  /** Share of requests answered with HTTP 500. */
  errorRate: num(0, 1),
  /** GPU memory in use (fraction of the frame buffer), as DCGM would report it. */
  gpuMemoryUtilization: num(0, 1),
});
const { shape: p } = PerformanceFields;
const Performance = z.object({
  ttftMs: p.ttftMs.default(120),
  ttftSigma: p.ttftSigma.default(0.25),
  tokensPerSecond: p.tokensPerSecond.default(60),
  itlSigma: p.itlSigma.default(0.15),
  errorRate: p.errorRate.default(0),
  gpuMemoryUtilization: p.gpuMemoryUtilization.default(0.62),
});

/**
 * What serving with quantized weights changes, against 16-bit weights. Coarse, assumed figures
 * (INT8/FP8 W8A8 halve the weight bytes; decode is memory-bound): the point is that the option's
 * effect shows in load tests and the analysis, not a performance model of any GPU.
 */
export const QUANTIZATION_EFFECT = {
  none: { ttft: 1, decode: 1, memory: 1, load: 1 },
  int8: { ttft: 0.75, decode: 1.5, memory: 0.6, load: 0.5 },
  fp8: { ttft: 0.7, decode: 1.6, memory: 0.6, load: 0.5 },
  /** 4-bit weights (AWQ, GPTQ, FP4): a quarter of the bytes, decode faster still. */
  int4: { ttft: 0.8, decode: 1.8, memory: 0.4, load: 0.3 },
} as const;
export type QuantizationClass = keyof typeof QUANTIZATION_EFFECT;

/** Which class of weights a vLLM quantization method serves (by its name: fp8…, int8…, 4-bit families). */
export function quantizationClass(method: string | undefined): QuantizationClass {
  if (!method) return 'none';
  if (/fp8|mxfp8/.test(method)) return 'fp8';
  if (/int8|compressed-tensors|w8a8/.test(method)) return 'int8';
  if (/awq|gptq|fp4|mxfp4|wna16|marlin|humming/.test(method)) return 'int4';
  return 'none';
}

export const Behaviour = z.object({
  loadDelayMs: durationMs.default(0),
  maxConcurrency: num(1).default(16),
  defaultOutputTokens: num(1).default(64),
  /** Changes every deterministic answer: a version that "answers differently". */
  answerSalt: z.string().default(''),
  normal: Performance,
  /** From this long after start, what `fault` sets replaces `normal` (a regression that shows up under load). */
  faultAfterMs: durationMs.optional(),
  // No defaults here: a fault changes only what it names.
  fault: PerformanceFields.partial(),
});
export type Behaviour = z.infer<typeof Behaviour>;
export type Performance = z.infer<typeof Performance>;

/** Each performance figure's variable, after SIM_ (normal) or SIM_FAULT_ (the fault). */
export const PERF_ENV: Record<keyof Performance, string> = {
  ttftMs: 'TTFT_MS',
  ttftSigma: 'TTFT_SIGMA',
  tokensPerSecond: 'TOKENS_PER_SECOND',
  itlSigma: 'ITL_SIGMA',
  errorRate: 'ERROR_RATE',
  gpuMemoryUtilization: 'GPU_MEMORY_UTILIZATION',
};

/** SIM_TTFT_MS=300 sets normal behaviour; SIM_FAULT_TTFT_MS=3000 with SIM_FAULT_AFTER=30s sets the fault. */
export function behaviourFromEnv(env: Record<string, string | undefined>): Behaviour {
  const perf = (prefix: string) =>
    Object.fromEntries(
      Object.entries(PERF_ENV).flatMap(([k, name]) => (env[`${prefix}${name}`] !== undefined ? [[k, env[`${prefix}${name}`]]] : [])),
    );
  return Behaviour.parse({
    loadDelayMs: env.SIM_MODEL_LOAD_DELAY,
    maxConcurrency: env.SIM_MAX_CONCURRENCY,
    defaultOutputTokens: env.SIM_OUTPUT_TOKENS,
    answerSalt: env.SIM_ANSWER_SALT,
    normal: perf('SIM_'),
    faultAfterMs: env.SIM_FAULT_AFTER,
    fault: perf('SIM_FAULT_'),
  });
}

/** The performance in force `sinceStartMs` after the server started, quantization included. */
export function performanceAt(b: Behaviour, sinceStartMs: number, quantization: QuantizationClass = 'none'): Performance {
  const p = b.faultAfterMs !== undefined && sinceStartMs >= b.faultAfterMs ? { ...b.normal, ...b.fault } : b.normal;
  const q = QUANTIZATION_EFFECT[quantization];
  return {
    ...p,
    ttftMs: p.ttftMs * q.ttft,
    tokensPerSecond: p.tokensPerSecond * q.decode,
    gpuMemoryUtilization: p.gpuMemoryUtilization * q.memory,
  };
}

/** How long loading the weights takes (quantized weights are fewer bytes). */
export const loadDelayOf = (b: Behaviour, quantization: QuantizationClass = 'none') =>
  b.loadDelayMs * QUANTIZATION_EFFECT[quantization].load;
