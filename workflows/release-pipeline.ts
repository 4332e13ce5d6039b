/**
 * releasePipeline: one release of one model service, as a runbook. Decisions come from core/
 * (planner, manifests, snapshot); every effect is an activity; this file only orders the phases:
 *
 *   verify the supply chain → pre-flight (state recorded, capacity, plan) → canary steps (scale
 *   in the planned order, wait Ready, shift traffic, bake or gate) → promote; on abort or
 *   failure: roll back (traffic to stable first, the canary goes, the stable restored exactly).
 *
 * A release that fails ends with ReleaseFailureDetails (refused or rolled back, and why) as its
 * failure's details: the CLI, the demo and the GitHub report read those.
 */
import {
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  isCancellation,
  log,
  patched,
  workflowInfo,
} from '@temporalio/workflow';
import { ErrorType } from '../core/errors';
import { revisionOf } from '../core/manifests';
import type { ReleaseFailureDetails, ReleaseInput, ReleaseResult, ReleaseStatus } from '../core/release/types';
import type { RevisionRecord } from '../core/revision-history';
import { DEFAULT_ENVIRONMENT, type ServiceSpec } from '../core/service-spec';
import { cluster } from './activity-proxies';
import { DeploymentReporter } from './github-deployment';
import { failureMessage, failureType, releaseFailureDetails } from './failures';
import { recordReleaseEnd } from './metrics';
import { preFlight, validSpec, verifySupplyChain, type PreFlight } from './release/preflight';
import { giveBackReservation } from './release/gpu-reservation';
import { rollBack, rollOut } from './release/rollout';
import { ReleaseRun } from './release/run';
import { Track } from './release/track';

export async function releasePipeline(input: ReleaseInput): Promise<ReleaseResult> {
  // GitHub reporting came after releases were in flight; only runs that ask for it record the patch.
  const environment = (input.spec as { environment?: string }).environment ?? DEFAULT_ENVIRONMENT;
  const reporter = input.github && patched('github-deployments') ? new DeploymentReporter(input.github, environment) : undefined;
  let status: ReleaseStatus | undefined;
  const observe = (s: ReleaseStatus) => {
    status = s;
    if (reporter) reporter.status = s;
  };
  if (reporter)
    await reporter.start(
      `${(input.spec as { version?: string }).version ?? 'release'} started${input.requestedBy ? ` by ${input.requestedBy}` : ''}`,
    );
  try {
    const result = await runRelease(input, observe);
    await reporter?.finish(result);
    recordReleaseEnd(environment, result.outcome, status, result.outcome === 'rolled-back' ? 'aborted' : undefined);
    return result;
  } catch (err) {
    await reporter?.fail(failureMessage(err), releaseFailureDetails(err));
    recordReleaseEnd(environment, 'failed', status, failureType(err, 'ReleaseFailed'));
    throw err;
  }
}

/** `observe` gets the release's live status object (the GitHub report reads it when the release fails). */
async function runRelease(input: ReleaseInput, observe?: (status: ReleaseStatus) => void): Promise<ReleaseResult> {
  const raw = input.spec as { service?: string; namespace?: string; version?: string };
  const run = new ReleaseRun({ service: raw.service ?? '?', namespace: raw.namespace ?? '?', version: raw.version ?? '?' });
  run.registerHandlers();
  observe?.(run.status);

  const spec = validSpec(run, input);
  const approval = spec.rollout.approval;
  if (approval?.fourEyes && !input.requestedBy)
    throw run.refuse('four-eyes approval needs to know who started the release (requestedBy)', ErrorType.InvalidInput);
  if (approval)
    run.gatePolicy = {
      approvers: approval.approvers,
      fourEyes: approval.fourEyes,
      ...(input.requestedBy ? { requestedBy: input.requestedBy } : {}),
    };
  await verifySupplyChain(run, spec);
  const revision = revisionOf(spec);
  const { before, stable, plan, serviceObjects, reservedOn } = await preFlight(run, spec, revision);
  try {
    return await afterPreFlight(input, run, spec, revision, { before, stable, plan, serviceObjects });
  } finally {
    if (reservedOn) await CancellationScope.nonCancellable(() => giveBackReservation(reservedOn));
  }
}

