/** The release's phases before anything changes: the spec, the supply chain, and the pre-flight (state, capacity, plan, dry run). */
import { log, patched } from '@temporalio/workflow';
import type { ServiceState } from '../../activities/kubernetes/service-state';
import { ErrorType } from '../../core/errors';
import { parseImageRef } from '../../core/image-ref';
import type { ReleaseInput } from '../../core/release/types';
import type { KubeObject } from '../../core/manifests';
import { renderServiceObjects } from '../../core/service-objects';
import { planRollout, type RolloutPlan } from '../../core/rollout-plan';
import { ServiceSpec, enforcementFor, signaturesRequired } from '../../core/service-spec';
import { trafficOf } from '../../core/traffic';
import { describeIssues } from '../../core/validation';
import { cluster } from '../activity-proxies';
import { failureMessage, failureType } from '../failures';
import type { ReleaseRun } from './run';
import { planWithReservations, giveBackReservation } from './gpu-reservation';
import type { PoolCapacity } from '../../core/gpu-capacity';

/** The spec, validated: an invalid one refuses the release. */
export function validSpec(run: ReleaseRun, input: ReleaseInput): ServiceSpec {
  const parsed = ServiceSpec.safeParse(input.spec);
  if (parsed.success) return parsed.data;
  const reason = `invalid service spec: ${describeIssues(parsed.error)}`;
  throw run.refuse(reason, ErrorType.InvalidConfig);
}

/**
 * A tag is pinned to its digest, and with signers in the policy a trusted signature over that
 * digest is required. Nothing reaches the cluster before this passes; the spec then names the
 * image by digest.
 */
export async function verifySupplyChain(run: ReleaseRun, spec: ServiceSpec): Promise<void> {
  // Added while releases were in flight: older histories did not verify, hence the patch.
  if (!((parseImageRef(spec.image)?.digest === undefined || signaturesRequired(spec)) && patched('verify-image'))) return;
  run.setPhase('verifying');
  try {
    const { cosignKeys, keyless, provenance } = spec.supplyChain;
    const enforcement = enforcementFor(spec);
    const verified = await cluster.verifyImage({
      image: spec.image,
      cosignKeys,
      ...(keyless.length > 0 ? { keyless } : {}),
      ...(provenance ? { provenance } : {}),
      ...(enforcement !== 'enforce' ? { enforcement } : {}),
    });
    spec.image = verified.reference;
    run.status.image = verified;
    if (verified.violations)
      log.warn('image deployed despite failed supply-chain checks (enforcement: warn)', {
        environment: spec.environment,
        violations: verified.violations,
      });
  } catch (err) {
    const reason = failureMessage(err);
    throw run.refuse(`image refused: ${reason}`, failureType(err, 'ReleaseFailed'), reason);
  }
}

export interface PreFlight {
  /** What runs now, to restore it exactly. */
  before: ServiceState;
  stable?: ServiceState['revisions'][number];
  plan?: RolloutPlan;
  /** The pool the release holds a GPU reservation on (given back when it ends). */
  reservedOn?: string;
  /** The PDB and NetworkPolicy to apply at promotion (checked by the API server already). */
  serviceObjects: KubeObject[];
}

/**
 * What runs now and what the pool can hold: the plan, or a refusal naming the missing GPUs.
 * `plan` is unset when `revision` already serves.
 */
export async function preFlight(run: ReleaseRun, spec: ServiceSpec, revision: string): Promise<PreFlight> {
  const { namespace, service } = spec;
  if (run.status.phase !== 'planning') run.setPhase('planning'); // after verifying the image
  // Nothing has changed yet: a read that fails (an unknown pool, a forbidden namespace) refuses the release with its reason.
  const refusedIf = <T>(what: string, read: Promise<T>): Promise<T> =>
    read.catch((err: unknown) => {
      throw run.refuse(`${what}: ${failureMessage(err)}`, failureType(err, 'ReleaseFailed'));
    });
  const before = await refusedIf(
    'cannot read the service',
    cluster.readServiceState({ namespace, service, gpuResource: spec.gpu.resource }),
  );
  const stable = before.revisions.find((r) => r.revision === before.stableRevision);
  const found = { before, ...(stable ? { stable } : {}), serviceObjects: [] };
  if (stable?.revision === revision) return found;
  const readCapacity = () =>
    refusedIf(
      'cannot plan the rollout',
      cluster.readPoolCapacity({
        pool: spec.gpu.pool,
        poolLabel: spec.gpu.poolLabel,
        resource: spec.gpu.resource,
        ...(spec.gpu.autoscaling ? { scales: true } : {}),
      }),
    );
  const planOn = (capacity: PoolCapacity) =>
    planRollout({
      replicas: spec.replicas,
      stableReplicas: stable?.replicas ?? 0,
      gpusPerReplica: spec.gpu.perReplica,
      stableGpusPerReplica: stable?.gpusPerReplica ?? spec.gpu.perReplica,
      steps: spec.rollout.steps,
      exactWeights: trafficOf(spec).kind.exactWeights,
      allowSwap: spec.rollout.allowSwap,
      capacity,
      ...(spec.gpu.autoscaling ? { poolScales: true } : {}),
    });
  // Reservations came while releases were in flight, hence the patch; a pool that scales makes room by itself.
  const { plan, reservedOn } =
    !spec.gpu.autoscaling && patched('gpu-reservations')
      ? await planWithReservations(run, spec, stable, readCapacity, planOn)
      : { plan: planOn(await readCapacity()), reservedOn: undefined };
  if (plan.mode === 'blocked') {
    if (reservedOn) await giveBackReservation(reservedOn);
    throw run.refuse(plan.reason, ErrorType.GpuCapacityExhausted, plan.reason, { missingGpus: plan.missingGpus });
  }
  run.status.mode = plan.mode;
  run.status.plan = plan.summary;
  try {
    return { ...found, plan, ...(reservedOn ? { reservedOn } : {}), serviceObjects: await checkServiceObjects(run, spec) };
  } catch (err) {
    if (reservedOn) await giveBackReservation(reservedOn);
    throw err;
  }
}

/**
 * The PDB and NetworkPolicy change only with a promotion; checked by the API server now
 * (server-side dry run), so a refusal (invalid, forbidden) comes before anything changes.
 * Added while releases were in flight, hence the patch; none to check, nothing recorded.
 */
async function checkServiceObjects(run: ReleaseRun, spec: ServiceSpec): Promise<KubeObject[]> {
  const objects = renderServiceObjects(spec);
  if (objects.length === 0 || !patched('service-objects')) return [];
  try {
    await cluster.applyObjects({ objects, dryRun: true });
  } catch (err) {
    throw run.refuse(`service objects refused: ${failureMessage(err)}`, failureType(err, 'ReleaseFailed'));
  }
  return objects;
}
