/**
 * The pipeline's own metrics, emitted from workflow code through Temporal's metric meter (the
 * SDK drops them during replay, so each counts once) and exported with the SDK's metrics on the
 * worker's Prometheus endpoint (AUTOGLM_METRICS_ADDRESS).
 */
import { metricMeter } from '@temporalio/workflow';
import type { ReleaseStatus } from '../core/release/types';

const releases = metricMeter.createCounter('autoglm_releases', 'releases', 'Releases ended, by outcome and environment');
const rollbacks = metricMeter.createCounter(
  'autoglm_rollbacks',
  'rollbacks',
  'Releases rolled back, by reason (the failure type, or aborted)',
);
const phaseDuration = metricMeter.createHistogram('autoglm_release_phase_duration', 'int', 'ms', 'Time releases spent in each phase');
const analysisDecisions = metricMeter.createCounter('autoglm_analysis_decisions', 'decisions', 'Canary analysis decisions, by action');
const onCall = metricMeter.createCounter('autoglm_oncall_rollbacks', 'rollbacks', 'On-call rollbacks ended, by outcome');
const drills = metricMeter.createCounter('autoglm_dr_drills', 'drills', 'DR drills ended, by outcome');
const drillRto = metricMeter.createHistogram('autoglm_dr_drill_rto', 'int', 'ms', 'RTO measured by DR drills');

export function recordReleaseEnd(environment: string, outcome: string, status: ReleaseStatus | undefined, reason?: string): void {
  releases.withTags({ environment, outcome }).add(1);
  if (status?.timings['rolling-back'] !== undefined || status?.phase === 'rolled-back')
    rollbacks.withTags({ environment, reason: reason ?? 'unknown' }).add(1);
  for (const [phase, ms] of Object.entries(status?.timings ?? {})) if (ms && ms > 0) phaseDuration.withTags({ phase }).record(ms);
}

export const recordAnalysisDecision = (action: string) => analysisDecisions.withTags({ action }).add(1);
export const recordOnCallRollback = (outcome: string) => onCall.withTags({ outcome }).add(1);

export function recordDrill(outcome: string, rtoMs?: number): void {
  drills.withTags({ outcome }).add(1);
  if (rtoMs !== undefined) drillRto.record(rtoMs);
}
