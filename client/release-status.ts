/**
 * A release's status as `release status` shows it. While it runs, the workflow answers a query
 * (a worker must be up); once it has ended, the status comes from its result or its failure's
 * details, which Temporal keeps, so no worker is needed.
 */
import { WorkflowFailedError, type Client } from '@temporalio/client';
import type { ReleaseResult, ReleaseStatus } from '../core/release/types';
import { statusQuery } from '../workflows/messages';
import { releaseFailureOf } from './release-failure';
import { failureText } from './workflow-failure';
import { withLiveObservation } from './live-status';

/** The release runs, but no worker answered its status query in time. */
export class NoWorkerAnsweredError extends Error {
  override name = 'NoWorkerAnsweredError';
}

export interface ReleaseView {
  status: ReleaseStatus;
  /** Temporal's status name: RUNNING, COMPLETED, FAILED, TERMINATED, … */
  execution: string;
}

/** A status for an ended run whose failure carries none (releases from before it did, terminated ones). */
function endedWithout(workflowId: string, execution: string, reason: string, startedAt: Date): ReleaseStatus {
  const [, ref = '?'] = workflowId.split(':');
  const [namespace = '?', ...rest] = ref.split('.');
  return {
    service: rest.join('.') || '?',
    namespace,
    version: '?',
    phase: 'failed',
    paused: false,
    weights: { stable: 0, canary: 0 },
    replicas: { stable: { desired: 0, ready: 0 }, canary: { desired: 0, ready: 0 } },
    startedAt: startedAt.toISOString(),
    timings: {},
    lastReason: `${execution.toLowerCase()}: ${reason}`,
  };
}

export async function readReleaseStatus(client: Client, workflowId: string, queryTimeoutMs: number): Promise<ReleaseView> {
  const described = await client.workflow.getHandle(workflowId).describe(); // WorkflowNotFoundError: no release of the service
  // That run, not whatever starts meanwhile.
  const handle = client.workflow.getHandle(workflowId, described.runId);
  const execution = described.status.name;
  if (execution === 'RUNNING') {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new NoWorkerAnsweredError(`${handle.workflowId} is running, but no worker answered within ${queryTimeoutMs / 1000} s`)),
        queryTimeoutMs,
      );
    });
    try {
      const status = await Promise.race([handle.query(statusQuery), late]);
      return { status: await withLiveObservation(client.workflow, status), execution };
    } finally {
      clearTimeout(timer);
    }
  }
  try {
    const result = (await handle.result()) as ReleaseResult;
    return { status: result.status, execution };
  } catch (err) {
    const status = releaseFailureOf(err)?.status;
    if (status) return { status, execution };
    const reason = err instanceof WorkflowFailedError ? failureText(err) : (err as Error).message;
    return { status: endedWithout(workflowId, execution, reason, described.startTime), execution };
  }
}
