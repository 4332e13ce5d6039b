/**
 * gpuPoolLedger: the GPU reservations of one pool (ID `gpu-pool:<task queue>:<pool>`), so that releases
 * planning on the pool at once do not count the same free GPUs twice. Releases reserve through
 * an update made against the ledger version they planned with (refused, and the release plans
 * again, when others reserved more since then than its plan leaves to spare), and give the reservation back with a signal when they end. It runs for
 * as long as the pool is used, continuing as new as its history grows.
 */
import { allHandlersFinished, condition, continueAsNew, setHandler, workflowInfo } from '@temporalio/workflow';
import { emptyLedger, releaseReservation, reserve, type GpuLedger } from '../core/gpu-reservations';
import { gpuLedgerQuery, releaseGpusSignal, reserveGpusUpdate } from './messages';

const CHANGES_PER_RUN = 500;

export async function gpuPoolLedger(input: {
  pool: string;
  ledger?: GpuLedger;
  /** Changes before it continues as new (default 500; tests make it small). */
  changesPerRun?: number;
}): Promise<void> {
  const changesPerRun = input.changesPerRun ?? CHANGES_PER_RUN;
  let ledger = input.ledger ?? emptyLedger();
  let changes = 0;
  setHandler(gpuLedgerQuery, () => ledger);
  setHandler(reserveGpusUpdate, ({ reservation, readVersion, slack }) => {
    const r = reserve(ledger, reservation, readVersion, slack);
    ledger = r.ledger;
    changes++;
    return { ok: r.ok, version: ledger.version };
  });
  setHandler(releaseGpusSignal, ({ holder, runId }) => {
    ledger = releaseReservation(ledger, holder, runId);
    changes++;
  });
  await condition(() => changes >= changesPerRun || workflowInfo().continueAsNewSuggested);
  await condition(allHandlersFinished);
  await continueAsNew<typeof gpuPoolLedger>({ pool: input.pool, ledger, ...(input.changesPerRun ? { changesPerRun } : {}) });
}
