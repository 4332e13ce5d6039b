/**
 * Starting and steering releases from outside the worker (CLI, webhook, tests): one place that
 * knows the workflow's ID scheme, its messages and how a conflict is reported.
 */
import {
  WorkflowExecutionAlreadyStartedError,
  type Client,
  type WorkflowClient,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import { ServiceSpec, type ServiceSpecInput } from '../core/service-spec';
import { DEFAULT_TASK_QUEUE } from '../core/task-queue';
import { describeIssues } from '../core/validation';
import { ErrorType } from '../core/errors';
import { randomUUID } from 'node:crypto';
import { failureText } from './workflow-failure';
import { withLiveObservation } from './live-status';
import { failureType } from '../workflows/failures';
import type { inspectGpuPools } from '../workflows/inspect-gpu-pools';
import { pollUntilSettled, type FollowOptions } from './follow';
import { runningRollback } from './rollbacks';
import { statusQuery } from '../workflows/messages';
import { releaseWorkflowId, type GitHubDeploymentTarget, type ReleaseResult, type ReleaseStatus } from '../core/release/types';
import type { releasePipeline } from '../workflows/release-pipeline';

export class InvalidSpecError extends Error {
  override name = 'InvalidSpecError';
}

/** A release of the service is already running: this one is refused, and says which is running. */
export class ReleaseInProgressError extends Error {
  override name = 'ReleaseInProgressError';
  constructor(
    readonly workflowId: string,
    readonly running: ReleaseStatus | undefined,
    requestedVersion: string,
    why?: string,
  ) {
    super(
      why
        ? `release ${requestedVersion} refused: ${why}; wait for it to end`
        : `release ${requestedVersion} refused: ${running ? `release ${running.version} of ${running.namespace}/${running.service} is ${running.phase}${running.step ? ` (step ${running.step.index}/${running.step.of})` : ''}` : 'another release is running'} as workflow ${workflowId}; wait for it, or abort it first`,
    );
  }
}

export function validateSpec(input: unknown): ServiceSpec {
  const parsed = ServiceSpec.safeParse(input);
  if (!parsed.success) throw new InvalidSpecError(`invalid service spec: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

export interface StartReleaseOptions {
  taskQueue?: string;
  requestedBy?: string;
  /** Report the release as a GitHub Deployment of this repository and ref. */
  github?: GitHubDeploymentTarget;
  /**
   * Ask the worker whether the spec's GPU pool exists before starting (a typo refused here, not
   * in a failed workflow). Skipped when no worker answers within this many ms (the release
   * refuses it itself then). Unset: no check.
   */
  checkPoolWithinMs?: number;
}

/** An unknown GPU pool, as the worker's pool inspection reports it; anything else (no worker, a timeout) is not a refusal. */
async function checkPool(client: Client, spec: ServiceSpec, taskQueue: string, withinMs: number): Promise<void> {
  try {
    await client.workflow.execute<typeof inspectGpuPools>('inspectGpuPools', {
      taskQueue,
      workflowId: `inspect-gpu-pools:${spec.namespace}.${spec.service}:${randomUUID()}`,
      args: [{ pools: [spec.gpu.pool], poolLabel: spec.gpu.poolLabel }],
      workflowExecutionTimeout: withinMs,
    });
  } catch (err) {
    if (failureType(err, '') === ErrorType.GpuPoolNotFound)
      throw new InvalidSpecError(`invalid service spec: gpu.pool: ${failureText(err)}`);
  }
}

export async function startRelease(
  client: Client,
  spec: ServiceSpecInput,
  opts: StartReleaseOptions = {},
): Promise<WorkflowHandleWithFirstExecutionRunId<typeof releasePipeline>> {
  const valid = validateSpec(spec); // refuse bad input before anything reaches history
  // A pool that scales may have no nodes yet.
  if (opts.checkPoolWithinMs && !valid.gpu.autoscaling)
    await checkPool(client, valid, opts.taskQueue ?? DEFAULT_TASK_QUEUE, opts.checkPoolWithinMs);
  const workflowId = releaseWorkflowId(valid.namespace, valid.service);
  // An on-call rollback owns the service until it ends (its own release then holds the ID).
  const rollback = await runningRollback(client, valid.namespace, valid.service);
  if (rollback)
    throw new ReleaseInProgressError(
      workflowId,
      undefined,
      valid.version,
      `an on-call rollback of ${valid.namespace}/${valid.service} by ${rollback.requestedBy} is ${rollback.phase}`,
    );
  try {
    return await client.workflow.start<typeof releasePipeline>('releasePipeline', {
      taskQueue: opts.taskQueue ?? DEFAULT_TASK_QUEUE,
      workflowId,
      args: [{ spec, ...(opts.requestedBy ? { requestedBy: opts.requestedBy } : {}), ...(opts.github ? { github: opts.github } : {}) }],
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    const running = await client.workflow
      .getHandle(workflowId)
      .query(statusQuery)
      .catch(() => undefined);
    throw new ReleaseInProgressError(workflowId, running, valid.version);
  }
}

export const releaseHandle = (client: Client, namespace: string, service: string) =>
  client.workflow.getHandle<typeof releasePipeline>(releaseWorkflowId(namespace, service));

export type { ReleaseResult, ReleaseStatus };

/**
 * Polls a release's status until it ends, calling `onStatus` with each status (for live
 * progress), and returns its result (or throws its failure); a Temporal outage is waited out.
 */
export async function followRelease(
  handle: {
    query: (q: typeof statusQuery) => Promise<ReleaseStatus>;
    result: () => Promise<ReleaseResult>;
    /** A real workflow handle has it: the live analysis of a step's bake is read from its observer. */
    client?: WorkflowClient;
  },
  onStatus: (status: ReleaseStatus) => void,
  intervalMs = 400,
  opts: FollowOptions = {},
): Promise<ReleaseResult> {
  return pollUntilSettled(
    () => handle.result(),
    async () => {
      const status = await handle.query(statusQuery);
      return handle.client ? withLiveObservation(handle.client, status) : status;
    },
    onStatus,
    intervalMs,
    opts,
  );
}
