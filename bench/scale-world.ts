/**
 * What bench:scale needs around the worker: a GPU pool big enough for hundreds of services (kwok
 * nodes, removed afterwards), the worker's Prometheus endpoint read as histograms and counters,
 * and a process's resident memory from /proc.
 */
import { readFileSync } from 'node:fs';
import type { Kube } from '../activities/kubernetes/client';
import { deleteNamespacesLabelled } from '../test/support/kube';

export const SCALE_POOL = 'scale';

const nodeName = (i: number) => `gpu-scale-${String(i).padStart(3, '0')}`;

/** `count` kwok nodes of 8 GPUs each, labelled and tainted as the stack's other GPU nodes. */
export async function addScalePool(kube: Kube, count: number): Promise<void> {
  const gpus = '8';
  const resources = { cpu: '96', memory: '1360Gi', pods: '110', 'ephemeral-storage': '1Ti', 'nvidia.com/gpu': gpus };
  for (let i = 0; i < count; i++) {
    await kube.core
      .createNode({
        body: {
          metadata: {
            name: nodeName(i),
            annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
            labels: {
              'kubernetes.io/hostname': nodeName(i),
              'kubernetes.io/os': 'linux',
              'kubernetes.io/arch': 'amd64',
              type: 'kwok',
              pool: SCALE_POOL,
              'nvidia.com/gpu.present': 'true',
              'nvidia.com/gpu.product': 'NVIDIA-L4',
              'nvidia.com/gpu.count': gpus,
              'nvidia.com/gpu.memory': '23034',
            },
          },
          spec: { taints: [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }] },
          status: { capacity: resources, allocatable: resources },
        },
      })
      .catch((err: { code?: number }) => {
        if (err.code !== 409) throw err;
      });
  }
  // Ready once kwok has taken them on.
  for (;;) {
    const nodes = (await kube.core.listNode({ labelSelector: `pool=${SCALE_POOL}` })).items;
    const ready = nodes.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
    if (ready >= count) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

export async function removeScalePool(kube: Kube): Promise<void> {
  await kube.core.deleteCollectionNode({ labelSelector: `pool=${SCALE_POOL}` }).catch(() => undefined);
}

/** The label on the bench's namespaces, so a run that was killed is cleared by the next one. */
export const SCALE_NAMESPACE_LABEL = { 'autoglm.dev/bench': 'scale' };

/** Namespaces and nodes an earlier, killed run left: their Services would hold ClusterIPs. */
export async function removeLeftovers(kube: Kube): Promise<number> {
  const left = await deleteNamespacesLabelled(kube, SCALE_NAMESPACE_LABEL);
  await removeScalePool(kube);
  return left;
}

/** Resident memory of a process now and at its peak (VmHWM), MiB. */
export function rssMiB(pid: number): { now: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { now: Math.round(kb('VmRSS') / 1024), peak: Math.round(kb('VmHWM') / 1024) };
}

/** Samples (name{labels} value) of a Prometheus text exposition. */
export function parseExposition(text: string): { name: string; labels: string; value: number }[] {
  return text
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .flatMap((l) => {
      const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(l);
      return m ? [{ name: m[1]!, labels: m[2] ?? '', value: Number(m[3]) }] : [];
    });
}

export async function scrape(metricsAddress: string) {
  return parseExposition(await (await fetch(`http://${metricsAddress}/metrics`)).text());
}

/** Sum of a counter over its label sets. */
export const counter = (samples: ReturnType<typeof parseExposition>, name: string) =>
  samples.filter((s) => s.name === name || s.name === `${name}_total`).reduce((n, s) => n + s.value, 0);

/**
 * A quantile (ms) of a histogram summed over its label sets: the upper bound of the bucket the
 * quantile falls in (the honest answer a bucketed histogram gives). Seconds are turned into ms.
 */
export function histogramQuantile(samples: ReturnType<typeof parseExposition>, base: string, q: number): number | undefined {
  const byLe = new Map<number, number>();
  let scale = 1;
  for (const s of samples) {
    const m = new RegExp(`^${base}(_milliseconds|_seconds)?_bucket$`).exec(s.name);
    if (!m) continue;
    if (m[1] === '_seconds') scale = 1000;
    const le = /le="([^"]+)"/.exec(s.labels)?.[1];
    if (!le) continue;
    const bound = le === '+Inf' ? Infinity : Number(le);
    byLe.set(bound, (byLe.get(bound) ?? 0) + s.value);
  }
  const bounds = [...byLe.keys()].sort((a, b) => a - b);
  const total = byLe.get(Infinity) ?? 0;
  if (total === 0) return undefined;
  const bound = bounds.find((b) => byLe.get(b)! >= q * total)!;
  return bound === Infinity ? Infinity : bound * scale;
}
