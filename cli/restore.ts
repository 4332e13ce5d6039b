/** `autoglm-deploy restore`: a service back into production from its backup, with live progress. */
import { WorkflowFailedError } from '@temporalio/client';
import { InvalidRestoreError, RestoreInProgressError, followRestore, startRestore } from '../client/restores';
import type { BackupStoreSpec } from '../core/drill/spec';
import type { RestoreStatus } from '../core/restore/types';
import { failureText } from '../client/workflow-failure';
import { withClient, type TemporalFlags } from './connect';
import { CliError, EXIT } from './exit-codes';
import { identity } from './identity';
import { printWhenChanged } from './progress';

export interface RestoreFlags extends TemporalFlags {
  service: string;
  k8sNamespace: string;
  bucket?: string;
  prefix?: string;
  directory?: string;
  backup?: string;
  toNamespace?: string;
  replace?: boolean;
  weightsTo?: string;
  timeout?: string;
  by?: string;
  wait: boolean;
  json?: boolean;
}

function storeOf(f: RestoreFlags): BackupStoreSpec {
  if (!!f.bucket === !!f.directory) throw new CliError('name the backup store: --bucket B [--prefix P] or --directory PATH', EXIT.invalid);
  return f.bucket ? { kind: 's3', bucket: f.bucket, ...(f.prefix ? { prefix: f.prefix } : {}) } : { kind: 'directory', path: f.directory! };
}

export const restoreLine = (s: RestoreStatus, elapsedMs: number) =>
  [
    `[${(elapsedMs / 1000).toFixed(0).padStart(4)}s] restore ${s.phase}`,
    ...(s.backupId ? [`backup ${s.backupId}`] : []),
    ...(s.weights ? [`weights ${s.weights.copied ? 'written to' : 'kept at'} ${s.weights.target}`] : []),
    ...(s.objects !== undefined ? [`${s.objects} objects`] : []),
    ...(s.lastReason ? [s.lastReason] : []),
  ].join(' | ');

export const restore = (flags: RestoreFlags) =>
  withClient(flags, async (client, taskQueue) => {
    let handle;
    try {
      handle = await startRestore(
        client,
        {
          namespace: flags.k8sNamespace,
          service: flags.service,
          backupStore: storeOf(flags),
          replace: !!flags.replace,
          ...(flags.backup ? { backupId: flags.backup } : {}),
          ...(flags.toNamespace ? { toNamespace: flags.toNamespace } : {}),
          ...(flags.weightsTo ? { weightsTo: flags.weightsTo } : {}),
          ...(flags.timeout ? { restoreTimeout: flags.timeout } : {}),
          requestedBy: identity(flags.by),
        },
        { taskQueue },
      );
    } catch (err) {
      if (err instanceof InvalidRestoreError) throw new CliError(err.message, EXIT.invalid);
      if (err instanceof RestoreInProgressError) throw new CliError(err.message, EXIT.conflict);
      throw err;
    }
    if (!flags.json) console.log(`started ${handle.workflowId}`);
    if (!flags.wait) return EXIT.ok;
    const started = Date.now();
    const print = printWhenChanged();
    try {
      const r = await followRestore(handle, (s) => print(flags.json ? JSON.stringify(s) : restoreLine(s, Date.now() - started)));
      console.log(
        flags.json
          ? JSON.stringify(r)
          : `restored ${flags.k8sNamespace}/${flags.service} from ${r.backupId} into ${r.targetNamespace}: ${r.objects} objects, serving after ${(r.rtoMs / 1000).toFixed(1)} s`,
      );
      return EXIT.ok;
    } catch (err) {
      if (!(err instanceof WorkflowFailedError)) throw err;
      console.error(`restore failed: ${failureText(err)}`);
      return EXIT.failed;
    }
  });
