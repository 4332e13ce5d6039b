import type { PoolCapacity } from '../../core/gpu-capacity';
import { readPoolCapacity, type ReadPoolCapacityInput } from './capacity';
import type { Kube } from './client';

/** Activities that talk to the Kubernetes API server. */
export const createKubernetesActivities = (kube: Kube) => ({
  async readPoolCapacity(input: ReadPoolCapacityInput): Promise<PoolCapacity> {
    return readPoolCapacity(kube, input);
  },
});

export type KubernetesActivities = ReturnType<typeof createKubernetesActivities>;
