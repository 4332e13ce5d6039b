/**
 * The `server` section of a service spec: which serving engine runs the model and with which of
 * its options. The engine (core/server/<engine>.ts) renders these into its own command line and
 * refuses values it does not accept.
 */
import { z } from 'zod';
import { durationMs } from '../duration';

export const ENGINES = ['vllm', 'sglang'] as const;
export type EngineName = (typeof ENGINES)[number];

export const ServerSpec = z.strictObject({
  engine: z.enum(ENGINES).default('vllm'),
  /** GPUs one replica shards the model over; unset: gpu.perReplica. */
  tensorParallelSize: z.number().int().positive().optional(),
  /** A quantization method of the engine (vLLM: --quantization). Unset: as the weights' config says. */
  quantization: z.string().min(1).optional(),
  /** Longest context (prompt + output) in tokens (vLLM: --max-model-len). */
  maxModelLen: z.number().int().positive().optional(),
  /** Share of each GPU's memory the engine may take for weights and KV cache (vLLM: --gpu-memory-utilization). */
  gpuMemoryUtilization: z.number().gt(0).max(1).optional(),
  /** Reuse the KV cache of shared prompt prefixes (vLLM: --[no-]enable-prefix-caching; on by default in vLLM). */
  prefixCaching: z.boolean().optional(),
  /** More flags, passed as they are after the rendered ones; checked against the engine's flag set. */
  extraArgs: z.array(z.string()).default([]),
  /** How long a stopping pod keeps serving the requests it has (vLLM: --shutdown-timeout). */
  drainTimeout: durationMs.default(30_000),
  /** Wait before the server is told to stop, so every proxy has dropped the pod's endpoint first. */
  preStopDelay: durationMs.default(5_000),
  /**
   * How often the kubelet probes start-up and readiness: a pod turns Ready up to one period after
   * its model has loaded. Whole seconds (Kubernetes' periodSeconds), 1s to 60s.
   */
  probePeriod: durationMs.refine((ms) => ms % 1000 === 0 && ms >= 1000 && ms <= 60_000, 'whole seconds from 1s to 60s').default(5_000),
});
export type ServerSpec = z.infer<typeof ServerSpec>;
export const SERVER_DEFAULTS: ServerSpec = { engine: 'vllm', extraArgs: [], drainTimeout: 30_000, preStopDelay: 5_000, probePeriod: 5_000 };

/** Where the model's weights come from. */
export const ModelSource = z.union([
  /** A PersistentVolumeClaim holding the weights, mounted read-only; `path` is the model's folder inside it. */
  z.strictObject({ pvc: z.string().min(1), path: z.string().default('') }),
  /** An object store: the engine streams the weights from it. */
  z.strictObject({ uri: z.string().regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/, 's3://bucket[/prefix]') }),
]);
export type ModelSource = z.infer<typeof ModelSource>;
