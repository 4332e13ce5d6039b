import { WorkflowFailedError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import { ErrorType } from '../../core/errors';
import type { ServiceSpecInput } from '../../core/service-spec';
import { releaseWorkflowId, type ReleaseResult } from '../../core/release/types';
import { promoteUpdate, statusQuery } from '../../workflows/messages';
import { fakeCluster } from './fake-cluster';
import { useTimeSkipping } from './time-skipping';
import { baseSpec } from './base-spec';

// Two releases on one pool at once, sharing its GPU ledger: the second waits for the GPUs the
// first reserved (said in its status) and goes on when the first ends; with no queue budget it is
// refused, naming the first.
const ts = useTimeSkipping();

const spec = (service: string, over: Partial<ServiceSpecInput> = {}, gate = false): ServiceSpecInput =>
  baseSpec({
    service,
    replicas: 1,
    rollout: { steps: [gate ? { weight: 50, gate: 'manual' as const } : { weight: 50, bake: '1m' }], allowSwap: false },
    ...over,
  });

/** The first release, holding its reservation at a manual gate. */
async function firstAtItsGate(taskQueue: string) {
  const first = await ts.env.client.workflow.start('releasePipeline', {
    taskQueue,
    workflowId: releaseWorkflowId('ns', 'llm'),
    args: [{ spec: spec('llm', {}, true) }],
  });
  for (let i = 0; i < 200 && (await first.query(statusQuery)).phase !== 'awaiting-promotion'; i++)
    await new Promise((r) => setTimeout(r, 50));
  return first;
}

describe('GPU reservations between concurrent releases (time skipping)', () => {
  it('queues the second release until the first gives its GPUs back, then promotes it', async () => {
    const cluster = fakeCluster({ nodes: 2, usedPerNode: [8, 0], stableReplicas: 1 });
    await ts.withWorker(cluster.activities, async (taskQueue) => {
      const first = await firstAtItsGate(taskQueue);
      expect(cluster.ledger().reservations.map((r) => r.holder)).toEqual(['release:ns.llm']);
      const second = await ts.env.client.workflow.start('releasePipeline', {
        taskQueue,
        workflowId: releaseWorkflowId('ns', 'other'),
        args: [{ spec: spec('other') }],
      });
      let waiting: string | undefined;
      for (let i = 0; i < 200 && !waiting; i++) {
        waiting = (await second.query(statusQuery)).lastReason;
        if (!waiting) await new Promise((r) => setTimeout(r, 50));
      }
      expect(waiting).toMatch(/^waiting for GPUs on pool a100: release:ns\.llm \(v2\) reserved 16 GPUs, 16 not placed yet$/);
      expect((await second.query(statusQuery)).phase).toBe('planning');
      await first.executeUpdate(promoteUpdate, { args: [{ approver: 'ci' }] });
      expect(((await first.result()) as ReleaseResult).outcome).toBe('promoted');
      expect(((await second.result()) as ReleaseResult).outcome).toBe('promoted');
    });
    expect(cluster.ledger().reservations).toEqual([]); // both gave theirs back
  });

  it('refuses at once with no queue budget, naming the release holding the GPUs', async () => {
    const cluster = fakeCluster({ nodes: 2, usedPerNode: [8, 0], stableReplicas: 1 });
    await ts.withWorker(cluster.activities, async (taskQueue) => {
      const first = await firstAtItsGate(taskQueue);
      const err = await ts.env.client.workflow
        .execute('releasePipeline', {
          taskQueue,
          workflowId: releaseWorkflowId('ns', 'other'),
          args: [{ spec: spec('other', { gpu: { pool: 'a100', perReplica: 8, queueBudget: '0s' } }) }],
        })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
      expect(cause.type).toBe(ErrorType.GpuCapacityExhausted);
      expect(cause.message).toMatch(
        /^GPUs on pool a100 are reserved by releases in flight: release:ns\.llm \(v2\) reserved 16 GPUs, 16 not placed yet$/,
      );
      expect(cause.details?.[0]).toMatchObject({ outcome: 'refused', failedIn: 'planning' });
      await first.terminate('test over');
    });
  });
});
