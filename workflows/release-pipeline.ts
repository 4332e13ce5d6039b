/**
 * releasePipeline: one release of one model service, as a runbook. Decisions come from core/
 * (planner, manifests, snapshot); every effect is an activity; this file only orders them.
 *
 *   plan → pre-flight (state recorded, capacity) → canary steps (scale in the planned order,
 *   wait Ready, shift traffic, bake or gate) → promote; on abort or failure: traffic to stable
 *   first, then the canary goes, then the stable is restored exactly as it was.
 */
import {
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
  type RetryPolicy,
} from '@temporalio/workflow';
import type { KubernetesActivities } from '../activities/kubernetes';
import type { ServiceState } from '../activities/kubernetes/service-state';
import type { SupplyChainActivities } from '../activities/supplychain';
import type { TrafficActivities } from '../activities/traffic';
import { ErrorType, NON_RETRYABLE_ERROR_TYPES } from '../core/errors';
import { parseImageRef } from '../core/image-ref';
import { LABELS, deploymentName, renderDeployment, renderServiceObjects, revisionOf } from '../core/manifests';
import type { RevisionRecord } from '../core/revision-history';
import { planRollout, type PlannedStep, type PromotionMove, type RolloutPlan } from '../core/rollout-plan';
import { DEFAULT_ENVIRONMENT, ServiceSpec, enforcementFor, signaturesRequired } from '../core/service-spec';
import { createdByRelease, deploymentObjects, trafficObjects } from '../core/snapshot';
import { describeIssues } from '../core/validation';
import { observeStep, type ObservedRun } from './canary-analysis';
import { DeploymentReporter } from './github-deployment';
import { failureMessage, failureType } from './failures';
import { recordReleaseEnd } from './metrics';
import {
  abortUpdate,
  pauseSignal,
  preemptSignal,
  promoteUpdate,
  resumeSignal,
  statusQuery,
  type ReleaseInput,
  type ReleasePhase,
  type ReleaseResult,
  type ReleaseStatus,
} from './messages';

const retry: RetryPolicy = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '30s',
  maximumAttempts: 10,
  nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES],
};
const act = proxyActivities<KubernetesActivities & TrafficActivities & SupplyChainActivities>({ startToCloseTimeout: '1m', retry });
/** Waits last as long as the model may take to load; their heartbeats show they are alive. */
const waitFor = (budgetMs: number) =>
  proxyActivities<KubernetesActivities>({ startToCloseTimeout: budgetMs + 120_000, heartbeatTimeout: '30s', retry: { ...retry, maximumAttempts: 5 } })
    .waitForRevision;

const TERMINAL: readonly ReleasePhase[] = ['succeeded', 'rolled-back', 'failed'];

class ReleaseRun implements ObservedRun {
  readonly status: ReleaseStatus;
  paused = false;
  abort?: { reason: string; by?: string };
  promoteRequested = false;
  awaitingGate = false;
  private phaseSince = Date.now();
  readonly forward = new CancellationScope();

  constructor(spec: { service: string; namespace: string; version: string }) {
    this.status = {
      service: spec.service, namespace: spec.namespace, version: spec.version, phase: 'planning', paused: false,
      weights: { stable: 100, canary: 0 }, replicas: { stable: { desired: 0, ready: 0 }, canary: { desired: 0, ready: 0 } },
      startedAt: new Date().toISOString(), timings: {},
    };
  }

