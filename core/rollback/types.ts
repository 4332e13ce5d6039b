/** An on-call rollback's input, live status and result (the rollback workflow's, read by the CLI). Pure types. */
import type { ReleaseResult } from '../release/types';

export interface RollbackInput {
  namespace: string;
  service: string;
  /** A revision (hash) or version from the history; unset: the one promoted before the serving one. */
  to?: string;
  reason: string;
  requestedBy: string;
}

export type RollbackPhase = 'preempting' | 'choosing' | 'redeploying' | 'succeeded' | 'unchanged' | 'failed';

export interface RollbackStatus {
  namespace: string;
  service: string;
  phase: RollbackPhase;
  reason: string;
  requestedBy: string;
  startedAt: string;
  /** The release that was running and was told to stop. */
  preempted?: { version: string; phase: string };
  /** Serving when the rollback chose its target. */
  from?: string;
  target?: { revision: string; version: string; image: string };
  /** The release that redeploys the target (under the service's release workflow ID). */
  release?: { workflowId: string; runId: string };
  lastReason?: string;
}

export interface RollbackResult {
  outcome: 'rolled-back' | 'unchanged';
  status: RollbackStatus;
  release?: ReleaseResult;
}

/** One on-call rollback per service at a time; starting it again while it runs attaches to it. */
export const rollbackWorkflowId = (namespace: string, service: string) => `rollback:${namespace}.${service}`;
