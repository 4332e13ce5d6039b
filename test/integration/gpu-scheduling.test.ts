import type { CoreV1Event, V1Deployment, V1Pod } from '@kubernetes/client-node';
import { PER_NODE_LISTS_UP_TO, readPoolCapacity } from '../../activities/kubernetes/capacity';
import type { Kube } from '../../activities/kubernetes/client';
import { createTestNamespace, deleteNamespace, eventually, testKube } from '../support/kube';
import { addKwokGpuPool, removeKwokGpuPool } from '../support/kwok-pool';

// kwok GPU nodes under the real kube-scheduler: placement by pool, readiness after the model-load
// delay, and real accounting of nvidia.com/gpu.
function modelDeployment(name: string, namespace: string, opts: { pool: string; gpus: number; loadDelay: string }): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          nodeSelector: { pool: opts.pool },
          tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
          containers: [
            {
              name: 'server',
              image: 'registry.local/autoglm/model-server:test',
              env: [{ name: 'SIM_MODEL_LOAD_DELAY', value: opts.loadDelay }],
              resources: { limits: { 'nvidia.com/gpu': String(opts.gpus) } },
            },
          ],
        },
      },
    },
  };
}

describe('GPU pools on kwok nodes', () => {
  let kube: Kube;
  let ns: string;
  beforeAll(async () => {
    kube = testKube();
    ns = await createTestNamespace(kube, 'it-gpu');
  });
  afterAll(() => deleteNamespace(kube, ns));

  const podsOf = async (app: string): Promise<V1Pod[]> =>
    (await kube.core.listNamespacedPod({ namespace: ns, labelSelector: `app=${app}` })).items;

  it('places a GPU pod on its pool and makes it Ready only after the model-load delay', async () => {
    await kube.apps.createNamespacedDeployment({
      namespace: ns,
      body: modelDeployment('l4-model', ns, { pool: 'l4', gpus: 4, loadDelay: '3s' }),
    });

    const running = await eventually('pod running', async () => {
      const [pod] = await podsOf('l4-model');
      return pod?.status?.phase === 'Running' ? pod : undefined;
    });
    expect(running.spec?.nodeName).toMatch(/^gpu-l4-/);
    const ready = (p: V1Pod) => p.status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready(running)?.status).toBe('False'); // loading

    const loaded = await eventually('pod ready', async () => {
      const [pod] = await podsOf('l4-model');
      return pod && ready(pod)?.status === 'True' ? pod : undefined;
    });
    const startedAt = new Date(loaded.status!.containerStatuses![0]!.state!.running!.startedAt!).getTime();
    const readyAt = new Date(ready(loaded)!.lastTransitionTime!).getTime();
    // Timestamps have one-second resolution: Ready comes no earlier than the 3 s load allows.
    expect(readyAt - startedAt).toBeGreaterThanOrEqual(2000);

    const capacity = await readPoolCapacity(kube, { pool: 'l4', poolLabel: 'pool' });
    expect(capacity.nodes.find((n) => n.name === loaded.spec!.nodeName)).toMatchObject({ allocatable: 4, requested: 4, free: 0 });
  });

  it('refuses a pod that asks for more GPUs than any node has, with FailedScheduling', async () => {
    await kube.apps.createNamespacedDeployment({
      namespace: ns,
      body: modelDeployment('too-big', ns, { pool: 'a100', gpus: 16, loadDelay: '0s' }),
    });
    const event = await eventually('FailedScheduling event', async () => {
      const events: CoreV1Event[] = (await kube.core.listNamespacedEvent({ namespace: ns, fieldSelector: 'reason=FailedScheduling' }))
        .items;
      return events.find((e) => e.involvedObject.name?.startsWith('too-big-'));
    });
    expect(event.message).toContain('Insufficient nvidia.com/gpu');
    const [pod] = await podsOf('too-big');
    expect(pod?.spec?.nodeName).toBeUndefined();
    expect(pod?.status?.phase).toBe('Pending');
  });

  it('reads a pool of more nodes than it lists one by one from one list of bound pods, counting only its own', async () => {
    const pool = `wide-${ns.slice(-6)}`;
    const nodes = PER_NODE_LISTS_UP_TO + 2;
    await addKwokGpuPool(kube, pool, nodes);
    try {
      for (const [name, gpus, onPool] of [
        ['a', 2, pool],
        ['b', 3, pool],
        ['elsewhere', 1, 'l4'],
      ] as const) {
        await kube.core.createNamespacedPod({
          namespace: ns,
          body: {
            metadata: { name: `wide-${name}`, labels: { app: 'wide' } },
            spec: {
              nodeSelector: { pool: onPool },
              tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists' }],
              containers: [{ name: 'c', image: 'gpu', resources: { limits: { 'nvidia.com/gpu': String(gpus) } } }],
            },
          },
        });
      }
      await eventually('pods bound', async () => ((await podsOf('wide')).every((p) => p.spec?.nodeName) ? true : undefined));
      const capacity = await readPoolCapacity(kube, { pool, poolLabel: 'pool' });
      expect(capacity).toMatchObject({ allocatable: 8 * nodes, requested: 5, free: 8 * nodes - 5, largestFreeOnOneNode: 8 });
      expect(capacity.nodes).toHaveLength(nodes);
    } finally {
      await kube.core.deleteCollectionNamespacedPod({ namespace: ns, labelSelector: 'app=wide', gracePeriodSeconds: 0 });
      await removeKwokGpuPool(kube, pool);
    }
  });
});
