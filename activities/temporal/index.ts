/**
 * Activities that talk to Temporal itself about other workflows: an on-call rollback stops the
 * release in flight here and waits for it to finish rolling back. The worker's connection details, its own
 * client (connected on first use).
 */
import { Context } from '@temporalio/activity';
import { Client, Connection, WorkflowNotFoundError, type TLSConfig } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { preemptSignal, statusQuery } from '../../workflows/messages';
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
    /**
     * Tells the release in flight for the service to stop (`preempt`: it rolls itself back) and
     * returns once no release of it runs (polling every 500 ms, heartbeating). A retry sends the
     * signal again, which the release ignores once it is stopping.
     */
    async preemptRelease(input: { namespace: string; service: string; reason: string; by: string }): Promise<ReleaseEnd> {
      const handle = (await connect()).workflow.getHandle(releaseWorkflowId(input.namespace, input.service));
      const ctx = Context.current();
      const end: ReleaseEnd = {};
      for (let first = true; ; first = false) {
        let status: string;
        try {
          status = (await handle.describe()).status.name;
        } catch (err) {
          if (err instanceof WorkflowNotFoundError) return end;
          throw err;
        }
        if (status !== 'RUNNING') return { ...end, lastStatus: status };
        if (first) {
          const st = await handle.query(statusQuery).catch(() => undefined);
          if (st) end.wasRunning = { version: st.version, phase: st.phase };
          await handle.signal(preemptSignal, { reason: input.reason, by: input.by }).catch(() => undefined); // it may have just ended
        }
        ctx.heartbeat(end);
        await ctx.sleep(500);
      }
    },
  };
}

export type TemporalActivities = ReturnType<typeof createTemporalActivities>;
