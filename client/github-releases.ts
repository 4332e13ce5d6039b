/**
 * Starting a release from a published GitHub release (the webhook receiver's side): one
 * githubRelease workflow per repository and tag, so a redelivered or duplicated event is refused
 * by Temporal itself, and the delivery that started it is kept in its memo.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError, type Client } from '@temporalio/client';
import type { ServiceSpec } from '../core/service-spec';
import { DEFAULT_TASK_QUEUE } from '../core/task-queue';
import { validateSpec } from './releases';
import { runningRollback } from './rollbacks';
import type { GitHubReleaseResult, githubRelease } from '../workflows/github-release';
import { releaseWorkflowId } from '../core/release/types';
import type { PublishedRelease } from '../webhook/release-event';
import { failureText } from './workflow-failure';

export const githubReleaseWorkflowId = (owner: string, repo: string, tag: string) => `github-release:${owner}/${repo}@${tag}`;

export type GitHubStartOutcome =
  /** The release pipeline is running. */
  | { state: 'started'; workflowId: string; releaseWorkflowId: string; releaseRunId: string }
  /** This repository and tag already started (or is starting) a release: nothing new was started. */
  | { state: 'duplicate'; workflowId: string; firstDelivery?: string }
  /** Another release of the service is running; redelivering later starts this one. */
  | { state: 'refused'; workflowId: string; reason: string }
  /** Accepted, but the worker had not picked it up within the wait. */
  | { state: 'accepted'; workflowId: string };

export interface GitHubStartOptions {
  spec: ServiceSpec;
  release: PublishedRelease;
  delivery: string;
  taskQueue?: string;
  /** Linked from deployment statuses; `{workflowId}` is replaced by the release's workflow ID. */
  logUrl?: string;
  environmentUrl?: string;
  /** How long to wait for the release pipeline to start before answering `accepted`. */
  waitMs?: number;
}

export async function startFromGitHubRelease(client: Client, o: GitHubStartOptions): Promise<GitHubStartOutcome> {
  const { release } = o;
  const workflowId = githubReleaseWorkflowId(release.owner, release.repo, release.tag);
  // The release's image and version must make a valid spec too (e.g. a tag GitHub allows but Kubernetes labels do not).
  const spec = validateSpec({ ...o.spec, image: release.image, version: release.version });
  const target = releaseWorkflowId(spec.namespace, spec.service);
  const rollback = await runningRollback(client, spec.namespace, spec.service);
  if (rollback)
    return {
      state: 'refused',
      workflowId,
      reason: `an on-call rollback of ${spec.namespace}/${spec.service} by ${rollback.requestedBy} is ${rollback.phase}; redeliver the webhook once it has ended`,
    };
  let handle;
  try {
    handle = await client.workflow.start<typeof githubRelease>('githubRelease', {
      taskQueue: o.taskQueue ?? DEFAULT_TASK_QUEUE,
      workflowId,
      args: [
        {
          delivery: o.delivery,
          release: {
            spec,
            requestedBy: `github:${release.sender ?? release.owner}`,
            github: {
              owner: release.owner,
              repo: release.repo,
              ref: release.tag,
              ...(o.logUrl ? { logUrl: o.logUrl.replaceAll('{workflowId}', encodeURIComponent(target)) } : {}),
              ...(o.environmentUrl ? { environmentUrl: o.environmentUrl } : {}),
            },
          },
        },
      ],
      memo: { delivery: o.delivery, release: release.url },
      workflowIdConflictPolicy: 'FAIL',
      // A refused start (another release was running) failed: a redelivery may try again.
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    const first = await client.workflow
      .getHandle(workflowId)
      .describe()
      .catch(() => undefined);
    const firstDelivery = first?.memo?.delivery;
    return { state: 'duplicate', workflowId, ...(typeof firstDelivery === 'string' ? { firstDelivery } : {}) };
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), o.waitMs ?? 5000)));
  try {
    const r: GitHubReleaseResult | 'timeout' = await Promise.race([handle.result(), timeout]);
    if (r === 'timeout') return { state: 'accepted', workflowId };
    return { state: 'started', workflowId, ...r };
  } catch (err) {
    if (err instanceof WorkflowFailedError) return { state: 'refused', workflowId, reason: failureText(err) };
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
