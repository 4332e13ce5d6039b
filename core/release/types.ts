/**
 * A release's input, live status and result: what the release workflow returns and answers, and
 * what the CLI, the webhook, the demo and the GitHub report read. Pure types (and the workflow ID).
 */
import type { AnalysisReport } from '../analysis/checks';
import type { LoadSummary } from '../loadgen/summary';
import type { RolloutMode } from '../rollout-plan';
import type { ServiceSpecInput } from '../service-spec';
import type { VerifiedImage } from '../verified-image';

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

export const TERMINAL_RELEASE_PHASES: readonly ReleasePhase[] = ['succeeded', 'rolled-back', 'failed'];

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
  mode?: RolloutMode;
  plan?: string;
  step?: { index: number; of: number };
  weights: { stable: number; canary: number };
  replicas: { stable: TrackReplicas; canary: TrackReplicas };
  startedAt: string;
  /** Milliseconds spent in each phase so far. */
  timings: Partial<Record<ReleasePhase, number>>;
  lastReason?: string;
  /** The image as deployed (pinned by digest), the signatures that were verified, and (enforcement `warn`) the checks that failed. */
  image?: VerifiedImage;
  /** The latest canary analysis: when, the decision and every check with its evidence. */
  analysis?: { step: number } & AnalysisReport;
  /** Golden prompts of the latest step that sent them. */
  golden?: { step: number; compared: number; mismatches: number };
  /** Load tests run during canary steps (summary and Markdown report each). */
  loadTests?: { step: number; summary: LoadSummary; markdown: string }[];
  /** Manual gates passed: at which step, by whom, when. */
  approvals?: { step: number; by: string; at: string }[];
  /** While a step's bake runs in its own workflow: that workflow's ID (its `observation` query is the live analysis). */
  observer?: string;
}

/** What a canary step's observation reports: the latest analysis, golden prompts and load tests. */
export type StepObservation = Pick<ReleaseStatus, 'analysis' | 'golden' | 'loadTests' | 'lastReason'>;

export interface GitHubDeploymentTarget {
  owner: string;
  repo: string;
  ref: string;
  /** Linked from each status: where to follow the release (e.g. the Temporal UI). */
  logUrl?: string;
  /** Where the deployed service answers. */
  environmentUrl?: string;
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

export type ReleaseOutcome = 'promoted' | 'rolled-back' | 'unchanged';

export interface ReleaseResult {
  outcome: ReleaseOutcome;
  service: string;
  namespace: string;
  version: string;
  revision: string;
  previousRevision?: string;
  mode?: RolloutMode;
  reason?: string;
  status: ReleaseStatus;
}

/**
 * How a release that failed ended, carried as the details of its failure: `refused` before
 * anything changed (spec, image, capacity, service objects), `rolled-back` once something was
 * deployed and then undone. Readers take this, never the message's wording.
 */
export interface ReleaseFailureDetails {
  outcome: 'refused' | 'rolled-back';
  /** The phase that failed (`verifying`, `planning`, `canary`, …). */
  failedIn: ReleasePhase;
  reason: string;
  /** The latest analysis, when one was made (its checks are the evidence). */
  analysis?: ReleaseStatus['analysis'];
  /** A capacity refusal: GPUs missing for the plan. */
  missingGpus?: number;
  /** The release's status as it ended: what `release status` shows once the release is over, with no worker needed. */
  status?: ReleaseStatus;
}

const OUTCOMES: readonly string[] = ['refused', 'rolled-back'] satisfies ReleaseFailureDetails['outcome'][];

/** The details of a release failure, when `details` (an ApplicationFailure's first detail) is one. */
export function asReleaseFailure(details: unknown): ReleaseFailureDetails | undefined {
  const d = details as Partial<ReleaseFailureDetails> | undefined;
  return d && typeof d === 'object' && typeof d.outcome === 'string' && OUTCOMES.includes(d.outcome) && typeof d.reason === 'string'
    ? (d as ReleaseFailureDetails)
    : undefined;
}

/** One release per service at a time: the workflow ID is the service, not the version. */
export const releaseWorkflowId = (namespace: string, service: string) => `release:${namespace}.${service}`;
