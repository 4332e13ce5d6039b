/** GPU pools of kwok nodes added for a test or a bench, and removed after it. */
import type { Kube } from '../../activities/kubernetes/client';

const nodeName = (pool: string, i: number) => `gpu-${pool}-${String(i).padStart(3, '0')}`;

/** `count` kwok nodes of 8 GPUs each in `pool`, labelled and tainted as the stack's other GPU nodes; resolves once Ready. */
export async function addKwokGpuPool(kube: Kube, pool: string, count: number): Promise<void> {
  const gpus = '8';
  const resources = { cpu: '96', memory: '1360Gi', pods: '110', 'ephemeral-storage': '1Ti', 'nvidia.com/gpu': gpus };
  for (let i = 0; i < count; i++) {
    await kube.core
      .createNode({
        body: {
          metadata: {
            name: nodeName(pool, i),
            annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
            labels: {
              'kubernetes.io/hostname': nodeName(pool, i),
              'kubernetes.io/os': 'linux',
              'kubernetes.io/arch': 'amd64',
              type: 'kwok',
              pool,
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
    const nodes = (await kube.core.listNode({ labelSelector: `pool=${pool}` })).items;
    const ready = nodes.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
    if (ready >= count) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

export async function removeKwokGpuPool(kube: Kube, pool: string): Promise<void> {
  await kube.core.deleteCollectionNode({ labelSelector: `pool=${pool}` }).catch(() => undefined);
}
