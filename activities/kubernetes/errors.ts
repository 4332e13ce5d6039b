import { ApplicationFailure } from '@temporalio/activity';
import { ErrorType } from '../../core/errors';

/** The HTTP status of a failed client-node call, if it got an answer. */
export function statusOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

/**
 * Sorts API errors into what a retry can fix (unreachable, 5xx, 429, conflicts) and what it cannot
 * (401/403: the worker lacks permission; 422: the object is invalid).
 */
export function classifyKubeError(err: unknown, what: string): Error {
  const status = statusOf(err);
  const detail = (err as Error).message?.split('\n')[0] ?? String(err);
  if (status === 401 || status === 403) {
    return ApplicationFailure.nonRetryable(`${what}: forbidden (${status}): ${detail}`, ErrorType.KubernetesForbidden);
  }
  if (status === 400 || status === 422) {
    return ApplicationFailure.nonRetryable(`${what}: rejected (${status}): ${detail}`, ErrorType.InvalidInput);
  }
  return ApplicationFailure.retryable(`${what}: ${detail}`, ErrorType.KubernetesUnavailable);
}
