/** Starting and following on-call rollbacks from outside the worker (CLI, GitHub Actions, tests). */
import { WorkflowFailedError, type Client, type WorkflowHandle, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { DEFAULT_TASK_QUEUE } from '../core/task-queue';
import { rollbackStatusQuery, statusQuery } from '../workflows/messages';
import { releaseWorkflowId, type ReleaseStatus } from '../core/release/types';
import { rollbackWorkflowId, type RollbackInput, type RollbackResult, type RollbackStatus } from '../core/rollback/types';
import type { rollbackService } from '../workflows/rollback';
import { pollUntilSettled } from './follow';

export class InvalidRollbackError extends Error {
  override name = 'InvalidRollbackError';
}

/**
 * Starts the service's rollback, or attaches to the one already running (starting it twice is
 * harmless: one rollback per service, the second caller follows the first).
 */
export async function startRollback(
  client: Client,
  input: RollbackInput,
  opts: { taskQueue?: string } = {},
): Promise<WorkflowHandleWithFirstExecutionRunId<typeof rollbackService>> {
  if (!input.reason.trim()) throw new InvalidRollbackError('a rollback needs a reason (--reason)');
  return client.workflow.start<typeof rollbackService>('rollbackService', {
    taskQueue: opts.taskQueue ?? DEFAULT_TASK_QUEUE,
    workflowId: rollbackWorkflowId(input.namespace, input.service),
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
  });
}

/** Whether an on-call rollback of the service is running (releases are refused meanwhile). */
export async function runningRollback(client: Client, namespace: string, service: string): Promise<RollbackStatus | undefined> {
  const handle = client.workflow.getHandle(rollbackWorkflowId(namespace, service));
  const d = await handle.describe().catch(() => undefined);
  if (d?.status.name !== 'RUNNING') return undefined;
  return handle.query(rollbackStatusQuery).catch(() => undefined);
}

export interface RollbackProgress {
  rollback: RollbackStatus;
  /** The redeploying release's status, once it runs. */
  release?: ReleaseStatus;
}

/** Polls the rollback (and the release it started) until it ends; returns its result or throws its failure. */
export async function followRollback(
  client: Client,
  handle: WorkflowHandle<typeof rollbackService>,
  onProgress: (p: RollbackProgress) => void,
  intervalMs = 400,
): Promise<RollbackResult> {
  const progress = async (): Promise<RollbackProgress> => {
    const rollback = await handle.query(rollbackStatusQuery);
    const release = rollback.release
      ? await client.workflow
          .getHandle(releaseWorkflowId(rollback.namespace, rollback.service), rollback.release.runId)
          .query(statusQuery)
          .catch(() => undefined)
      : undefined;
    return { rollback, ...(release ? { release } : {}) };
  };
  return pollUntilSettled(() => handle.result(), progress, onProgress, intervalMs);
}

export { WorkflowFailedError };
