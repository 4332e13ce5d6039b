/**
 * githubRelease: the one-shot workflow a published GitHub release starts. Its ID is the
 * repository and tag, so Temporal itself refuses a second one for a redelivered or duplicated
 * event; it then starts the service's releasePipeline (ID per service) and leaves it running.
 * When another release of the service is running it fails (ReleaseInProgress), which lets a
 * person redeliver the webhook once that release has ended.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ApplicationFailure, ParentClosePolicy, log, startChild } from '@temporalio/workflow';
import { ErrorType } from '../core/errors';
import { releaseWorkflowId, type ReleaseInput } from '../core/release/types';
import type { releasePipeline } from './release-pipeline';

export interface GitHubReleaseInput {
  /** What the release pipeline gets; its spec is already validated by the receiver. */
  release: ReleaseInput & { spec: { namespace: string; service: string; version: string } };
  /** X-GitHub-Delivery of the event that started it. */
  delivery: string;
}

export interface GitHubReleaseResult {
  releaseWorkflowId: string;
  releaseRunId: string;
}

export async function githubRelease(input: GitHubReleaseInput): Promise<GitHubReleaseResult> {
  const { namespace, service, version } = input.release.spec;
  const workflowId = releaseWorkflowId(namespace, service);
  try {
    const child = await startChild<typeof releasePipeline>('releasePipeline', {
      workflowId,
      args: [input.release],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    });
    log.info('release started from GitHub', { workflowId, delivery: input.delivery, version });
    return { releaseWorkflowId: workflowId, releaseRunId: child.firstExecutionRunId };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    throw ApplicationFailure.nonRetryable(
      `release ${version} not started: another release of ${namespace}/${service} is running (${workflowId}); redeliver the webhook once it has ended`,
      ErrorType.ReleaseInProgress,
    );
  }
}
