/**
 * What bench:scale needs around the worker: a GPU pool big enough for hundreds of services (kwok
 * nodes, removed afterwards), the worker's Prometheus endpoint read as histograms and counters,
 * and a process's resident memory from /proc.
 */
import { readFileSync } from 'node:fs';
import type { Kube } from '../activities/kubernetes/client';
import { deleteNamespacesLabelled } from '../test/support/kube';
import { addKwokGpuPool, removeKwokGpuPool } from '../test/support/kwok-pool';

export const SCALE_POOL = 'scale';

/** `count` kwok nodes of 8 GPUs each in the bench's pool. */
export const addScalePool = (kube: Kube, count: number) => addKwokGpuPool(kube, SCALE_POOL, count);
export const removeScalePool = (kube: Kube) => removeKwokGpuPool(kube, SCALE_POOL);

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