  registerHandlers(): void {
    setHandler(statusQuery, () => this.status);
    setHandler(pauseSignal, ({ reason }) => this.pause(reason));
    setHandler(resumeSignal, () => {
      this.paused = false;
      this.status.paused = false;
    });
    setHandler(
      promoteUpdate,
      (_request: { approver: string }) => {
        this.promoteRequested = true;
        return { accepted: true as const, step: this.status.step?.index ?? 0 };
      },
      { validator: (_request: { approver: string }) => { if (!this.awaitingGate) throw new Error(`nothing to promote: the release is ${this.status.phase}, not at a manual gate`); } },
    );
    setHandler(
      abortUpdate,
      ({ reason, by }) => {
        this.abort = { reason, ...(by ? { by } : {}) };
        this.forward.cancel();
        return { accepted: true as const, phase: this.status.phase };
      },
      {
        validator: ({ reason }) => {
          if (!reason?.trim()) throw new Error('an abort needs a reason');
          if (TERMINAL.includes(this.status.phase) || this.status.phase === 'rolling-back') throw new Error(`too late to abort: the release is ${this.status.phase}`);
        },
      },
    );
    // A signal, not an update: it comes from the rollback workflow, which waits for this one to end anyway.
    setHandler(preemptSignal, ({ reason, by }) => {
      if (TERMINAL.includes(this.status.phase) || this.status.phase === 'rolling-back' || this.abort) return;
      this.abort = { reason: `preempted by an on-call rollback: ${reason}`, by };
      this.forward.cancel();
    });
  }

  pause(reason?: string): void {
    this.paused = true;
    this.status.paused = true;
    this.status.lastReason = `paused${reason ? `: ${reason}` : ''}`;
  }

  async holdForPerson(reason: string): Promise<void> {
    this.pause(reason);
    await this.checkpoint();
  }

  setPhase(phase: ReleasePhase): void {
    const now = Date.now();
    const prev = this.status.phase;
    this.status.timings[prev] = (this.status.timings[prev] ?? 0) + (now - this.phaseSince);
    this.phaseSince = now;
    this.status.phase = phase;
  }

  /** Between moves: holds while paused. Inside the forward scope, so an abort ends the hold. */
  async checkpoint(): Promise<void> {
    if (this.paused) await condition(() => !this.paused);
  }
}

export async function releasePipeline(input: ReleaseInput): Promise<ReleaseResult> {
  // GitHub reporting came after releases were in flight; only runs that ask for it record the patch.
  const environment = (input.spec as { environment?: string }).environment ?? DEFAULT_ENVIRONMENT;
  const reporter = input.github && patched('github-deployments') ? new DeploymentReporter(input.github, environment) : undefined;
  let status: ReleaseStatus | undefined;
  const observe = (s: ReleaseStatus) => {
    status = s;
    if (reporter) reporter.status = s;
  };
  if (reporter) await reporter.start(`${(input.spec as { version?: string }).version ?? 'release'} started${input.requestedBy ? ` by ${input.requestedBy}` : ''}`);
  try {
    const result = await runRelease(input, observe);
    await reporter?.finish(result);
    recordReleaseEnd(environment, result.outcome, status, result.outcome === 'rolled-back' ? 'aborted' : undefined);
    return result;
  } catch (err) {
    await reporter?.fail(failureMessage(err));
    recordReleaseEnd(environment, 'failed', status, failureType(err, 'ReleaseFailed'));
    throw err;
  }
}

