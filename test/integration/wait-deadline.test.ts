import type { V1Pod } from '@kubernetes/client-node';
import { MockActivityEnvironment } from '@temporalio/testing';
import { waitForRevision } from '../../activities/kubernetes/wait-ready';
import type { Kube } from '../../activities/kubernetes/client';
import { createTestNamespace, deleteNamespace, eventually, testKube } from '../support/kube';

// The scheduler's first "Insufficient nvidia.com/gpu" may predate deletions it has not seen:
// the wait lets a refusal stand SCHEDULER_SETTLE_MS before it fails the step.
const gpuPod = (name: string, app: string): V1Pod => ({
  metadata: { name, labels: { app } },
  spec: {
    nodeSelector: { pool: 'l4' },
    tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists' }],
    containers: [{ name: 'c', image: 'gpu', resources: { limits: { 'nvidia.com/gpu': '4' } } }],
  },
});

// A step's wait has one budget however often it is retried (a lost worker, a closed watch): the
// deadline counts from the first attempt's scheduling, which Temporal keeps across retries.
describe('waiting for a revision on the real API server', () => {
  let kube: Kube;
  let ns: string;
  beforeAll(async () => {
    kube = testKube();
    ns = await createTestNamespace(kube, 'wait');
  });
  afterAll(() => deleteNamespace(kube, ns));

  const input = () => ({
    namespace: ns,
    selector: 'app=nothing-here',
    replicas: 1,
    budgetMs: 30_000,
    gpuResource: 'nvidia.com/gpu',
    what: 'canary',
  });

  it('a third attempt, scheduled first 40 s ago with a 30 s budget, fails at once with the budget in its reason', async () => {
    const now = Date.now();
    const env = new MockActivityEnvironment({ attempt: 3, scheduledTimestampMs: now - 40_000, currentAttemptScheduledTimestampMs: now });
    const started = Date.now();
    const err = (await env.run(waitForRevision, kube, input()).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/^canary: 0\/1 Ready \(0 pods\) after the 30s budget \(over 3 attempts\); not ready: none$/);
    expect(Date.now() - started).toBeLessThan(10_000); // not a fresh 30 s
  });

  it('a first attempt keeps waiting within its budget', async () => {
    const env = new MockActivityEnvironment({ attempt: 1, scheduledTimestampMs: Date.now() });
    let beats = 0;
    env.on('heartbeat', () => beats++);
    const waiting = env.run(waitForRevision, kube, input()).catch((e: unknown) => e as Error);
    await new Promise((r) => setTimeout(r, 2500));
    env.cancel();
    expect(((await waiting) as Error).message).not.toMatch(/budget/);
    expect(beats).toBeGreaterThan(0);
  });

  it('a pod refused while the GPUs it needs are being freed is waited on, not failed', async () => {
    // Pool l4 is 2 nodes × 4 GPUs: two holders fill it, the late pod is refused until they go.
    for (const name of ['holder-0', 'holder-1']) await kube.core.createNamespacedPod({ namespace: ns, body: gpuPod(name, 'holder') });
    await eventually('holders bound', async () => {
      const pods = (await kube.core.listNamespacedPod({ namespace: ns, labelSelector: 'app=holder' })).items;
      return pods.filter((p) => p.spec?.nodeName).length === 2 ? true : undefined;
    });
    await kube.core.createNamespacedPod({ namespace: ns, body: gpuPod('late', 'late') });
    await eventually('late pod refused', async () => {
      const late = await kube.core.readNamespacedPod({ namespace: ns, name: 'late' });
      const scheduled = late.status?.conditions?.find((c) => c.type === 'PodScheduled');
      return scheduled?.status === 'False' && /Insufficient nvidia\.com\/gpu/.test(scheduled.message ?? '') ? true : undefined;
    });
    const env = new MockActivityEnvironment({ attempt: 1, scheduledTimestampMs: Date.now() });
    const waiting = env.run(waitForRevision, kube, { ...input(), selector: 'app=late' });
    await kube.core.deleteCollectionNamespacedPod({ namespace: ns, labelSelector: 'app=holder', gracePeriodSeconds: 0 });
    await expect(waiting).resolves.toMatchObject({ ready: 1, pods: 1 });
  });
});
