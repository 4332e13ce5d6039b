/**
 * rollbackService: an on-call rollback of one service. It wins over a release in flight: tells it
 * to stop (the release rolls itself back, traffic to its stable first), waits until it has, then
 * redeploys the chosen recorded revision as a release of its own under the service's release
 * workflow ID — so never two workflows change the service at once — through its own steps with
 * no bake, gate or analysis.
 * It records who asked and why (revision history, GitHub deployment, workflow status).
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ApplicationFailure, ParentClosePolicy, log, patched, setHandler, startChild, workflowInfo } from '@temporalio/workflow';
import { ErrorType } from '../core/errors';
import { chooseRollbackTarget, rollbackSpec, type RollbackChoice } from '../core/revision-history';
import { rollbackStatusQuery } from './messages';
import { releaseWorkflowId } from '../core/release/types';
import type { RollbackInput, RollbackResult, RollbackStatus } from '../core/rollback/types';
import { cluster as k8s, temporal } from './activity-proxies';
import { recordOnCallRollback } from './metrics';
import type { releasePipeline } from './release-pipeline';

/** A release that slips in between the wait and the start is preempted too, this many times. */
const MAX_TAKEOVERS = 5;

export async function rollbackService(input: RollbackInput): Promise<RollbackResult> {
  const { namespace, service } = input;
  const status: RollbackStatus = {
    namespace,
    service,
    phase: 'preempting',
    reason: input.reason,
    requestedBy: input.requestedBy,
    startedAt: new Date().toISOString(),
  };
  setHandler(rollbackStatusQuery, () => status);
  if (!input.reason.trim()) throw ApplicationFailure.nonRetryable('an on-call rollback needs a reason', ErrorType.InvalidInput);
  const releaseId = releaseWorkflowId(namespace, service);

  for (let takeover = 1; ; takeover++) {
    status.phase = 'preempting';
    const ended = await temporal.preemptRelease({ namespace, service, reason: input.reason, by: input.requestedBy });
    if (ended.wasRunning) status.preempted ??= ended.wasRunning;

    status.phase = 'choosing';
    const [history, state] = await Promise.all([
      k8s.readRevisionHistory({ namespace, service }),
      k8s.readServiceState({ namespace, service }),
    ]);
    status.from = state.stableRevision;
    // Since this patch, stopping a release in flight is the rollback: its stable stays (before, one revision further back).
    const stopped = ended.stoppedBeforePromotion && ended.wasRunning && patched('rollback-keeps-stable') ? ended.wasRunning : undefined;
    const choice = chooseRollbackTarget(history, state.stableRevision, input.to, stopped);
    if (choice.kind === 'impossible') {
      recordOnCallRollback('impossible');
      status.phase = 'failed';
      status.lastReason = choice.reason;
      throw ApplicationFailure.nonRetryable(
        `rollback of ${namespace}/${service} impossible: ${choice.reason}`,
        choice.unknownService ? ErrorType.ServiceNotFound : ErrorType.InvalidInput,
      );
    }
    if (choice.kind === 'unchanged') {
      status.phase = 'unchanged';
      recordOnCallRollback('unchanged');
      status.lastReason = choice.reason;
      return { outcome: 'unchanged', status };
    }
    if (choice.kind === 'kept') return keptServing(input, status, choice);
    const { record } = choice;
    status.target = { revision: record.revision, version: record.version, image: record.image };
    let child;
    try {
      child = await startChild<typeof releasePipeline>('releasePipeline', {
        workflowId: releaseId,
        args: [
          {
            spec: rollbackSpec(record.spec),
            requestedBy: `${input.requestedBy} (on-call rollback)`,
            rollback: { reason: input.reason, by: input.requestedBy },
            ...(record.github ? { github: record.github } : {}),
          },
        ],
        // Cancelling the rollback cancels its release, which then restores what was there.
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError) || takeover >= MAX_TAKEOVERS) throw err;
      log.warn('a release started meanwhile: preempting it too', { takeover });
      continue;
    }
    status.phase = 'redeploying';
    status.release = { workflowId: releaseId, runId: child.firstExecutionRunId };
    try {
      const release = await child.result();
      status.phase = 'succeeded';
      recordOnCallRollback('rolled-back');
      status.lastReason = `${record.version} (${record.revision}) serving again`;
      return { outcome: 'rolled-back', status, release };
    } catch (err) {
      status.phase = 'failed';
      recordOnCallRollback('failed');
      status.lastReason = (err as Error).message;
      throw err;
    }
  }
}

/**
 * The release in flight was stopped and put back the revision serving before it: recorded in the
 * revision history as this rollback's (who and why), so the history says what on call did.
 */
async function keptServing(
  input: RollbackInput,
  status: RollbackStatus,
  choice: Extract<RollbackChoice, { kind: 'kept' }>,
): Promise<RollbackResult> {
  const { record } = choice;
  status.target = { revision: choice.revision, version: record?.version ?? 'unknown', image: record?.image ?? 'unknown' };
  if (record) {
    const { workflowId, runId } = workflowInfo();
    // Best effort, as a release's record: the service is as asked either way.
    await k8s
      .recordRevision({
        namespace: input.namespace,
        service: input.service,
        record: {
          ...record,
          kind: 'rollback',
          at: new Date().toISOString(),
          by: input.requestedBy,
          reason: input.reason,
          madeBy: `${workflowId}/${runId}`,
        },
      })
      .catch((err: unknown) => log.warn('could not record the rollback in the history', { error: (err as Error).message }));
  } else {
    log.warn('the serving revision is not in the history: nothing recorded', { revision: choice.revision });
  }
  status.phase = 'succeeded';
  status.lastReason = choice.reason;
  recordOnCallRollback('rolled-back');
  return { outcome: 'rolled-back', status };
}
