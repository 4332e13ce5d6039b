/**
 * Planning on a pool other releases may be using at the same time (patch `gpu-reservations`):
 * the plan leaves free what their reservations have not claimed yet, and the release reserves
 * its own peak on the pool's ledger before anything changes. A plan blocked while other releases
 * are in flight on the pool waits for them (up to `gpu.queueBudget`, said in the status: they
 * free GPUs as they end), then is refused naming them; with none in flight, it is refused at once.
 */
import { patched, sleep, workflowInfo } from '@temporalio/workflow';
import { ErrorType } from '../../core/errors';
import type { PoolCapacity } from '../../core/gpu-capacity';
import { capacityLeft, describeHolders, peakGpus, slackOf, unclaimedByOthers } from '../../core/gpu-reservations';
import { formatDuration } from '../../core/duration';
import type { BlockedPlan, RolloutPlan } from '../../core/rollout-plan';
import type { ServiceSpec } from '../../core/service-spec';
import { temporal } from '../activity-proxies';
import type { ReleaseRun } from './run';

const RECHECK_MS = 10_000;

export interface ReservedPlan {
  plan: RolloutPlan | BlockedPlan;
  /** Set when the release holds a reservation it must give back when it ends. */
  reservedOn?: string;
}

export async function planWithReservations(
  run: ReleaseRun,
  spec: ServiceSpec,
  stable: { replicas: number; gpusPerReplica: number } | undefined,
  readCapacity: () => Promise<PoolCapacity>,
  plan: (capacity: PoolCapacity) => RolloutPlan | BlockedPlan,
): Promise<ReservedPlan> {
  const { workflowId, runId } = workflowInfo();
  const pool = spec.gpu.pool;
  const waitingSince = Date.now();
  // Runs gone without giving their reservation back are looked for only when they could be in the
  // way (one describe per holder): histories from before read with that look every time.
  let pruneGone = !patched('ledger-prune-when-blocked');
  for (;;) {
    const capacity = await readCapacity();
    const ledger = await temporal.readGpuLedger({ pool, pruneGone });
    const others = unclaimedByOthers(ledger, workflowId, capacity.heldByService ?? {});
    const planned = plan(capacityLeft(capacity, others.gpus));
    if (planned.mode === 'blocked') {
      // With no other release in flight on the pool, nothing will free GPUs: refused as before.
      if (others.holders.length === 0) return { plan: planned };
      if (!pruneGone) {
        pruneGone = true;
        continue;
      }
      const held = describeHolders(others.holders);
      if (Date.now() - waitingSince >= spec.gpu.queueBudget) {
        const waited = spec.gpu.queueBudget > 0 ? ` after waiting ${formatDuration(spec.gpu.queueBudget)}` : '';
        throw run.refuse(`GPUs on pool ${pool} are reserved by releases in flight${waited}: ${held}`, ErrorType.GpuCapacityExhausted);
      }
      run.status.lastReason = `waiting for GPUs on pool ${pool}: ${held}`;
      await sleep(RECHECK_MS);
      continue;
    }
    const gpus = peakGpus(planned, stable?.replicas ?? 0, stable?.gpusPerReplica ?? spec.gpu.perReplica);
    const reservation = {
      holder: workflowId,
      runId,
      service: `${spec.namespace}/${spec.service}`,
      version: spec.version,
      gpus,
      since: new Date().toISOString(),
    };
    // Refused when others reserved more since the read than the plan leaves to spare: plan again with what they took.
    const slack = slackOf(capacity, others.gpus, planned, plan);
    if ((await temporal.reserveGpus({ pool, reservation, readVersion: ledger.version, slack })).ok) {
      if (run.status.lastReason?.startsWith('waiting for GPUs')) delete run.status.lastReason;
      return { plan: planned, reservedOn: pool };
    }
  }
}

/** Gives the reservation back (the release ended either way); best effort: a later read drops it anyway. */
export async function giveBackReservation(pool: string): Promise<void> {
  const { workflowId, runId } = workflowInfo();
  await temporal.releaseGpus({ pool, holder: workflowId, runId }).catch(() => undefined);
}
