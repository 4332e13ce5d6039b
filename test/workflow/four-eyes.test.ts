import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import type { ServiceSpecInput } from '../../core/service-spec';
import { releaseWorkflowId, type ReleaseResult } from '../../core/release/types';
import { promoteUpdate, statusQuery } from '../../workflows/messages';
import { fakeCluster } from './fake-cluster';
import { useTimeSkipping } from './time-skipping';
import { baseSpec } from './base-spec';

// A manual gate with an approval policy: only listed approvers pass it, never the one who
// started the release (four-eyes); who approved is recorded in the status and the result.
const ts = useTimeSkipping();

const spec = (approval: { approvers: string[]; fourEyes?: boolean }): ServiceSpecInput =>
  baseSpec({ rollout: { steps: [{ weight: 50, gate: 'manual' }], approval } });

const refusal = async (p: Promise<unknown>) => {
  const err = await p.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  return ((err as WorkflowUpdateFailedError).cause as Error).message;
};

describe('four-eyes approval at a manual gate (time skipping)', () => {
  it('refuses the requester and strangers, accepts another approver, and records who', async () => {
    const cluster = fakeCluster({ nodes: 2, usedPerNode: [8, 0], stableReplicas: 1 });
    const result = await ts.withWorker(cluster.activities, async (taskQueue) => {
      const handle = await ts.env.client.workflow.start('releasePipeline', {
        taskQueue,
        workflowId: releaseWorkflowId('ns', 'llm'),
        args: [{ spec: spec({ approvers: ['cert:bob', 'cert:carol'] }), requestedBy: 'cert:bob' }],
      });
      for (let i = 0; i < 200 && (await handle.query(statusQuery)).phase !== 'awaiting-promotion'; i++)
        await new Promise((r) => setTimeout(r, 50));
      const promote = (approver: string) => handle.executeUpdate(promoteUpdate, { args: [{ approver }] });
      expect(await refusal(promote('cert:bob'))).toBe('four-eyes: cert:bob started this release, so another approver must promote it');
      expect(await refusal(promote('cert:mallory'))).toBe('cert:mallory may not approve this release (approvers: cert:bob, cert:carol)');
      expect(await refusal(promote(' '))).toBe('a promotion needs an approver');
      expect((await handle.query(statusQuery)).phase).toBe('awaiting-promotion');
      expect(await promote('cert:carol')).toEqual({ accepted: true, step: 1 });
      return (await handle.result()) as ReleaseResult;
    });
    expect(result.outcome).toBe('promoted');
    expect(result.status.approvals).toEqual([{ step: 1, by: 'cert:carol', at: expect.any(String) }]);
  });

  it('with fourEyes: false, the requester may promote if listed', async () => {
    const cluster = fakeCluster({ nodes: 2, usedPerNode: [8, 0], stableReplicas: 1 });
    const result = await ts.withWorker(cluster.activities, async (taskQueue) => {
      const handle = await ts.env.client.workflow.start('releasePipeline', {
        taskQueue,
        workflowId: releaseWorkflowId('ns', 'llm'),
        args: [{ spec: spec({ approvers: ['cert:bob'], fourEyes: false }), requestedBy: 'cert:bob' }],
      });
      for (let i = 0; i < 200 && (await handle.query(statusQuery)).phase !== 'awaiting-promotion'; i++)
        await new Promise((r) => setTimeout(r, 50));
      await handle.executeUpdate(promoteUpdate, { args: [{ approver: 'cert:bob' }] });
      return (await handle.result()) as ReleaseResult;
    });
    expect(result.status.approvals).toEqual([{ step: 1, by: 'cert:bob', at: expect.any(String) }]);
  });

  it('refuses to start a four-eyes release whose requester is unknown, before any change', async () => {
    const cluster = fakeCluster({ nodes: 2, usedPerNode: [8, 0], stableReplicas: 1 });
    const err = await ts.withWorker(cluster.activities, (taskQueue) =>
      ts.env.client.workflow
        .execute('releasePipeline', {
          taskQueue,
          workflowId: releaseWorkflowId('ns', 'llm'),
          args: [{ spec: spec({ approvers: ['cert:bob'] }) }],
        })
        .catch((e: unknown) => e),
    );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(((err as WorkflowFailedError).cause as ApplicationFailure).message).toMatch(
      /four-eyes approval needs to know who started the release/,
    );
    expect(cluster.calls.map((c) => c.name)).not.toContain('applyObjects');
  });
});
