/** A workflow's failure as its caller reads it: the reason the workflow gave, not "Workflow execution failed". */
import { ActivityFailure, ChildWorkflowFailure, WorkflowFailedError } from '@temporalio/client';

/**
 * The first message along the causes that is not a wrapper's: an activity's or child
 * workflow's failure says only "Activity task failed"; the reason is in its cause.
 */
export function failureText(err: unknown): string {
  let e: unknown = err instanceof WorkflowFailedError ? (err.cause ?? err) : err;
  while ((e instanceof ActivityFailure || e instanceof ChildWorkflowFailure) && e.cause) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}
