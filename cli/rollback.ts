import { WorkflowFailedError } from '@temporalio/client';
import { InvalidRollbackError, followRollback, startRollback, type RollbackProgress } from '../client/rollbacks';
import { ErrorType } from '../core/errors';
import { failureType } from '../workflows/failures';
import { withClient, type TemporalFlags } from './connect';
import { CliError, EXIT } from './exit-codes';
import { printWhenChanged, progressLine } from './progress';
import { identity } from './identity';

export interface RollbackFlags extends TemporalFlags {
  service: string;
  k8sNamespace: string;
  to?: string;
  reason: string;
  by?: string;
  wait: boolean;
  json?: boolean;
}

/** One line of a rollback's progress: its phase and target, then the redeploying release's line. */
export function rollbackLine({ rollback: r, release }: RollbackProgress, elapsedMs: number): string {
  return [
    `[${(elapsedMs / 1000).toFixed(0).padStart(4)}s] rollback ${r.phase}`,
    ...(r.preempted ? [`preempted release ${r.preempted.version} (was ${r.preempted.phase})`] : []),
    ...(r.target ? [`to ${r.target.version} (${r.target.revision})`] : []),
    ...(release ? [progressLine(release, elapsedMs).replace(/^\[[^\]]*\] /, 'release ')] : r.lastReason ? [r.lastReason] : []),
  ].join(' | ');
}

export async function rollback(flags: RollbackFlags): Promise<number> {
  const by = identity(flags.by ?? process.env.GITHUB_ACTOR);
  return withClient(flags, async (client, taskQueue) => {
    let handle;
    try {
      handle = await startRollback(
        client,
        {
          namespace: flags.k8sNamespace,
          service: flags.service,
          reason: flags.reason,
          requestedBy: by,
          ...(flags.to ? { to: flags.to } : {}),
        },
        { taskQueue },
      );
    } catch (err) {
      if (err instanceof InvalidRollbackError) throw new CliError(err.message, EXIT.invalid);
      throw err;
    }
    if (!flags.json)
      console.log(`rollback ${handle.workflowId} of ${flags.k8sNamespace}/${flags.service} requested by ${by}: ${flags.reason}`);
    if (!flags.wait) return EXIT.ok;
    const started = Date.now();
    const print = printWhenChanged();
    try {
      const result = await followRollback(client, handle, (p) =>
        print(flags.json ? JSON.stringify(p) : rollbackLine(p, Date.now() - started)),
      );
      const s = result.status;
      console.log(
        flags.json
          ? JSON.stringify(result)
          : result.outcome === 'unchanged'
            ? `unchanged: ${s.lastReason}`
            : `rolled back: ${s.namespace}/${s.service} serves ${s.target?.version} (${s.target?.revision}) again${result.release ? '' : ` — ${s.lastReason}`}`,
      );
      return EXIT.ok;
    } catch (err) {
      if (err instanceof WorkflowFailedError) {
        let cause: Error | undefined = err.cause;
        while ((cause as { cause?: Error } | undefined)?.cause) cause = (cause as { cause: Error }).cause;
        console.error(`rollback failed: ${cause?.message ?? err.message}`);
        return failureType(err, '') === ErrorType.ServiceNotFound ? EXIT.unavailable : EXIT.failed;
      }
      throw err;
    }
  });
}
