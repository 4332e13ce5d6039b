/**
 * A serving engine: how its container is started from a spec, what it refuses, and where it
 * answers. One file per engine (vllm.ts, sglang.ts); ENGINES_BY_NAME holds them all.
 */
import type { ServiceSpecShape } from './spec-shape';

export interface SpecProblem {
  /** Path in the spec, e.g. ['server', 'quantization']. */
  path: (string | number)[];
  message: string;
}

export interface EngineContainer {
  command: string[];
  args: string[];
  /** Answers 200 once the process is up (start-up and liveness). */
  healthPath: string;
  /** Answers 200 once the model is loaded and served (readiness). */
  readyPath: string;
  /** Prometheus metrics, on the serving port. */
  metricsPath: string;
}

/** Where the model's weights are mounted inside the container, for a PVC source. */
export const MODEL_MOUNT = '/models';

export interface ServingEngine {
  readonly name: string;
  /** What this engine refuses in the spec, each with the field and the values allowed. */
  problems(spec: ServiceSpecShape): SpecProblem[];
  container(spec: ServiceSpecShape): EngineContainer;
}

/** The model argument every engine takes: a mounted folder, an object-store URI, or the hub name. */
export function modelArgument(spec: ServiceSpecShape): string {
  const source = spec.model.source;
  if (!source) return spec.model.name;
  if ('uri' in source) return source.uri;
  return [MODEL_MOUNT, source.path].filter(Boolean).join('/').replace(/\/+/g, '/');
}

export const tensorParallelSize = (spec: ServiceSpecShape) => spec.server.tensorParallelSize ?? spec.gpu.perReplica;

/** What every engine refuses: more tensor-parallel ranks than the replica has GPUs. */
export function tensorParallelProblems(spec: ServiceSpecShape): SpecProblem[] {
  const tp = tensorParallelSize(spec);
  return tp > spec.gpu.perReplica
    ? [
        {
          path: ['server', 'tensorParallelSize'],
          message: `tensor parallelism ${tp} needs more GPUs than a replica has (gpu.perReplica ${spec.gpu.perReplica})`,
        },
      ]
    : [];
}
export const seconds = (ms: number) => Math.ceil(ms / 1000);