/** `observe` gets the release's live status object (the GitHub report reads it when the release fails). */
async function runRelease(input: ReleaseInput, observe?: (status: ReleaseStatus) => void): Promise<ReleaseResult> {
  const parsed = ServiceSpec.safeParse(input.spec);
  const raw = input.spec as { service?: string; namespace?: string; version?: string };
  const run = new ReleaseRun({ service: raw.service ?? '?', namespace: raw.namespace ?? '?', version: raw.version ?? '?' });
  run.registerHandlers();
  observe?.(run.status);
  if (!parsed.success) {
    run.setPhase('failed');
    throw ApplicationFailure.nonRetryable(`invalid service spec: ${describeIssues(parsed.error)}`, ErrorType.InvalidConfig);
  }
  const spec = parsed.data;
  // Supply chain first: a tag is pinned to its digest, and with signers in the policy a trusted
  // signature over that digest is required. Nothing reaches the cluster before this passes.
  if ((parseImageRef(spec.image)?.digest === undefined || signaturesRequired(spec)) && patched('verify-image')) {
    run.setPhase('verifying');
    try {
      const { cosignKeys, keyless, provenance } = spec.supplyChain;
      const enforcement = enforcementFor(spec);
      const verified = await act.verifyImage({
        image: spec.image,
        cosignKeys,
        ...(keyless.length > 0 ? { keyless } : {}),
        ...(provenance ? { provenance } : {}),
        ...(enforcement !== 'enforce' ? { enforcement } : {}),
      });
      spec.image = verified.reference;
      run.status.image = verified;
      if (verified.violations) log.warn('image deployed despite failed supply-chain checks (enforcement: warn)', { environment: spec.environment, violations: verified.violations });
    } catch (err) {
      run.status.lastReason = failureMessage(err);
      run.setPhase('failed');
      throw ApplicationFailure.nonRetryable(`image refused: ${run.status.lastReason}`, failureType(err, 'ReleaseFailed'));
    }
  }
  const revision = revisionOf(spec);
  const { namespace, service } = spec;

  // Pre-flight: what runs now (to restore it exactly) and what the pool can hold.
  const before = await act.readServiceState({ namespace, service });
  const stable = before.revisions.find((r) => r.revision === before.stableRevision);
  const finish = async (result: Omit<ReleaseResult, 'status' | 'service' | 'namespace' | 'version' | 'revision'>): Promise<ReleaseResult> => {
    await condition(allHandlersFinished);
    return { service, namespace, version: spec.version, revision, ...(stable ? { previousRevision: stable.revision } : {}), ...result, status: run.status };
  };
  if (stable?.revision === revision) {
    run.setPhase('succeeded');
    run.status.lastReason = `revision ${revision} is already serving`;
    return finish({ outcome: 'unchanged' });
  }
  const capacity = await act.readPoolCapacity({ pool: spec.gpu.pool, poolLabel: spec.gpu.poolLabel });
  const plan = planRollout({
    replicas: spec.replicas,
    stableReplicas: stable?.replicas ?? 0,
    gpusPerReplica: spec.gpu.perReplica,
    stableGpusPerReplica: stable?.gpusPerReplica ?? spec.gpu.perReplica,
    steps: spec.rollout.steps,
    traffic: spec.rollout.traffic.kind,
    allowSwap: spec.rollout.allowSwap,
    capacity,
  });
  if (plan.mode === 'blocked') {
    run.status.lastReason = plan.reason;
    run.setPhase('failed');
    throw ApplicationFailure.nonRetryable(plan.reason, ErrorType.GpuCapacityExhausted, { missingGpus: plan.missingGpus });
  }
  run.status.mode = plan.mode;
  run.status.plan = plan.summary;
  // The PDB and NetworkPolicy change only with a promotion; checked by the API server now
  // (server-side dry run), so a refusal (invalid, forbidden) comes before anything changes.
  const serviceObjects = renderServiceObjects(spec);
  const withServiceObjects = serviceObjects.length > 0 && patched('service-objects');
  if (withServiceObjects) {
    try {
      await act.applyObjects({ objects: serviceObjects, dryRun: true });
    } catch (err) {
      run.status.lastReason = `service objects refused: ${failureMessage(err)}`;
      run.setPhase('failed');
      throw ApplicationFailure.nonRetryable(run.status.lastReason, failureType(err, 'ReleaseFailed'));
    }
  }

  // Every wait may take the model-load budget plus the step's own allowance.
  const waitBudgetMs = spec.model.loadBudget + spec.rollout.stepTimeout;
  const canary = new Track(namespace, service, revision, waitBudgetMs, spec.gpu.resource, run.status.replicas.canary);
  const stableTrack = stable ? new Track(namespace, service, stable.revision, waitBudgetMs, spec.gpu.resource, run.status.replicas.stable) : undefined;
  if (stableTrack) run.status.replicas.stable.desired = run.status.replicas.stable.ready = stable!.replicas;

  try {
    await run.forward.run(async () => {
      run.setPhase('deploying');
      await act.applyObjects({ objects: [renderDeployment(spec, 0)] });
      if (plan.mode === 'initial') {
        await canary.scaleTo(plan.replicas);
      } else {
        run.setPhase('canary');
        for (const step of plan.steps) await runStep(run, spec, plan, step, canary, stableTrack!);
        run.setPhase('promoting');
        for (const move of plan.promotion) {
          await run.checkpoint();
          await drainStableBeforeRemoving(run, spec, move, stableTrack!.revision, revision);
          await moveTo(move, canary, stableTrack!);
          await setWeights(run, spec, stableTrack!.revision, revision, weightOf(move));
        }
      }
      await act.settleTraffic({ spec, revision });
      run.status.weights = { stable: 0, canary: 100 };
      if (stable) await act.deleteObjects({ refs: [{ apiVersion: 'apps/v1', kind: 'Deployment', namespace, name: stable.deployment }] });
    });
  } catch (err) {
    const reason = run.abort
      ? `aborted by ${run.abort.by ?? 'an operator'}: ${run.abort.reason}`
      : isCancellation(err) ? 'the release workflow was cancelled' : failureMessage(err);
    run.status.lastReason = reason;
    await CancellationScope.nonCancellable(() => rollBack(run, before, revision, waitBudgetMs, spec.gpu.resource));
    if (run.abort || isCancellation(err)) return finish({ outcome: 'rolled-back', mode: plan.mode, reason });
    run.setPhase('failed');
    // The evidence travels with the failure: the last analysis (checks, queries, values, statistics).
    throw ApplicationFailure.nonRetryable(`release rolled back: ${reason}`, failureType(err, 'ReleaseFailed'), { reason, ...(run.status.analysis ? { analysis: run.status.analysis } : {}) });
  }
  if (withServiceObjects) await act.applyObjects({ objects: serviceObjects });
  run.setPhase('succeeded');
  // Revisions are recorded since on-call rollbacks came; older histories did not, hence the patch.
  if (patched('revision-history')) await recordRevision(input, spec, revision);
  return finish({ outcome: 'promoted', mode: plan.mode });
}

