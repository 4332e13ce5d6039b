import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { ErrorType } from '../../core/errors';
import type { ServiceSpecInput } from '../../core/service-spec';
import { abortUpdate, statusQuery } from '../../workflows/messages';
import { releaseWorkflowId } from '../../core/release/types';
import { fakeCluster } from './fake-cluster';
import { useTimeSkipping } from './time-skipping';
import { baseSpec } from './base-spec';

// Control flow of releasePipeline with scripted activities, on Temporal's time-skipping test
// server: hours of bake time and gate timeouts pass at once. Canary analysis is off here (its own file).
const ts = useTimeSkipping();
const env = {
  get client() {
    return ts.env.client;
  },
};
const withWorker = <T>(cluster: ReturnType<typeof fakeCluster>, fn: (taskQueue: string) => Promise<T>) =>
  ts.withWorker(cluster.activities, fn);

const spec = (over: Partial<ServiceSpecInput['rollout']> = {}): ServiceSpecInput =>
  baseSpec({ rollout: { steps: [{ weight: 50, bake: '2h' }], ...over } });

const names = (cluster: ReturnType<typeof fakeCluster>) => cluster.calls.map((c) => c.name);

describe('releasePipeline control flow (time skipping)', () => {
  it('bakes each step for its full bake time, then promotes (swap on a full pool)', async () => {
    const cluster = fakeCluster({ nodes: 2, usedPerNode: [8, 8], stableReplicas: 2 });
    const result = await withWorker(cluster, (taskQueue) =>
      env.client.workflow.execute('releasePipeline', { taskQueue, workflowId: releaseWorkflowId('ns', 'llm'), args: [{ spec: spec() }] }),
    );
    expect(result).toMatchObject({ outcome: 'promoted', mode: 'swap' });
    expect(result.status.timings.canary).toBeGreaterThanOrEqual(2 * 3600_000); // the bake, in workflow time
    // swap: the stable shrinks before the canary grows
    const scales = cluster.calls.filter((c) => c.name === 'scaleRevision').map((c) => c.input as { deployment: string; replicas: number });
    expect(scales[0]).toMatchObject({ deployment: 'llm-stable01', replicas: 1 });
    expect(scales[1]!.deployment).not.toBe('llm-stable01');
    // The old stable's pods are waited gone before its Deployment is deleted (they hold GPUs until then).
    expect(names(cluster).slice(-5)).toEqual(['settleTraffic', 'scaleRevision', 'waitForRevision', 'deleteObjects', 'recordRevision']);
    expect(cluster.history[0]).toMatchObject({
      kind: 'release',
      version: expect.any(String),
      madeBy: expect.stringMatching(/^release:ns\.llm\//),
    });
  });

  it('refuses a blocked plan before any change', async () => {
    const cluster = fakeCluster({ nodes: 2, usedPerNode: [8, 8], stableReplicas: 2 });
    const err = await withWorker(cluster, (taskQueue) =>
      env.client.workflow.execute('releasePipeline', {
        taskQueue,
        workflowId: releaseWorkflowId('ns', 'llm'),
        args: [{ spec: spec({ allowSwap: false }) }],
      }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const refused = (err as WorkflowFailedError).cause as ApplicationFailure;
    expect(refused.type).toBe(ErrorType.GpuCapacityExhausted);
    // How it ended is in the failure's typed details, not only in its wording.
    expect(refused.details?.[0]).toMatchObject({ outcome: 'refused', failedIn: 'planning', missingGpus: expect.any(Number) });
    expect((refused.details?.[0] as { missingGpus: number }).missingGpus).toBeGreaterThan(0);
    expect(names(cluster)).toEqual(['readServiceState', 'readPoolCapacity']);
  });

  it('a release refused for capacity after its image was pinned fails in planning, not in verifying', async () => {
    const cluster = fakeCluster({ nodes: 2, usedPerNode: [8, 8], stableReplicas: 2 });
    const err = await withWorker(cluster, (taskQueue) =>
      env.client.workflow.execute('releasePipeline', {
        taskQueue,
        workflowId: releaseWorkflowId('ns', 'llm'),
        args: [{ spec: { ...spec({ allowSwap: false }), image: 'registry.local/img:v2' } }],
      }),
    ).catch((e: unknown) => e);
    const refused = (err as WorkflowFailedError).cause as ApplicationFailure;
    expect(names(cluster)).toEqual(['verifyImage', 'readServiceState', 'readPoolCapacity']);
    expect(refused.details?.[0]).toMatchObject({ outcome: 'refused', failedIn: 'planning' });
  });

  it('an abort during the bake rolls back at once: traffic to stable first, then the canary goes, then the stable is restored', async () => {
    const cluster = fakeCluster({ nodes: 2, usedPerNode: [8, 8], stableReplicas: 2 });
    const result = await withWorker(cluster, async (taskQueue) => {
      const handle = await env.client.workflow.start('releasePipeline', {
        taskQueue,
        workflowId: releaseWorkflowId('ns', 'llm'),
        args: [{ spec: spec({ steps: [{ weight: 50, bake: '10h' }] }) }],
      });
      for (;;) {
        if ((await handle.query(statusQuery)).weights.canary === 50) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      await handle.executeUpdate(abortUpdate, { args: [{ reason: 'operator', by: 'carol' }] });
      return handle.result();
    });
    expect(result).toMatchObject({ outcome: 'rolled-back', reason: 'aborted by carol: operator' });
    expect(result.status.timings.canary ?? 0).toBeLessThan(10 * 3600_000); // did not sit out the bake
    const afterAbort = cluster.calls.slice(cluster.calls.findIndex((c) => c.name === 'setTrafficWeights') + 1).map((c) => c.name);
    expect(afterAbort).toEqual([
      'applyObjects',
      'deleteObjects',
      'scaleRevision',
      'waitForRevision',
      'deleteObjects',
      'applyObjects',
      'scaleRevision',
      'waitForRevision',
    ]);
    const restored = cluster.calls.filter((c) => c.name === 'applyObjects').pop()!.input as { objects: { kind: string }[] };
    expect(restored.objects.map((o) => o.kind)).toEqual(['Deployment']);
  });

  it('a manual gate nobody promotes times out and rolls back', async () => {
    const cluster = fakeCluster({ nodes: 2, usedPerNode: [8, 8], stableReplicas: 2 });
    const err = await withWorker(cluster, (taskQueue) =>
      env.client.workflow.execute('releasePipeline', {
        taskQueue,
        workflowId: releaseWorkflowId('ns', 'llm'),
        args: [{ spec: spec({ steps: [{ weight: 50, gate: 'manual' }], gateTimeout: '3h' }) }],
      }),
    ).catch((e: unknown) => e);
    const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe(ErrorType.GateTimeout);
    expect(cause.message).toMatch(/no promote within 10800s at step 1/);
    expect(names(cluster)).toContain('deleteObjects'); // the canary was removed
    expect(names(cluster)).not.toContain('settleTraffic');
  });

  it('a step whose pods cannot be scheduled fails with that reason and rolls back', async () => {
    const cluster = fakeCluster({
      nodes: 2,
      usedPerNode: [8, 0],
      stableReplicas: 1,
      failWait: (input) =>
        input.replicas === 1 && !input.selector.includes('stable01')
          ? ApplicationFailure.nonRetryable(
              'pod x cannot be scheduled: 0/5 nodes are available: 2 Insufficient nvidia.com/gpu',
              ErrorType.GpuCapacityExhausted,
            )
          : undefined,
    });
    const err = await withWorker(cluster, (taskQueue) =>
      env.client.workflow.execute('releasePipeline', {
        taskQueue,
        workflowId: releaseWorkflowId('ns', 'llm'),
        args: [{ spec: { ...spec(), replicas: 1 } }],
      }),
    ).catch((e: unknown) => e);
    const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe(ErrorType.GpuCapacityExhausted);
    expect(cause.message).toMatch(/release rolled back: .*Insufficient nvidia\.com\/gpu/);
    expect(cause.details?.[0]).toMatchObject({
      outcome: 'rolled-back',
      failedIn: 'canary',
      reason: expect.stringMatching(/Insufficient nvidia\.com\/gpu/),
    });
    expect(names(cluster)).not.toContain('setTrafficWeights'); // traffic never moved
  });
});
