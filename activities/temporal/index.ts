/**
 * Activities that talk to Temporal itself about other workflows: an on-call rollback stops the
 * release in flight here and waits for it to finish rolling back. The worker's connection details, its own
 * client (connected on first use).
 */
import { Context } from '@temporalio/activity';
import { Client, Connection, WorkflowNotFoundError, type TLSConfig, type WorkflowHandle } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { preemptSignal, statusQuery } from '../../workflows/messages';
import { createGpuLedgerActivities } from './gpu-ledger';
import { releaseWorkflowId } from '../../core/release/types';

export interface TemporalActivityOptions {
  address: string;
  namespace: string;
  /** The worker's own TLS settings (mTLS client certificate included). */
  tls?: TLSConfig;
  /** The worker's own (payloads sealed alike). */
  dataConverter?: DataConverter;
}

export interface ReleaseEnd {
  /** The release that was running when the wait began, if one was. */
  wasRunning?: { version: string; phase: string };
  /** How the latest release of the service ended (Temporal's status name), if there is one. */
  lastStatus?: string;
  /**
   * The release that was running ended without being promoted: it rolled itself back (preempted,
   * failed) or was refused, so what serves is what served when it started.
   */
  stoppedBeforePromotion?: boolean;
}

/** Whether a release that has ended left the service as it found it (anything but promoted; a terminated one is unknown). */
async function endedUnpromoted(handle: WorkflowHandle, status: string): Promise<boolean> {
  if (status === 'FAILED') return true;
  if (status !== 'COMPLETED') return false;
  const result = (await handle.result().catch(() => undefined)) as { outcome?: string } | undefined;
  return result !== undefined && result.outcome !== 'promoted';
}

export function createTemporalActivities(opts: TemporalActivityOptions) {
  let client: Promise<Client> | undefined;
  const connect = () =>
    (client ??= Connection.connect({ address: opts.address, ...(opts.tls ? { tls: opts.tls } : {}) }).then(
      (connection) =>
        new Client({ connection, namespace: opts.namespace, ...(opts.dataConverter ? { dataConverter: opts.dataConverter } : {}) }),
      (err: unknown) => {
        client = undefined;
        throw err;
      },
    ));

  return {
    ...createGpuLedgerActivities(connect),
    /**
     * Tells the release in flight for the service to stop (`preempt`: it rolls itself back) and
     * returns once no release of it runs (polling every 500 ms, heartbeating). A retry sends the
     * signal again, which the release ignores once it is stopping.
     */
    async preemptRelease(input: { namespace: string; service: string; reason: string; by: string }): Promise<ReleaseEnd> {
      const handle = (await connect()).workflow.getHandle(releaseWorkflowId(input.namespace, input.service));
      const ctx = Context.current();
      // A retry resumes what the last attempt saw: whether a release was running when the wait began.
      const end: ReleaseEnd = { ...(ctx.info.heartbeatDetails as ReleaseEnd | undefined) };
      for (let first = true; ; first = false) {
        let status: string;
        try {
          status = (await handle.describe()).status.name;
        } catch (err) {
          if (err instanceof WorkflowNotFoundError) return end;
          throw err;
        }
        if (status !== 'RUNNING') {
          const stopped = end.wasRunning !== undefined && (await endedUnpromoted(handle, status));
          return { ...end, lastStatus: status, ...(stopped ? { stoppedBeforePromotion: true } : {}) };
        }
        if (first) {
          const st = await handle.query(statusQuery).catch(() => undefined);
          end.wasRunning ??= { version: st?.version ?? 'unknown', phase: st?.phase ?? 'unknown' };
          await handle.signal(preemptSignal, { reason: input.reason, by: input.by }).catch(() => undefined); // it may have just ended
        }
        ctx.heartbeat(end);
        await ctx.sleep(500);
      }
    },
  };
}

export type TemporalActivities = ReturnType<typeof createTemporalActivities>;
