/** Reading failures in workflow code: activity failures wrap the ApplicationFailure that says what went wrong. */
import { ApplicationFailure } from '@temporalio/workflow';
import { asReleaseFailure, type ReleaseFailureDetails } from '../core/release/types';

/** The innermost message: the reason, not "Activity task failed". */
export function failureMessage(err: unknown): string {
  let e: unknown = err;
  while (e && typeof e === 'object' && 'cause' in e && (e as { cause?: unknown }).cause) e = (e as { cause: unknown }).cause;
  return (e as Error)?.message ?? String(err);
}

/** The first ApplicationFailure type along the causes, else `fallback`. */
export function failureType(err: unknown, fallback: string): string {
  let e: unknown = err;
  while (e && typeof e === 'object') {
    if (e instanceof ApplicationFailure && e.type) return e.type;
    e = (e as { cause?: unknown }).cause;
  }
  return fallback;
}

/** The ReleaseFailureDetails the release's own failure carries (refused or rolled back), if it is one. */
export function releaseFailureDetails(err: unknown): ReleaseFailureDetails | undefined {
  return err instanceof ApplicationFailure ? asReleaseFailure(err.details?.[0]) : undefined;
}
