/**
 * The release workflow's messages, shared by the workflow, the CLI and the webhook. Their wire
 * names ('pause', 'status', …) never change: releases in flight depend on them.
 */
import type { Check, Decision } from '../core/analysis/checks';
import type { LoadSummary } from '../core/loadgen/summary';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { BackupSummary, DrillFigures } from '../core/drill/figures';
import type { DrillSpecInput } from '../core/drill/spec';
import type { ServiceSpecInput } from '../core/service-spec';

export type ReleasePhase =
  | 'planning'
  | 'verifying'
  | 'deploying'
  | 'canary'
  | 'awaiting-promotion'
  | 'promoting'
  | 'rolling-back'
  | 'succeeded'
  | 'rolled-back'
  | 'failed';

export interface TrackReplicas {
  revision?: string;
  desired: number;
  ready: number;
}

export interface ReleaseStatus {
  service: string;
  namespace: string;
  version: string;
  phase: ReleasePhase;
  paused: boolean;
  mode?: 'initial' | 'surge' | 'swap';
  plan?: string;
  step?: { index: number; of: number };
  weights: { stable: number; canary: number };
  replicas: { stable: TrackReplicas; canary: TrackReplicas };
  startedAt: string;
  /** Milliseconds spent in each phase so far. */
  timings: Partial<Record<ReleasePhase, number>>;
  lastReason?: string;
  /** The image as deployed (pinned by digest), the signatures that were verified, and (enforcement `warn`) the checks that failed. */
  image?: {
    reference: string;
    digest: string;
    signatures: { format: 'legacy' | 'bundle'; keyId?: string; identity?: { subject?: string; issuer?: string } }[];
    provenance?: { repository?: string; ref?: string; builder?: string };
    violations?: { type: string; message: string }[];
  };
  /** The latest canary analysis: when, the decision and every check with its evidence. */
  analysis?: { step: number; at: string; decision: Decision; checks: Check[] };
  /** Golden prompts of the latest step that sent them. */
  golden?: { step: number; compared: number; mismatches: number };
  /** Load tests run during canary steps (summary and Markdown report each). */
  loadTests?: { step: number; summary: LoadSummary; markdown: string }[];
}

export interface ReleaseInput {
  spec: ServiceSpecInput;
  /** Who or what started it (a person, `github:<delivery>`, …): goes into statuses and reports. */
  requestedBy?: string;
  /** Report the release as a GitHub Deployment of this repository and ref (the release's tag), with statuses. */
  github?: GitHubDeploymentTarget;
  /** Set when an on-call rollback redeploys a recorded revision: recorded in the history as a rollback. */
  rollback?: { reason: string; by: string };
}

export interface GitHubDeploymentTarget {
  owner: string;
  repo: string;
  ref: string;
  /** Linked from each status: where to follow the release (e.g. the Temporal UI). */
  logUrl?: string;
  /** Where the deployed service answers. */
  environmentUrl?: string;
}

export type ReleaseOutcome = 'promoted' | 'rolled-back' | 'unchanged';

export interface ReleaseResult {
  outcome: ReleaseOutcome;
  service: string;
  namespace: string;
  version: string;
  revision: string;
  previousRevision?: string;
  mode?: 'initial' | 'surge' | 'swap';
  reason?: string;
  status: ReleaseStatus;
}

export const pauseSignal = defineSignal<[{ reason?: string }]>('pause');
export const resumeSignal = defineSignal<[]>('resume');
export const promoteUpdate = defineUpdate<{ accepted: true; step: number }, [{ approver: string }]>('promote');
export const abortUpdate = defineUpdate<{ accepted: true; phase: ReleasePhase }, [{ reason: string; by?: string }]>('abort');
export const statusQuery = defineQuery<ReleaseStatus>('status');
/** From an on-call rollback: stop now and roll back (as abort), unless already rolling back or ended. */
export const preemptSignal = defineSignal<[{ reason: string; by: string }]>('preempt');

/** One release per service at a time: the workflow ID is the service, not the version. */
export const releaseWorkflowId = (namespace: string, service: string) => `release:${namespace}.${service}`;

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

export const rollbackStatusQuery = defineQuery<RollbackStatus>('rollback-status');

/** One on-call rollback per service at a time; starting it again while it runs attaches to it. */
export const rollbackWorkflowId = (namespace: string, service: string) => `rollback:${namespace}.${service}`;

export interface DrillInput {
  spec: DrillSpecInput;
}

export type DrillPhase = 'backing-up' | 'restoring' | 'verifying' | 'cleaning-up' | 'reporting' | 'passed' | 'missed-targets' | 'failed';

export interface DrillStatus {
  namespace: string;
  service: string;
  phase: DrillPhase;
  isolatedNamespace: string;
  startedAt: string;
  backup?: BackupSummary;
  figures?: DrillFigures;
  lastReason?: string;
  report?: { title: string; issue?: number };
}

export interface DrillResult {
  outcome: 'passed' | 'missed-targets';
  figures: DrillFigures;
  backup: BackupSummary;
  golden?: { compared: number; mismatches: number };
  report?: { title: string; issue?: number };
  status: DrillStatus;
}

export const drillStatusQuery = defineQuery<DrillStatus>('drill-status');
