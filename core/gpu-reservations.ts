/**
 * GPU reservations per pool: two releases planning on one pool at the same time would both see
 * the same free GPUs. Each release reserves the most GPUs its service will hold on the pool at
 * any point of its plan; a reservation counts against others only for the part its service's
 * pods do not hold yet (measured from the cluster, so a swap's briefly freed GPUs stay reserved).
 * Pure: the ledger workflow keeps the state, the release decides with these.
 */
import type { PoolCapacity } from './gpu-capacity';
import type { BlockedPlan, RolloutPlan } from './rollout-plan';

export interface GpuReservation {
  /** The release's workflow ID, and the run that holds it. */
  holder: string;
  runId: string;
  /** `namespace/service`: whose pods' GPUs claim the reservation. */
  service: string;
  version: string;
  gpus: number;
  since: string;
  /** The ledger version this reservation made (set by the ledger): what came after a release's read. */
  atVersion?: number;
}

export interface GpuLedger {
  /** Bumped on every change: a reservation is made against the ledger it was planned with. */
  version: number;
  reservations: GpuReservation[];
}

/** The ledger workflow of a pool, per task queue (the workers releasing to that cluster run it). */
export const gpuLedgerId = (taskQueue: string, pool: string) => `gpu-pool:${taskQueue}:${pool}`;

export const emptyLedger = (): GpuLedger => ({ version: 0, reservations: [] });

/** Others' reserved GPUs that their pods do not hold yet (`gpus`), and every other release holding a reservation. */
export function unclaimedByOthers(
  ledger: GpuLedger,
  holder: string,
  heldByService: Record<string, number>,
): { gpus: number; holders: { reservation: GpuReservation; unclaimed: number }[] } {
  const holders = ledger.reservations
    .filter((r) => r.holder !== holder)
    .map((reservation) => ({ reservation, unclaimed: Math.max(0, reservation.gpus - (heldByService[reservation.service] ?? 0)) }));
  return { gpus: holders.reduce((n, h) => n + h.unclaimed, 0), holders };
}

/**
 * The pool as a new plan may use it: `reserved` GPUs taken off the nodes with the most free
 * first (where the scheduler's spreading would place the other releases' pods).
 */
export function capacityLeft(capacity: PoolCapacity, reserved: number): PoolCapacity {
  const nodes = capacity.nodes.map((n) => ({ ...n }));
  for (let left = reserved; left > 0; left--) {
    const most = nodes.reduce<(typeof nodes)[number] | undefined>((best, n) => (n.free > (best?.free ?? 0) ? n : best), undefined);
    if (!most) break;
    most.free--;
  }
  return {
    ...capacity,
    nodes,
    free: nodes.reduce((n, c) => n + c.free, 0),
    largestFreeOnOneNode: Math.max(0, ...nodes.map((c) => c.free)),
  };
}

/** The most GPUs the service holds at any moment of the plan: a canary-first move holds both tracks before the stable shrinks. */
export function peakGpus(plan: RolloutPlan, stableReplicas: number, stableGpusPerReplica: number): number {
  const g = plan.gpusPerReplica;
  let peak = stableReplicas * stableGpusPerReplica;
  let stable = stableReplicas;
  for (const move of [...plan.steps, ...plan.promotion]) {
    const during = move.order === 'canary-first' ? Math.max(stable, move.stableReplicas) : move.stableReplicas;
    peak = Math.max(peak, move.canaryReplicas * g + during * stableGpusPerReplica);
    stable = move.stableReplicas;
  }
  if (plan.mode === 'initial') peak = Math.max(peak, plan.replicas * g);
  return peak;
}

/**
 * Adds (or replaces) the holder's reservation when its plan still holds: the ledger is the one the
 * plan was made with, or what other releases reserved since that read fits in the plan's `slack`
 * (GPUs others may take without changing it; see slackOf). A refused release plans again. With
 * a slack, releases starting together on a roomy pool all reserve on their first try instead of
 * one per round.
 */
export function reserve(
  ledger: GpuLedger,
  reservation: GpuReservation,
  readVersion: number,
  slack = 0,
): { ok: true; ledger: GpuLedger } | { ok: false; ledger: GpuLedger } {
  if (ledger.version !== readVersion) {
    // A reservation from before versions were recorded counts as new: the safe side.
    const takenSince = ledger.reservations
      .filter((r) => r.holder !== reservation.holder && (r.atVersion === undefined || r.atVersion > readVersion))
      .reduce((n, r) => n + r.gpus, 0);
    if (ledger.version < readVersion || takenSince > slack) return { ok: false, ledger };
  }
  const version = ledger.version + 1;
  return {
    ok: true,
    ledger: {
      version,
      reservations: [...ledger.reservations.filter((r) => r.holder !== reservation.holder), { ...reservation, atVersion: version }],
    },
  };
}

/** What a release carries out of its plan: its moves (the summary and free-pod count only describe the pool). */
const moves = (p: RolloutPlan | BlockedPlan) => JSON.stringify(p.mode === 'blocked' ? p.mode : [p.mode, p.steps, p.promotion]);

/**
 * How many more GPUs other releases could take from the pool (beyond `reserved`) with `planned`
 * still the plan the pool allows: the most `k` for which planning on the pool less `reserved + k`
 * makes the same moves. Binary search: fewer GPUs never make room for a plan more GPUs did not.
 */
export function slackOf(
  capacity: PoolCapacity,
  reserved: number,
  planned: RolloutPlan,
  plan: (capacity: PoolCapacity) => RolloutPlan | BlockedPlan,
): number {
  const same = moves(planned);
  const holds = (k: number) => moves(plan(capacityLeft(capacity, reserved + k))) === same;
  let [lo, hi] = [0, Math.max(0, capacity.free - reserved)];
  if (!holds(lo)) return 0;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (holds(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Without the holder's reservation (its release ended, or its run is gone). */
export function releaseReservation(ledger: GpuLedger, holder: string, runId?: string): GpuLedger {
  const kept = ledger.reservations.filter((r) => !(r.holder === holder && (!runId || r.runId === runId)));
  return kept.length === ledger.reservations.length ? ledger : { version: ledger.version + 1, reservations: kept };
}

/** "release:ns.svc (v2) reserved 6 GPUs, 2 not placed yet" — for a status line or a refusal. */
export const describeHolders = (holders: ReturnType<typeof unclaimedByOthers>['holders']): string =>
  holders
    .map((h) => `${h.reservation.holder} (${h.reservation.version}) reserved ${h.reservation.gpus} GPUs, ${h.unclaimed} not placed yet`)
    .join('; ');
