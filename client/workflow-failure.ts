/** A workflow's failure as its caller reads it: the reason the workflow gave, not "Workflow execution failed". */
import { WorkflowFailedError } from '@temporalio/client';

export const failureText = (err: unknown): string =>
  err instanceof WorkflowFailedError ? (err.cause?.message ?? err.message) : err instanceof Error ? err.message : String(err);