/** Best effort: the release is promoted either way; a missing record only narrows later rollbacks. */
async function recordRevision(input: ReleaseInput, spec: ServiceSpec, revision: string): Promise<void> {
  const { workflowId, runId } = workflowInfo();
  const record: RevisionRecord = {
    revision, version: spec.version, image: spec.image, kind: input.rollback ? 'rollback' : 'release', at: new Date().toISOString(),
    madeBy: `${workflowId}/${runId}`, spec, ...(input.github ? { github: { owner: input.github.owner, repo: input.github.repo, ref: input.github.ref } } : {}),
    ...(input.rollback ? { by: input.rollback.by, reason: input.rollback.reason } : input.requestedBy ? { by: input.requestedBy } : {}),
  };
  try {
    await act.recordRevision({ namespace: spec.namespace, service: spec.service, record });
  } catch (err) {
    log.warn('could not record the revision in the history', { revision, error: failureMessage(err) });
  }
}

/** One revision's Deployment: scaled, then waited on until exactly that many pods are Ready. */
class Track {
  readonly deployment: string;
  constructor(
    readonly namespace: string,
    readonly service: string,
    readonly revision: string,
    private readonly budgetMs: number,
    private readonly gpuResource: string,
    private readonly replicas: { revision?: string; desired: number; ready: number },
  ) {
    this.deployment = deploymentName(service, revision);
    replicas.revision = revision;
  }

  async scaleTo(n: number): Promise<void> {
    this.replicas.desired = n;
    await act.scaleRevision({ namespace: this.namespace, deployment: this.deployment, replicas: n });
    const progress = await waitFor(this.budgetMs)({
      namespace: this.namespace,
      selector: `${LABELS.name}=${this.service},${LABELS.revision}=${this.revision}`,
      replicas: n,
      budgetMs: this.budgetMs,
      gpuResource: this.gpuResource,
      what: `revision ${this.revision} of ${this.namespace}/${this.service} at ${n} replicas`,
    });
    this.replicas.ready = progress.ready;
  }
}

async function moveTo(move: Pick<PlannedStep, 'canaryReplicas' | 'stableReplicas' | 'order'>, canary: Track, stable: Track): Promise<void> {
  if (move.order === 'stable-first') {
    await stable.scaleTo(move.stableReplicas); // frees the GPUs first: pods gone, not just terminating
    await canary.scaleTo(move.canaryReplicas);
  } else {
    await canary.scaleTo(move.canaryReplicas);
    await stable.scaleTo(move.stableReplicas);
  }
}

