/**
 * GPU capacity of node pools, from what the API server reports. Pure: the Kubernetes activity
 * reads nodes and pods, this decides what is free. Mirrors the scheduler's NodeResourcesFit
 * accounting for one extended resource.
 */

export const GPU_RESOURCE = 'nvidia.com/gpu';

export interface NodeView {
  name: string;
  labels: Record<string, string>;
  /** Allocatable GPUs as the API server reports them (extended resources are whole numbers). */
  allocatableGpus: number;
  ready: boolean;
  unschedulable: boolean;
}

export interface ContainerRequests {
  /** Requests (or, when absent, limits: Kubernetes defaults requests to limits) of the GPU resource. */
  gpus: number;
}

export interface PodView {
  name: string;
  namespace: string;
  /** The model service it belongs to (label app.kubernetes.io/name), if any. */
  service?: string;
  nodeName?: string;
  phase: string;
  containers: ContainerRequests[];
  initContainers: ContainerRequests[];
  /** Restartable init containers (sidecars) run alongside the app containers. */
  sidecars?: ContainerRequests[];
}

export interface NodeCapacity {
  name: string;
  allocatable: number;
  requested: number;
  free: number;
  schedulable: boolean;
}

export interface PoolCapacity {
  pool: string;
  /** The extended resource counted (nvidia.com/gpu, amd.com/gpu, …). */
  resource: string;
  nodes: NodeCapacity[];
  allocatable: number;
  requested: number;
  /** Free GPUs on schedulable nodes only. */
  free: number;
  /** The most GPUs one pod can still get (pods cannot span nodes). */
  largestFreeOnOneNode: number;
  /** GPUs held by each model service's bound pods, by `namespace/service` (what its reservation has claimed). */
  heldByService?: Record<string, number>;
}

/** Parses a quantity of an extended resource; they are integers ("8"), anything else is a bad report. */
export function parseGpuQuantity(value: string | undefined): number {
  if (value === undefined || value === '') return 0;
  if (!/^\d+$/.test(value)) throw new Error(`GPU quantity must be a whole number, got "${value}"`);
  return Number(value);
}

/**
 * What the scheduler counts for a pod: the larger of the app containers' sum (plus sidecars) and
 * each classic init container (which runs before them, alone).
 */
export function podGpuRequest(pod: Pick<PodView, 'containers' | 'initContainers' | 'sidecars'>): number {
  const sum = (cs: ContainerRequests[] | undefined) => (cs ?? []).reduce((n, c) => n + c.gpus, 0);
  const running = sum(pod.containers) + sum(pod.sidecars);
  const init = Math.max(0, ...pod.initContainers.map((c) => c.gpus + sum(pod.sidecars)));
  return Math.max(running, init);
}

const TERMINAL_PHASES = new Set(['Succeeded', 'Failed']);

export function summarizePool(pool: string, poolLabel: string, nodes: NodeView[], pods: PodView[], resource = GPU_RESOURCE): PoolCapacity {
  const members = nodes.filter((n) => n.labels[poolLabel] === pool);
  const requestedByNode = new Map<string, number>();
  const heldByService: Record<string, number> = {};
  const memberNames = new Set(members.map((n) => n.name));
  for (const pod of pods) {
    if (!pod.nodeName || TERMINAL_PHASES.has(pod.phase)) continue;
    const gpus = podGpuRequest(pod);
    requestedByNode.set(pod.nodeName, (requestedByNode.get(pod.nodeName) ?? 0) + gpus);
    if (pod.service && gpus > 0 && memberNames.has(pod.nodeName)) {
      const key = `${pod.namespace}/${pod.service}`;
      heldByService[key] = (heldByService[key] ?? 0) + gpus;
    }
  }
  const nodeCaps = members
    .map((n): NodeCapacity => {
      const requested = requestedByNode.get(n.name) ?? 0;
      const schedulable = n.ready && !n.unschedulable;
      return {
        name: n.name,
        allocatable: n.allocatableGpus,
        requested,
        free: schedulable ? Math.max(0, n.allocatableGpus - requested) : 0,
        schedulable,
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
  return {
    pool,
    resource,
    nodes: nodeCaps,
    allocatable: nodeCaps.reduce((n, c) => n + c.allocatable, 0),
    requested: nodeCaps.reduce((n, c) => n + c.requested, 0),
    free: nodeCaps.reduce((n, c) => n + c.free, 0),
    largestFreeOnOneNode: Math.max(0, ...nodeCaps.map((c) => c.free)),
    heldByService,
  };
}

/** How many pods of `gpusPerPod` the pool can still place, packing node by node as the scheduler would. */
export function podsThatFit(capacity: PoolCapacity, gpusPerPod: number): number {
  if (gpusPerPod <= 0) throw new Error('gpusPerPod must be positive');
  return capacity.nodes.reduce((n, node) => n + Math.floor(node.free / gpusPerPod), 0);
}
