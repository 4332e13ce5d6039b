/** Reading how a release failed from outside the worker: the typed details its failure carries, never its wording. */
import { ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { asReleaseFailure, type ReleaseFailureDetails } from '../core/release/types';

/** The ReleaseFailureDetails of a release workflow's failure (refused or rolled back), if `err` is one. */
export function releaseFailureOf(err: unknown): ReleaseFailureDetails | undefined {
  const cause = err instanceof WorkflowFailedError ? err.cause : undefined;
  return cause instanceof ApplicationFailure ? asReleaseFailure(cause.details?.[0]) : undefined;
}

/** The failure's message, as the workflow said it (the reason, not "Workflow execution failed"). */
export const failureText = (err: unknown): string =>
  err instanceof WorkflowFailedError ? (err.cause?.message ?? err.message) : err instanceof Error ? err.message : String(err);
