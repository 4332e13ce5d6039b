/** Restores into production from outside the worker: one per service at a time, followed live. */
import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { RestoreRequest, restoreWorkflowId, type RestoreRequestInput } from '../core/restore/request';
import type { RestoreResult, RestoreStatus } from '../core/restore/types';
import { DEFAULT_TASK_QUEUE } from '../core/task-queue';
import { describeIssues } from '../core/validation';
import { restoreStatusQuery } from '../workflows/messages';
import type { restoreService } from '../workflows/restore-service';
import { pollUntilSettled } from './follow';

export class InvalidRestoreError extends Error {
  override name = 'InvalidRestoreError';
}
export class RestoreInProgressError extends Error {
  override name = 'RestoreInProgressError';
}

/** Starts the restore; refused (typed) when the request is invalid or a restore of the service runs. */
export async function startRestore(client: Client, request: RestoreRequestInput, opts: { taskQueue?: string } = {}) {
  const parsed = RestoreRequest.safeParse(request);
  if (!parsed.success) throw new InvalidRestoreError(`invalid restore: ${describeIssues(parsed.error)}`);
  const target = parsed.data.toNamespace ?? parsed.data.namespace;
  try {
    return await client.workflow.start<typeof restoreService>('restoreService', {
      taskQueue: opts.taskQueue ?? DEFAULT_TASK_QUEUE,
      workflowId: restoreWorkflowId(target, parsed.data.service),
      args: [{ request }],
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError)
      throw new RestoreInProgressError(`a restore of ${target}/${parsed.data.service} is running`);
    throw err;
  }
}

export const followRestore = (handle: WorkflowHandle<typeof restoreService>, onStatus: (s: RestoreStatus) => void, intervalMs = 500) =>
  pollUntilSettled(
    () => handle.result() as Promise<RestoreResult>,
    () => handle.query(restoreStatusQuery),
    onStatus,
    intervalMs,
  );