/** The rollout (or nothing, if the revision already serves) and its end. */
async function afterPreFlight(
  input: ReleaseInput,
  run: ReleaseRun,
  spec: ServiceSpec,
  revision: string,
  { before, stable, plan, serviceObjects }: Omit<PreFlight, 'reservedOn'>,
): Promise<ReleaseResult> {
  const finish = async (
    result: Omit<ReleaseResult, 'status' | 'service' | 'namespace' | 'version' | 'revision'>,
  ): Promise<ReleaseResult> => {
    await condition(allHandlersFinished);
    return {
      service: spec.service,
      namespace: spec.namespace,
      version: spec.version,
      revision,
      ...(stable ? { previousRevision: stable.revision } : {}),
      ...result,
      status: run.status,
    };
  };
  if (!plan) {
    run.setPhase('succeeded');
    run.status.lastReason = `revision ${revision} is already serving`;
    return finish({ outcome: 'unchanged' });
  }

  // Every wait may take the model-load budget plus the step's own allowance.
  const waitBudgetMs = spec.model.loadBudget + spec.rollout.stepTimeout;
  const scaleUp = spec.gpu.autoscaling && {
    budgetMs: spec.gpu.autoscaling.scaleUpBudget,
    pool: spec.gpu.pool,
    waiting: (reason: string) => (run.status.lastReason = reason),
  };
  const track = (rev: string, replicas: ReleaseStatus['replicas']['canary']) =>
    new Track(spec.namespace, spec.service, rev, waitBudgetMs, spec.gpu.resource, replicas, spec.model.loadBudget, scaleUp || undefined);
  const canary = track(revision, run.status.replicas.canary);
  const stableTrack = stable ? track(stable.revision, run.status.replicas.stable) : undefined;
  if (stable) run.status.replicas.stable.desired = run.status.replicas.stable.ready = stable.replicas;

  try {
    await run.forward.run(() => rollOut(run, { spec, plan, canary, ...(stableTrack ? { stable: stableTrack } : {}) }));
  } catch (err) {
    const failedIn = run.status.phase;
    const reason = run.abort
      ? `aborted by ${run.abort.by ?? 'an operator'}: ${run.abort.reason}`
      : isCancellation(err)
        ? 'the release workflow was cancelled'
        : failureMessage(err);
    run.status.lastReason = reason;
    await CancellationScope.nonCancellable(() => rollBack(run, before, revision, waitBudgetMs, spec.gpu.resource));
    if (run.abort || isCancellation(err)) return finish({ outcome: 'rolled-back', mode: plan.mode, reason });
    run.setPhase('failed');
    // The evidence travels with the failure: the last analysis (checks, queries, values, statistics).
    const details: ReleaseFailureDetails = {
      outcome: 'rolled-back',
      failedIn,
      reason,
      ...(run.status.analysis ? { analysis: run.status.analysis } : {}),
      status: run.status,
    };
    throw ApplicationFailure.nonRetryable(`release rolled back: ${reason}`, failureType(err, 'ReleaseFailed'), details);
  }
  if (serviceObjects.length > 0) await cluster.applyObjects({ objects: serviceObjects });
  run.setPhase('succeeded');
  // Revisions are recorded since on-call rollbacks came; older histories did not, hence the patch.
  if (patched('revision-history')) await recordRevision(input, spec, revision);
  return finish({ outcome: 'promoted', mode: plan.mode });
}

/** Best effort: the release is promoted either way; a missing record only narrows later rollbacks. */
async function recordRevision(input: ReleaseInput, spec: ServiceSpec, revision: string): Promise<void> {
  const { workflowId, runId } = workflowInfo();
  const record: RevisionRecord = {
    revision,
    version: spec.version,
    image: spec.image,
    kind: input.rollback ? 'rollback' : 'release',
    at: new Date().toISOString(),
    madeBy: `${workflowId}/${runId}`,
    spec,
    ...(input.github ? { github: { owner: input.github.owner, repo: input.github.repo, ref: input.github.ref } } : {}),
    ...(input.rollback ? { by: input.rollback.by, reason: input.rollback.reason } : input.requestedBy ? { by: input.requestedBy } : {}),
  };
  try {
    await cluster.recordRevision({ namespace: spec.namespace, service: spec.service, record });
  } catch (err) {
    log.warn('could not record the revision in the history', { revision, error: failureMessage(err) });
  }
}
