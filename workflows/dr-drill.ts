/**
 * drDrill: a disaster-recovery drill of one service, run by a Temporal Schedule or on demand.
 * Back up (or take an existing backup) → restore into an isolated namespace → verify (pods Ready,
 * golden prompts answered as the source answers them, model files matching their checksums) →
 * RTO and RPO against the targets → report (a GitHub issue) → and always remove the copy, after
 * a failure or a cancellation too.
 */
import { ApplicationFailure, CancellationScope, isCancellation, log, patched, setHandler, workflowInfo } from '@temporalio/workflow';
import { DrillSpec } from '../core/drill/spec';
import { drillFigures, drillReport, type BackupSummary } from '../core/drill/figures';
import { ErrorType } from '../core/errors';
import { GPU_RESOURCE } from '../core/gpu-capacity';
import { restoredWeightsUri } from '../core/model-weights';
import { backupIdAt } from '../core/drill/retention';
import { describeIssues } from '../core/validation';
import { copying, drillStep as quick, github, waitForRevision as waitFor } from './activity-proxies';
import { failureMessage, failureType } from './failures';
import { recordDrill } from './metrics';
import { drillStatusQuery } from './messages';
import type { DrillInput, DrillResult, DrillStatus } from '../core/drill/types';

export async function drDrill(input: DrillInput): Promise<DrillResult> {
  const parsed = DrillSpec.safeParse(input.spec);
  if (!parsed.success) throw ApplicationFailure.nonRetryable(`invalid drill spec: ${describeIssues(parsed.error)}`, ErrorType.InvalidInput);
  const spec = parsed.data;
  const { runId, workflowId } = workflowInfo();
  const short = runId.replace(/-/g, '').slice(-8);
  const isolatedNamespace = `dr-${spec.service.slice(0, 48)}-${short}`;
  const modelTarget = spec.modelStore ? `${spec.modelStore.path}.dr-${short}` : undefined;
  const location = { store: spec.backupStore, namespace: spec.namespace, service: spec.service };
  const status: DrillStatus = {
    namespace: spec.namespace,
    service: spec.service,
    phase: 'backing-up',
    isolatedNamespace,
    startedAt: new Date().toISOString(),
  };
  setHandler(drillStatusQuery, () => status);

  let backup: BackupSummary | undefined;
  /** Where the restored pods load the service's object-store weights from: the drill's own copy. */
  let weightsTarget: string | undefined;
  let golden: { compared: number; mismatches: number } | undefined;
  let failure: unknown;
  try {
    const backupId = spec.restoreBackup ?? backupIdAt(Date.now(), short);
    backup = spec.restoreBackup
      ? await quick.describeBackup({ ...location, backupId })
      : await copying.backupService({ ...location, backupId, ...(spec.modelStore ? { modelStore: spec.modelStore.path } : {}) });
    status.backup = backup;
    weightsTarget = backup.weights ? restoredWeightsUri(backup.weights.source, isolatedNamespace) : undefined;

    status.phase = 'restoring';
    const restoreStart = Date.now();
    const restored = await copying.restoreBackup({
      ...location,
      backupId: backup.backupId,
      targetNamespace: isolatedNamespace,
      ...(modelTarget ? { modelTarget } : {}),
      ...(weightsTarget ? { weightsTarget } : {}),
    });
    status.phase = 'verifying';
    for (const d of restored.deployments) {
      await waitFor(spec.restoreTimeout)({
        namespace: isolatedNamespace,
        selector: d.selector,
        replicas: d.replicas,
        budgetMs: spec.restoreTimeout,
        gpuResource: GPU_RESOURCE,
        what: `restored ${d.name} in ${isolatedNamespace}`,
      });
    }
    if (restored.model && restored.deployments.length > 0) {
      const g = await quick.goldenPrompts({
        namespace: spec.namespace,
        stableService: spec.service,
        canaryService: spec.service,
        canaryNamespace: isolatedNamespace,
        model: restored.model,
        prompts: spec.goldenPrompts,
        maxTokens: 16,
      });
      golden = { compared: g.compared, mismatches: g.mismatches.length };
      if (g.compared === 0)
        throw ApplicationFailure.nonRetryable(
          `the restored service answered no golden prompt: ${g.failures[0]?.error ?? 'no answer'}`,
          ErrorType.AnalysisFailed,
        );
      if (g.mismatches.length > 0)
        throw ApplicationFailure.nonRetryable(
          `the restored service answers ${g.mismatches.length} golden prompt(s) differently from the source`,
          ErrorType.AnalysisFailed,
        );
    }
    const rtoMs = Date.now() - restoreStart;
    const lastChange = await quick.sourceLastChange({
      namespace: spec.namespace,
      service: spec.service,
      ...(spec.modelStore ? { modelStore: spec.modelStore.path } : {}),
    });
    status.figures = drillFigures(rtoMs, backup, lastChange, { rtoMs: spec.targets.rto, rpoMs: spec.targets.rpo });
    // Histories recorded before retention existed replay without these steps.
    if (patched('drill-retention')) {
      await quick.markBackupVerified({ ...location, backupId: backup.backupId, drill: `${workflowId}/${runId}` });
      if (spec.retention) {
        const d = await quick.pruneBackups({ ...location, retention: spec.retention });
        status.retention = { kept: d.keep.length, removed: d.remove.map((r) => r.backupId), weightsRemoved: d.weights?.removed ?? 0 };
      }
    }
  } catch (err) {
    failure = err;
    status.lastReason = isCancellation(err) ? 'the drill was cancelled' : failureMessage(err);
  } finally {
    status.phase = 'cleaning-up';
    await CancellationScope.nonCancellable(() =>
      quick.discardRestore({
        targetNamespace: isolatedNamespace,
        ...(modelTarget ? { modelTarget } : {}),
        ...(weightsTarget ? { weightsTarget } : {}),
      }),
    );
  }

  const report = drillReport({
    namespace: spec.namespace,
    service: spec.service,
    isolatedNamespace,
    ...(backup ? { backup } : {}),
    ...(status.figures ? { figures: status.figures } : {}),
    ...(golden ? { golden } : {}),
    ...(status.retention ? { retention: status.retention } : {}),
    ...(failure ? { failure: status.lastReason! } : {}),
  });
  status.report = { title: report.title };
  if (spec.github) {
    status.phase = 'reporting';
    const target = spec.github;
    try {
      const issue = await CancellationScope.nonCancellable(() =>
        github.reportIssue({ ...target, key: `${workflowId}/${runId}`, title: report.title, body: report.body, labels: ['dr-drill'] }),
      );
      status.report.issue = issue.number;
    } catch (err) {
      log.warn('GitHub: could not open the drill report issue', { error: failureMessage(err) }); // told, not asked
    }
  }
  if (failure) {
    status.phase = 'failed';
    recordDrill(isCancellation(failure) ? 'cancelled' : 'failed');
    if (isCancellation(failure)) throw failure;
    throw ApplicationFailure.nonRetryable(
      `DR drill of ${spec.namespace}/${spec.service} failed: ${status.lastReason}`,
      failureType(failure, 'DrillFailed'),
      { report: report.body },
    );
  }
  const figures = status.figures!;
  status.phase = figures.meetsRto && figures.meetsRpo ? 'passed' : 'missed-targets';
  recordDrill(status.phase, figures.rtoMs);
  return { outcome: status.phase, figures, backup: backup!, ...(golden ? { golden } : {}), report: status.report, status };
}