/**
 * A route that still sends a share to a stable Service with no pods answers that share with
 * 503s. Before the stable's last pod goes, all traffic moves to the (ready) canary. Added while
 * releases were in flight: older histories did not make this call, hence the patch.
 */
async function drainStableBeforeRemoving(run: ReleaseRun, spec: ServiceSpec, move: Pick<PlannedStep, 'stableReplicas'>, stableRevision: string, canaryRevision: string): Promise<void> {
  if (move.stableReplicas > 0 || run.status.weights.stable === 0 || run.status.replicas.canary.ready === 0) return;
  if (!patched('drain-stable-before-removing')) return;
  await setWeights(run, spec, stableRevision, canaryRevision, 100);
}

const weightOf = (m: PromotionMove) => Math.round((100 * m.canaryReplicas) / Math.max(1, m.canaryReplicas + m.stableReplicas));

async function setWeights(run: ReleaseRun, spec: ServiceSpec, stableRevision: string, canaryRevision: string, canaryWeight: number): Promise<void> {
  await act.setTrafficWeights({ spec, target: { stableRevision, canaryRevision, canaryWeight } });
  run.status.weights = { stable: 100 - canaryWeight, canary: canaryWeight };
}

async function runStep(run: ReleaseRun, spec: ServiceSpec, plan: RolloutPlan, step: PlannedStep, canary: Track, stable: Track): Promise<void> {
  await run.checkpoint();
  run.status.step = { index: step.index + 1, of: plan.steps.length };
  await drainStableBeforeRemoving(run, spec, step, stable.revision, canary.revision);
  await moveTo(step, canary, stable);
  await setWeights(run, spec, stable.revision, canary.revision, step.weight);
  // Analysis hook: the canary is observed for the bake time (the analysis issue adds checks here).
  if (step.gate === 'manual') {
    run.setPhase('awaiting-promotion');
    run.awaitingGate = true;
    run.promoteRequested = false;
    const promoted = await condition(() => run.promoteRequested, spec.rollout.gateTimeout);
    run.awaitingGate = false;
    if (!promoted) throw ApplicationFailure.nonRetryable(`no promote within ${spec.rollout.gateTimeout / 1000}s at step ${step.index + 1}`, ErrorType.GateTimeout);
    run.setPhase('canary');
  } else if (step.bakeMs) {
    // Added while releases were in flight (they only slept): hence the patch.
    if (spec.analysis.enabled && patched('canary-analysis')) {
      await observeStep(run, spec, { index: step.index, bakeMs: step.bakeMs, canaryRevision: canary.revision, stableRevision: stable.revision });
    } else {
      await sleep(step.bakeMs);
    }
  }
}

/** Traffic to the stable first, then the canary goes, then the stable as it was: the previous state exactly. */
async function rollBack(run: ReleaseRun, before: ServiceState, revision: string, budgetMs: number, gpuResource: string): Promise<void> {
  run.setPhase('rolling-back');
  const { namespace, service } = before;
  const created = createdByRelease(before.snapshot, namespace, service, revision);
  await act.applyObjects({ objects: trafficObjects(before.snapshot) });
  await act.deleteObjects({ refs: created.traffic });
  run.status.weights = { stable: 100, canary: 0 };
  const canary = new Track(namespace, service, revision, budgetMs, gpuResource, run.status.replicas.canary);
  await canary.scaleTo(0); // its GPUs are free before the stable grows back
  await act.deleteObjects({ refs: created.deployments });
  await act.applyObjects({ objects: deploymentObjects(before.snapshot) });
  for (const r of before.revisions) {
    const track = new Track(namespace, service, r.revision, budgetMs, gpuResource, r.revision === before.stableRevision ? run.status.replicas.stable : { desired: 0, ready: 0 });
    await track.scaleTo(r.replicas);
  }
  run.setPhase('rolled-back');
}

