import type { V1Container, V1Node, V1Pod } from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/activity';
import { ErrorType } from '../../core/errors';
import { LABELS } from '../../core/manifests';
import { GPU_RESOURCE, parseGpuQuantity, summarizePool, type NodeView, type PodView, type PoolCapacity } from '../../core/gpu-capacity';
import type { Kube } from './client';
import { classifyKubeError } from './errors';

export interface ReadPoolCapacityInput {
  pool: string;
  /** The node label that names the pool (e.g. `pool`, `cloud.google.com/gke-nodepool`). */
  poolLabel: string;
  /** The extended resource the pool's GPUs are (the spec's gpu.resource); default nvidia.com/gpu. */
  resource?: string;
  /** The pool scales (from zero, too): no nodes is an empty pool, not an unknown one. */
  scales?: boolean;
}

const gpusOf = (resource: string) => (c: V1Container) => ({
  gpus: parseGpuQuantity(c.resources?.requests?.[resource] ?? c.resources?.limits?.[resource]),
});

export function toNodeView(node: V1Node, resource = GPU_RESOURCE): NodeView {
  return {
    name: node.metadata?.name ?? '',
    labels: node.metadata?.labels ?? {},
    allocatableGpus: parseGpuQuantity(node.status?.allocatable?.[resource]),
    ready: node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    unschedulable: node.spec?.unschedulable ?? false,
  };
}

export function toPodView(pod: V1Pod, resource = GPU_RESOURCE): PodView {
  const init = pod.spec?.initContainers ?? [];
  const gpus = gpusOf(resource);
  return {
    name: pod.metadata?.name ?? '',
    namespace: pod.metadata?.namespace ?? '',
    ...(pod.metadata?.labels?.[LABELS.name] ? { service: pod.metadata.labels[LABELS.name] } : {}),
    nodeName: pod.spec?.nodeName,
    phase: pod.status?.phase ?? 'Pending',
    containers: (pod.spec?.containers ?? []).map(gpus),
    initContainers: init.filter((c) => c.restartPolicy !== 'Always').map(gpus),
    sidecars: init.filter((c) => c.restartPolicy === 'Always').map(gpus),
  };
}

/** Up to this many nodes, a pool's pods are listed node by node (as a kubelet does); beyond, in one paged list. */
export const PER_NODE_LISTS_UP_TO = 8;
const PAGE = 500;
const NOT_TERMINAL = 'status.phase!=Succeeded,status.phase!=Failed';

/**
 * The pods bound to these nodes that still hold resources (terminal pods hold nothing). A big pool
 * is read in one paged list of the cluster's bound pods: a request per node made a 100-node pool
 * cost 100 requests per read, and 200 releases planning at once overran the API server.
 */
async function podsOnNodes(kube: Kube, nodeNames: string[]): Promise<V1Pod[]> {
  if (nodeNames.length <= PER_NODE_LISTS_UP_TO) {
    const perNode = await Promise.all(
      nodeNames.map((name) => kube.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${name},${NOT_TERMINAL}` })),
    );
    return perNode.flatMap((l) => l.items);
  }
  const members = new Set(nodeNames);
  const pods: V1Pod[] = [];
  let _continue: string | undefined;
  do {
    const page = await kube.core.listPodForAllNamespaces({
      fieldSelector: `spec.nodeName!=,${NOT_TERMINAL}`,
      limit: PAGE,
      ...(_continue ? { _continue } : {}),
    });
    pods.push(...page.items.filter((p) => members.has(p.spec?.nodeName ?? '')));
    _continue = page.metadata?._continue || undefined;
  } while (_continue);
  return pods;
}

export async function readPoolCapacity(kube: Kube, input: ReadPoolCapacityInput): Promise<PoolCapacity> {
  const labelSelector = `${input.poolLabel}=${input.pool}`;
  let nodes: V1Node[];
  let pods: V1Pod[];
  try {
    nodes = (await kube.core.listNode({ labelSelector })).items;
    if (nodes.length === 0 && !input.scales) {
      throw ApplicationFailure.nonRetryable(`GPU pool "${input.pool}" has no nodes (label ${labelSelector})`, ErrorType.GpuPoolNotFound);
    }
    pods = await podsOnNodes(
      kube,
      nodes.map((n) => n.metadata!.name!),
    );
  } catch (err) {
    if (err instanceof ApplicationFailure) throw err;
    throw classifyKubeError(err, `reading GPU pool ${input.pool}`);
  }
  const resource = input.resource ?? GPU_RESOURCE;
  return summarizePool(
    input.pool,
    input.poolLabel,
    nodes.map((n) => toNodeView(n, resource)),
    pods.map((p) => toPodView(p, resource)),
    resource,
  );
}
