import { MockActivityEnvironment } from '@temporalio/testing';
import { waitForRevision } from '../../activities/kubernetes/wait-ready';
import type { Kube } from '../../activities/kubernetes/client';
import { createTestNamespace, deleteNamespace, testKube } from '../support/kube';

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
});
