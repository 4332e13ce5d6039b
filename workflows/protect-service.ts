/**
 * protectService: continuous protection of one service (the seeds' RPO < 1 min between drills).
 * Takes a backup at once, then watches the service and backs it up on every change (debounced),
 * checks each backup and marks it verified, prunes by retention, and every `verifyEvery` reads
 * back every weight blob of the newest backup. Runs until cancelled, continuing as new.
 */
import { ApplicationFailure, continueAsNew, isCancellation, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import { backupIdAt } from '../core/drill/retention';
import { ErrorType } from '../core/errors';
import { rpoFigures } from '../core/protect/rpo';
import { ProtectSpec } from '../core/protect/spec';
import { RECENT_CHANGES, type ProtectInput, type ProtectPhase, type ProtectState } from '../core/protect/types';
import { describeIssues } from '../core/validation';
import { copying, drillStep, verifyBackup, watchService } from './activity-proxies';
import { failureMessage, failureType } from './failures';
import { protectStatusQuery } from './messages';

/** A watch returns this often without a change, so periodic work and continue-as-new happen. */
const WATCH_WINDOW_MS = 5 * 60_000;
/** After a failed cycle (the activity's own retries spent), before the next try. */
const RETRY_AFTER_MS = 30_000;
const CYCLES_PER_RUN = 500;
const REFUSED_AT_START: string[] = [ErrorType.InvalidInput, ErrorType.InvalidConfig, ErrorType.KubernetesForbidden];

export async function protectService(input: ProtectInput): Promise<void> {
  const parsed = ProtectSpec.safeParse(input.spec);
  if (!parsed.success)
    throw ApplicationFailure.nonRetryable(`invalid protection spec: ${describeIssues(parsed.error)}`, ErrorType.InvalidInput);
  const spec = parsed.data;
  const location = { store: spec.backupStore, namespace: spec.namespace, service: spec.service };
  const state: ProtectState = input.state ?? { backups: 0, recent: [] };
  const short = workflowInfo().runId.replace(/-/g, '').slice(-8);
  let phase: ProtectPhase = 'backing-up';
  let lastError: string | undefined;
  let seq = 0;
  setHandler(protectStatusQuery, () => ({
    namespace: spec.namespace,
    service: spec.service,
    phase,
    state,
    rpo: rpoFigures(state.recent, spec.rpoTarget),
    ...(lastError ? { lastError } : {}),
  }));

  async function backUp(exposedAt?: number): Promise<void> {
    phase = 'backing-up';
    const backupId = backupIdAt(Date.now(), `${short}${(seq++).toString(36)}`);
    const b = await copying.backupService({ ...location, backupId });
    phase = 'verifying';
    const observedAt = Date.parse(b.observedAt ?? b.takenAt);
    const v = await verifyBackup({
      ...location,
      backupId,
      full: false,
      protectedThrough: observedAt,
      ...(exposedAt !== undefined ? { exposedAt } : {}),
    });
    state.last = { backupId, fingerprint: b.fingerprint ?? '', observedAt, verifiedAt: v.verifiedAt };
    state.backups++;
    if (exposedAt !== undefined) state.recent = [...state.recent, { exposedAt, verifiedAt: v.verifiedAt, backupId }].slice(-RECENT_CHANGES);
    if (spec.retention) await drillStep.pruneBackups({ ...location, retention: spec.retention });
  }

  for (let cycle = 0; cycle < CYCLES_PER_RUN && !workflowInfo().continueAsNewSuggested; cycle++) {
    try {
      const last = state.last;
      const fullDueAt = (state.lastFullVerifyAt ?? 0) + spec.verifyEvery;
      if (!last) {
        await backUp();
      } else if (Date.now() >= fullDueAt) {
        phase = 'full-verification';
        try {
          await verifyBackup({ ...location, backupId: last.backupId, full: true, protectedThrough: last.observedAt });
        } catch (err) {
          // A damaged blob was removed: a new backup copies it again.
          if (failureType(err, '') !== ErrorType.BackupCorrupt) throw err;
          lastError = failureMessage(err);
          await backUp();
        }
        state.lastFullVerifyAt = Date.now();
      } else {
        phase = 'watching';
        const watchMs = Math.max(spec.pollInterval, Math.min(WATCH_WINDOW_MS, fullDueAt - Date.now()));
        const r = await watchService(watchMs)({
          namespace: spec.namespace,
          service: spec.service,
          fingerprint: last.fingerprint,
          protectedThrough: last.observedAt,
          pollMs: spec.pollInterval,
          debounceMs: spec.debounce,
          maxDelayMs: spec.maxDelay,
          watchMs,
        });
        if (r.changed) await backUp(r.exposedAt);
      }
      lastError = undefined;
    } catch (err) {
      if (isCancellation(err)) throw err;
      // Not one backup yet because the store or the service is misconfigured: say so, do not spin.
      if (!state.last && REFUSED_AT_START.includes(failureType(err, '')))
        throw ApplicationFailure.nonRetryable(
          `protection of ${spec.namespace}/${spec.service} cannot start: ${failureMessage(err)}`,
          failureType(err, ''),
        );
      // Protection never gives up on its own: the RPO alert tells people while it cannot back up.
      lastError = failureMessage(err);
      phase = 'retrying';
      await sleep(RETRY_AFTER_MS);
    }
  }
  await continueAsNew<typeof protectService>({ spec: input.spec, state });
}
