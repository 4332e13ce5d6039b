/** Reading how a release failed from outside the worker: the typed details its failure carries, never its wording. */
import { ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { asReleaseFailure, type ReleaseFailureDetails } from '../core/release/types';

/** The ReleaseFailureDetails of a release workflow's failure (refused or rolled back), if `err` is one. */
export function releaseFailureOf(err: unknown): ReleaseFailureDetails | undefined {
  const cause = err instanceof WorkflowFailedError ? err.cause : undefined;
  return cause instanceof ApplicationFailure ? asReleaseFailure(cause.details?.[0]) : undefined;
}
