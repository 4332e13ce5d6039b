import type { V1Container, V1Node, V1Pod } from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/activity';
import { ErrorType } from '../../core/errors';
import { GPU_RESOURCE, parseGpuQuantity, summarizePool, type NodeView, type PodView, type PoolCapacity } from '../../core/gpu-capacity';
import type { Kube } from './client';
import { classifyKubeError } from './errors';

export interface ReadPoolCapacityInput {
  pool: string;
  /** The node label that names the pool (e.g. `pool`, `cloud.google.com/gke-nodepool`). */
  poolLabel: string;
}

const gpusOf = (c: V1Container) => ({
  gpus: parseGpuQuantity(c.resources?.requests?.[GPU_RESOURCE] ?? c.resources?.limits?.[GPU_RESOURCE]),
});

export function toNodeView(node: V1Node): NodeView {
  return {
    name: node.metadata?.name ?? '',
    labels: node.metadata?.labels ?? {},
    allocatableGpus: parseGpuQuantity(node.status?.allocatable?.[GPU_RESOURCE]),
    ready: node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    unschedulable: node.spec?.unschedulable ?? false,
  };
}

export function toPodView(pod: V1Pod): PodView {
  const init = pod.spec?.initContainers ?? [];
  return {
    name: pod.metadata?.name ?? '',
    namespace: pod.metadata?.namespace ?? '',
    nodeName: pod.spec?.nodeName,
    phase: pod.status?.phase ?? 'Pending',
    containers: (pod.spec?.containers ?? []).map(gpusOf),
    initContainers: init.filter((c) => c.restartPolicy !== 'Always').map(gpusOf),
    sidecars: init.filter((c) => c.restartPolicy === 'Always').map(gpusOf),
  };
}

export async function readPoolCapacity(kube: Kube, input: ReadPoolCapacityInput): Promise<PoolCapacity> {
  const labelSelector = `${input.poolLabel}=${input.pool}`;
  let nodes: V1Node[];
  let pods: V1Pod[];
  try {
    nodes = (await kube.core.listNode({ labelSelector })).items;
    if (nodes.length === 0) {
      throw ApplicationFailure.nonRetryable(`GPU pool "${input.pool}" has no nodes (label ${labelSelector})`, ErrorType.GpuPoolNotFound);
    }
    // Only pods bound to this pool's nodes count; terminal pods hold nothing.
    const perNode = await Promise.all(
      nodes.map((n) =>
        kube.core.listPodForAllNamespaces({
          fieldSelector: `spec.nodeName=${n.metadata!.name},status.phase!=Succeeded,status.phase!=Failed`,
        }),
      ),
    );
    pods = perNode.flatMap((l) => l.items);
  } catch (err) {
    if (err instanceof ApplicationFailure) throw err;
    throw classifyKubeError(err, `reading GPU pool ${input.pool}`);
  }
  return summarizePool(input.pool, input.poolLabel, nodes.map(toNodeView), pods.map(toPodView));
}
