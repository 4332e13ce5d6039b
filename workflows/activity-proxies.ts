/**
 * Every activity the workflows call, proxied once here and grouped by timeout profile, with the
 * retry policies they share. Workflow code imports activities as types only (through these).
 */
import { proxyActivities, type RetryPolicy } from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { BackupActivities } from '../activities/backup';
import type { ProtectionActivities } from '../activities/backup/protection';
import type { RestorePlanActivities } from '../activities/backup/restore-plan';
import type { GitHubActivities } from '../activities/github';
import type { KubernetesActivities } from '../activities/kubernetes';
import type { ModelServiceActivities } from '../activities/model-service';
import type { MetricsActivities } from '../activities/metrics';
import type { SupplyChainActivities } from '../activities/supplychain';
import type { TemporalActivities } from '../activities/temporal';
import type { TrafficActivities } from '../activities/traffic';
import { NON_RETRYABLE_ERROR_TYPES } from '../core/errors';

const nonRetryableErrorTypes = [...NON_RETRYABLE_ERROR_TYPES];

/**
 * Every activity heartbeats while it runs (the worker's keep-alive, worker/keep-alive.ts, at
 * least every 2 s), so a worker lost mid-activity is noticed after this, not after the
 * start-to-close timeout, and the activity is retried on another worker.
 */
const heartbeatTimeout = '8s';

/** Exponential backoff from `initialInterval` up to 30 s between tries; what retrying cannot fix is not retried. */
const retry = (maximumAttempts: number, initialInterval: Duration = '1s'): RetryPolicy => ({
  initialInterval,
  backoffCoefficient: 2,
  maximumInterval: '30s',
  maximumAttempts,
  nonRetryableErrorTypes,
});

/** Calls of a minute at most: Kubernetes reads and writes, traffic, image verification. */
export const cluster = proxyActivities<KubernetesActivities & TrafficActivities & SupplyChainActivities>({
  startToCloseTimeout: '1m',
  heartbeatTimeout,
  retry: retry(10),
});

/** The GPU-pool inspection workflow answers quickly or not at all. */
export const poolInspection = proxyActivities<KubernetesActivities>({ startToCloseTimeout: '30s', heartbeatTimeout, retry: retry(5) });

/** Waits last as long as the model may take to load, plus two minutes; their heartbeats show they are alive. */
export const waitForRevision = (budgetMs: number) =>
  proxyActivities<KubernetesActivities>({ startToCloseTimeout: budgetMs + 120_000, heartbeatTimeout, retry: retry(5) }).waitForRevision;

/** One analysis must finish within two intervals, or it is late evidence: tried twice. */
export const analyzeCanary = (intervalMs: number) =>
  proxyActivities<MetricsActivities>({ startToCloseTimeout: Math.max(10_000, 2 * intervalMs), heartbeatTimeout, retry: retry(2) })
    .analyzeCanary;

export const { goldenPrompts } = proxyActivities<ModelServiceActivities>({ startToCloseTimeout: '2m', heartbeatTimeout, retry: retry(3) });

/** A load test runs for its duration, heartbeating, and resumes from its heartbeat when retried. */
export const runLoadTest = (durationMs: number) =>
  proxyActivities<ModelServiceActivities>({ startToCloseTimeout: durationMs + 120_000, heartbeatTimeout, retry: retry(3) }).runLoadTest;

/** GitHub is told, not asked: five tries, then the caller logs and goes on. */
export const github = proxyActivities<GitHubActivities>({ startToCloseTimeout: '1m', heartbeatTimeout, retry: retry(5, '2s') });

/** Backup and restore steps that are quick (describe, discard, read a timestamp), and cluster reads a drill makes. */
export const drillStep = proxyActivities<BackupActivities & RestorePlanActivities & KubernetesActivities & ModelServiceActivities>({
  startToCloseTimeout: '2m',
  heartbeatTimeout,
  retry: retry(5),
});
/** Copies heartbeat per file; a file is allowed minutes. Ten tries (2.5 minutes of backoff): an object store restarting is waited out. */
export const copying = proxyActivities<BackupActivities>({ startToCloseTimeout: '2h', heartbeatTimeout, retry: retry(10) });

/** Watching a protected service: as long as its watch window, alive by heartbeat (a poll every few seconds). */
export const watchService = (watchMs: number) =>
  proxyActivities<ProtectionActivities>({ startToCloseTimeout: watchMs + 120_000, heartbeatTimeout, retry: retry(10) })
    .waitForServiceChange;
/** Verifying a backup reads every weight blob when full: as long as a copy. */
export const { verifyBackup } = proxyActivities<ProtectionActivities>({
  startToCloseTimeout: '2h',
  heartbeatTimeout,
  retry: retry(5),
});

/** A preempted release rolls back within its own budgets; the wait heartbeats meanwhile. */
export const temporal = proxyActivities<TemporalActivities>({ startToCloseTimeout: '2h', heartbeatTimeout, retry: retry(10) });
