/**
 * The release's side of a pool's GPU ledger (workflows/gpu-pool-ledger.ts): read it (starting
 * it on first use, on this worker's task queue), reserve, give back. A reservation whose release
 * run is no longer running (terminated, or lost with its history) is dropped when read.
 */
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { gpuLedgerId, type GpuLedger, type GpuReservation } from '../../core/gpu-reservations';
import { gpuLedgerQuery, releaseGpusSignal, reserveGpusUpdate } from '../../workflows/messages';

export function createGpuLedgerActivities(connect: () => Promise<Client>) {
  const ledgerOf = async (pool: string) => {
    const client = await connect();
    const { taskQueue } = Context.current().info;
    const workflowId = gpuLedgerId(taskQueue, pool);
    // Started once per pool (USE_EXISTING: a running ledger is reused as it is).
    await client.workflow.start('gpuPoolLedger', { workflowId, taskQueue, args: [{ pool }], workflowIdConflictPolicy: 'USE_EXISTING' });
    // Talked to through a handle on its id alone, which follows the current run. The handle start()
    // returns pins updates to a chain starting at the run it found: once the ledger had continued
    // as new, every reservation failed with "workflow execution not found".
    return client.workflow.getHandle(workflowId);
  };

  return {
    /**
     * `pruneGone` (default true): describe each holder's run and drop the reservations of runs that
     * ended without giving them back. One call per holder: a release asks only when it is blocked.
     */
    async readGpuLedger(input: { pool: string; pruneGone?: boolean }): Promise<GpuLedger> {
      const client = await connect();
      const ledger = await ledgerOf(input.pool);
      const read = await ledger.query(gpuLedgerQuery);
      if (input.pruneGone === false) return read;
      const gone: GpuReservation[] = [];
      for (const r of read.reservations) {
        const status = await client.workflow
          .getHandle(r.holder, r.runId)
          .describe()
          .then(
            (d) => d.status.name,
            (err: unknown) => (err instanceof WorkflowNotFoundError ? 'NOT_FOUND' : 'UNKNOWN'),
          );
        if (status !== 'RUNNING' && status !== 'UNKNOWN') gone.push(r);
      }
      if (gone.length === 0) return read;
      for (const r of gone) await ledger.signal(releaseGpusSignal, { holder: r.holder, runId: r.runId });
      return ledger.query(gpuLedgerQuery);
    },

    /** Against the ledger version the plan was made with: `ok: false` when others took more than `slack` since (plan again). */
    async reserveGpus(input: { pool: string; reservation: GpuReservation; readVersion: number; slack?: number }): Promise<{ ok: boolean }> {
      const ledger = await ledgerOf(input.pool);
      const r = await ledger.executeUpdate(reserveGpusUpdate, {
        args: [{ reservation: input.reservation, readVersion: input.readVersion, ...(input.slack ? { slack: input.slack } : {}) }],
      });
      return { ok: r.ok };
    },

    async releaseGpus(input: { pool: string; holder: string; runId: string }): Promise<void> {
      const ledger = await ledgerOf(input.pool);
      await ledger.signal(releaseGpusSignal, { holder: input.holder, runId: input.runId });
    },
  };
}
