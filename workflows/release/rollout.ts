/**
 * The release's phases that change the cluster: the canary steps, the promotion, and the
 * rollback that undoes them (traffic to the stable first, then the canary goes, then the stable
 * exactly as it was).
 */
import { ApplicationFailure, condition, patched, sleep } from '@temporalio/workflow';
import type { ServiceState } from '../../activities/kubernetes/service-state';
import { ErrorType } from '../../core/errors';
import { renderDeployment } from '../../core/manifests';
import type { PlannedStep, RolloutPlan } from '../../core/rollout-plan';
import type { ServiceSpec } from '../../core/service-spec';
import { createdByRelease, deploymentObjects, trafficObjects } from '../../core/snapshot';
import { cluster } from '../activity-proxies';
import { observeStep } from '../canary-analysis';
import { observeInChild } from './observe-in-child';
import type { ReleaseRun } from './run';
import { Track, moveTo, setWeights, weightOf } from './track';

export interface Rollout {
  spec: ServiceSpec;
  plan: RolloutPlan;
  canary: Track;
  /** Unset on a first release (plan mode `initial`). */
  stable?: Track;
}

/** Deploy → canary steps → promotion → traffic settled on the new revision, the old one removed. */
export async function rollOut(run: ReleaseRun, r: Rollout): Promise<void> {
  const { spec, plan, canary, stable } = r;
  run.setPhase('deploying');
  await cluster.applyObjects({ objects: [renderDeployment(spec, 0)] });
  if (plan.mode === 'initial' || !stable) {
    await canary.scaleTo(plan.replicas);
  } else {
    run.setPhase('canary');
    for (const step of plan.steps) await runStep(run, r, step, stable);
    run.setPhase('promoting');
    for (const move of plan.promotion) {
      await run.checkpoint();
      await drainStableBeforeRemoving(run, spec, move, stable.revision, canary.revision);
      await moveTo(move, canary, stable);
      await setWeights(run, spec, stable.revision, canary.revision, weightOf(move));
    }
  }
  await cluster.settleTraffic({ spec, revision: canary.revision });
  run.status.weights = { stable: 0, canary: 100 };
  if (stable) {
    // Its pods gone before its Deployment (and the release's GPU reservation) goes: terminating
    // pods still hold GPUs that the next release on the pool plans with. Older histories did not wait.
    if (patched('stable-gone-before-delete')) await stable.scaleTo(0);
    await cluster.deleteObjects({
      refs: [{ apiVersion: 'apps/v1', kind: 'Deployment', namespace: spec.namespace, name: stable.deployment }],
    });
  }
}

/**
 * A route that still sends a share to a stable Service with no pods answers that share with
 * 503s. Before the stable's last pod goes, all traffic moves to the (ready) canary. Added while
 * releases were in flight: older histories did not make this call, hence the patch.
 */
async function drainStableBeforeRemoving(
  run: ReleaseRun,
  spec: ServiceSpec,
  move: Pick<PlannedStep, 'stableReplicas'>,
  stableRevision: string,
  canaryRevision: string,
): Promise<void> {
  if (move.stableReplicas > 0 || run.status.weights.stable === 0 || run.status.replicas.canary.ready === 0) return;
  if (!patched('drain-stable-before-removing')) return;
  await setWeights(run, spec, stableRevision, canaryRevision, 100);
}

/** One step: pods to the step's counts, traffic to its weight, then a manual gate or an observed bake. */
async function runStep(run: ReleaseRun, { spec, plan, canary }: Rollout, step: PlannedStep, stable: Track): Promise<void> {
  await run.checkpoint();
  run.status.step = { index: step.index + 1, of: plan.steps.length };
  await drainStableBeforeRemoving(run, spec, step, stable.revision, canary.revision);
  await moveTo(step, canary, stable);
  await setWeights(run, spec, stable.revision, canary.revision, step.weight);
  if (step.gate === 'manual') {
    await awaitPromotion(run, spec, step);
  } else if (step.bakeMs) {
    // Added while releases were in flight (they only slept): hence the patch.
    if (spec.analysis.enabled && patched('canary-analysis')) {
      const observed = { index: step.index, bakeMs: step.bakeMs, canaryRevision: canary.revision, stableRevision: stable.revision };
      // Bakes run in a child workflow since long bakes came (its history continues-as-new); older histories baked inline.
      if (patched('bake-in-child')) await observeInChild(run, spec, observed);
      else await observeStep(run, spec, observed);
    } else {
      await sleep(step.bakeMs);
    }
  }
}

async function awaitPromotion(run: ReleaseRun, spec: ServiceSpec, step: PlannedStep): Promise<void> {
  run.setPhase('awaiting-promotion');
  run.awaitingGate = true;
  run.promoteRequested = false;
  const promoted = await condition(() => run.promoteRequested, spec.rollout.gateTimeout);
  run.awaitingGate = false;
  if (!promoted)
    throw ApplicationFailure.nonRetryable(
      `no promote within ${spec.rollout.gateTimeout / 1000}s at step ${step.index + 1}`,
      ErrorType.GateTimeout,
    );
  run.setPhase('canary');
}

/** Traffic to the stable first, then the canary goes, then the stable as it was: the previous state exactly. */
export async function rollBack(
  run: ReleaseRun,
  before: ServiceState,
  revision: string,
  budgetMs: number,
  gpuResource: string,
): Promise<void> {
  run.setPhase('rolling-back');
  const { namespace, service } = before;
  const created = createdByRelease(before.snapshot, namespace, service, revision);
  await cluster.applyObjects({ objects: trafficObjects(before.snapshot) });
  await cluster.deleteObjects({ refs: created.traffic });
  run.status.weights = { stable: 100, canary: 0 };
  const canary = new Track(namespace, service, revision, budgetMs, gpuResource, run.status.replicas.canary);
  await canary.scaleTo(0); // its GPUs are free before the stable grows back
  await cluster.deleteObjects({ refs: created.deployments });
  await cluster.applyObjects({ objects: deploymentObjects(before.snapshot) });
  for (const r of before.revisions) {
    const track = new Track(
      namespace,
      service,
      r.revision,
      budgetMs,
      gpuResource,
      r.revision === before.stableRevision ? run.status.replicas.stable : { desired: 0, ready: 0 },
    );
    await track.scaleTo(r.replicas);
  }
  run.setPhase('rolled-back');
}
