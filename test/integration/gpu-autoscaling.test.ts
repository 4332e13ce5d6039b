import type { V1Node } from '@kubernetes/client-node';
import { createHash, randomBytes } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { startRelease } from '../../client/releases';
import { releaseFailureOf } from '../../client/release-failure';
import type { ServiceSpecInput } from '../../core/service-spec';
import { statusQuery } from '../../workflows/messages';
import { eventually } from '../support/kube';
import { useReleaseHarness } from '../support/harness';

// A pool that grows on demand, as the cluster autoscaler or Karpenter grows it: the release waits
// for the new node (saying so in its status) instead of failing on Insufficient nvidia.com/gpu.
// The "autoscaler" here is the test adding a kwok node to the pool while the release waits.
describe('gpu.autoscaling on the real scheduler', () => {
  const h = useReleaseHarness('scale', 'file');
  const pool = `scale-${randomBytes(3).toString('hex')}`;
  const node = (i: number, gpus: number): V1Node => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: `gpu-${pool}-${i}`,
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: { 'kubernetes.io/hostname': `gpu-${pool}-${i}`, 'kubernetes.io/os': 'linux', type: 'kwok', pool },
    },
    spec: { taints: [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }] },
    status: {
      capacity: { cpu: '48', memory: '192Gi', pods: '110', 'nvidia.com/gpu': String(gpus) },
      allocatable: { cpu: '48', memory: '192Gi', pods: '110', 'nvidia.com/gpu': String(gpus) },
    },
  });
  const nodes: string[] = [];
  const addNode = async (i: number, gpus: number) => {
    const body = node(i, gpus);
    nodes.push(body.metadata!.name!);
    await h.kube.core.createNode({ body });
  };
  afterAll(async () => {
    for (const name of nodes) await h.kube.core.deleteNode({ name }).catch(() => undefined);
  });

  const spec = (version: string, over: Partial<ServiceSpecInput> = {}): ServiceSpecInput => ({
    service: 'llm',
    namespace: h.ns,
    version,
    image: `registry.local/m@sha256:${createHash('sha256').update(version).digest('hex')}`,
    model: { name: 'm' },
    gpu: { pool, perReplica: 2, autoscaling: { scaleUpBudget: '2m' } },
    replicas: 1,
    server: { probePeriod: '1s', preStopDelay: '1s' }, // Ready a second after loading, gone a second after stopping (the 5 s defaults would pace every test)
    container: { env: { SIM_MODEL_LOAD_DELAY: '1s' } },
    rollout: { steps: [{ replicas: 1 }] },
    ...over,
  });
  const release = (s: ServiceSpecInput) => startRelease(h.worker.client, s, { taskQueue: h.worker.taskQueue, requestedBy: 'ci' });

  it('surges on a full pool, says it waits for the new node, and is promoted once the node is there', async () => {
    await addNode(0, 2);
    await (await release(spec('v1'))).result();

    const v2 = await release(spec('v2'));
    const waiting = await eventually(
      'v2 waiting for the pool to scale up',
      async () => {
        const st = await v2.query(statusQuery);
        return /^waiting for pool/.test(st.lastReason ?? '') ? st : undefined;
      },
      60_000,
    );
    expect(waiting.lastReason).toMatch(
      new RegExp(`^waiting for pool ${pool} to scale up: pod llm-.* unschedulable \\(.*Insufficient nvidia.com/gpu`),
    );
    expect(waiting).toMatchObject({ mode: 'surge', replicas: { stable: { ready: 1 } } });
    expect(waiting.plan).toMatch(/0 canary pods fit beside the stable, the pool scales up for the rest/);

    await addNode(1, 2); // the autoscaler's new node
    const result = await v2.result();
    expect(result).toMatchObject({ outcome: 'promoted', version: 'v2', mode: 'surge' });
  });

  it('fails the step with the scale-up budget in its reason when no node comes, leaving the stable serving', async () => {
    // 4 GPUs per replica: no node of the pool has them, and none is added.
    const v3 = spec('v3', { gpu: { pool, perReplica: 4, autoscaling: { scaleUpBudget: '5s' } } });
    const err = await (await release(v3)).result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const failure = releaseFailureOf(err);
    expect(failure).toMatchObject({ outcome: 'rolled-back' });
    expect(failure!.reason).toMatch(/Insufficient nvidia.com\/gpu.*\(the pool did not scale up within 5s: gpu.autoscaling.scaleUpBudget\)/);
    const deployed = (await h.kube.apps.listNamespacedDeployment({ namespace: h.ns })).items;
    expect(deployed.map((d) => [d.metadata!.labels!['app.kubernetes.io/version'], d.spec!.replicas])).toEqual([['v2', 1]]);
  });
});
