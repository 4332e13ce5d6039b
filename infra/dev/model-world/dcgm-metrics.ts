/**
 * What NVIDIA's dcgm-exporter exposes for one node, as its default counters and labels have it:
 * per GPU `DCGM_FI_DEV_FB_USED` / `DCGM_FI_DEV_FB_FREE` (MiB) and `DCGM_FI_DEV_GPU_UTIL` (%),
 * labelled gpu, UUID, pci_bus_id, device, modelName, Hostname, and — for a GPU a pod holds, as
 * dcgm-exporter learns from the kubelet's pod-resources API — namespace, pod and container. Pure.
 */
import { fnv1a } from '../../../core/hash';

export interface GpuNode {
  name: string;
  /** The GPU product as GPU feature discovery labels it (nvidia.com/gpu.product, spaces as dashes). */
  product: string;
  memoryMiB: number;
  count: number;
}

export interface GpuHolder {
  gpu: number;
  namespace: string;
  pod: string;
  container: string;
  /** Share of the frame buffer in use (0..1) and GPU utilisation (0..100). */
  memoryShare: number;
  utilization: number;
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
/** A stable UUID per node and GPU, in the GPU-xxxxxxxx-xxxx-… form nvidia-smi prints. */
export function gpuUuid(node: string, gpu: number): string {
  const h = [0, 1, 2, 3].map((i) => hex(fnv1a(`${node}/${gpu}/${i}`), 8)).join('');
  return `GPU-${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
const labelText = (labels: Record<string, string>) =>
  `{${Object.entries(labels)
    .map(([k, v]) => `${k}="${escape(v)}"`)
    .join(',')}}`;

const FAMILIES = [
  ['DCGM_FI_DEV_GPU_UTIL', 'GPU utilization (in %).'],
  ['DCGM_FI_DEV_FB_FREE', 'Framebuffer memory free (in MiB).'],
  ['DCGM_FI_DEV_FB_USED', 'Framebuffer memory used (in MiB).'],
] as const;

export function dcgmText(node: GpuNode, holders: readonly GpuHolder[]): string {
  const modelName = node.product.replace(/^NVIDIA-/, 'NVIDIA ');
  const rows = Array.from({ length: node.count }, (_, gpu) => {
    const holder = holders.find((h) => h.gpu === gpu);
    const labels: Record<string, string> = {
      gpu: String(gpu),
      UUID: gpuUuid(node.name, gpu),
      pci_bus_id: `00000000:${hex(0x10 + gpu * 0x10, 2).toUpperCase()}:00.0`,
      device: `nvidia${gpu}`,
      modelName,
      Hostname: node.name,
      ...(holder ? { container: holder.container, namespace: holder.namespace, pod: holder.pod } : {}),
    };
    const used = Math.round(Math.min(1, holder?.memoryShare ?? 0) * node.memoryMiB);
    return {
      labels,
      values: {
        DCGM_FI_DEV_GPU_UTIL: Math.round(holder?.utilization ?? 0),
        DCGM_FI_DEV_FB_FREE: node.memoryMiB - used,
        DCGM_FI_DEV_FB_USED: used,
      },
    };
  });
  return FAMILIES.map(
    ([name, help]) =>
      `# HELP ${name} ${help}\n# TYPE ${name} gauge\n${rows.map((r) => `${name}${labelText(r.labels)} ${r.values[name]}`).join('\n')}\n`,
  ).join('');
}

/** Which GPUs of a node each pod holds: kept while the pod lives, new pods get the lowest free ones. */
export class GpuAllocator {
  private readonly held = new Map<string, number[]>();

  assign(count: number, pods: readonly { key: string; gpus: number }[]): Map<string, number[]> {
    const live = new Set(pods.map((p) => p.key));
    for (const key of this.held.keys()) if (!live.has(key)) this.held.delete(key);
    for (const p of pods) {
      if (this.held.has(p.key)) continue;
      const taken = new Set([...this.held.values()].flat());
      const free = Array.from({ length: count }, (_, i) => i).filter((i) => !taken.has(i));
      if (free.length >= p.gpus) this.held.set(p.key, free.slice(0, p.gpus));
    }
    return new Map(this.held);
  }
}
