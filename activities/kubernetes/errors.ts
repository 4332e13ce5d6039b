import { ApplicationFailure } from '@temporalio/activity';
import { ErrorType } from '../../core/errors';

/** The HTTP status of a failed client-node call, if it got an answer. */
export function statusOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

/**
 * The API server's own reason for a failed call (its Status body's message, e.g. "failed to
 * allocate a serviceIP: range is full"), which client-node's error message leaves out.
 */
export function statusMessageOf(err: unknown): string | undefined {
  const body = (err as { body?: unknown }).body;
  let status: unknown = body;
  if (typeof body === 'string') {
    try {
      status = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  const message = (status as { kind?: unknown; message?: unknown } | null)?.message;
  const code = statusOf(err);
  return typeof message === 'string' && message !== '' ? `HTTP ${code ?? '?'}: ${message}` : undefined;
}

/**
 * Sorts API errors into what a retry can fix (unreachable, 5xx, 429, conflicts) and what it cannot
 * (401/403: the worker lacks permission; 422: the object is invalid).
 */
export function classifyKubeError(err: unknown, what: string): Error {
  const status = statusOf(err);
  const detail = statusMessageOf(err) ?? (err as Error).message?.split('\n')[0] ?? String(err);
  if (status === 401 || status === 403) {
    return ApplicationFailure.nonRetryable(`${what}: forbidden (${status}): ${detail}`, ErrorType.KubernetesForbidden);
  }
  if (status === 400 || status === 422) {
    return ApplicationFailure.nonRetryable(`${what}: rejected (${status}): ${detail}`, ErrorType.InvalidInput);
  }
  return ApplicationFailure.retryable(`${what}: ${detail}`, ErrorType.KubernetesUnavailable);
}
