/** `autoglm-deploy protect`: continuous protection of a service (start, status, stop). */
import { InvalidProtectionError, protectionStatus, startProtection, stopProtection, validateProtection } from '../client/protection';
import type { ProtectSpecInput } from '../core/protect/spec';
import type { ProtectStatus } from '../core/protect/types';
import { parseYamlText } from '../core/spec-file';
import { withClient, type TemporalFlags } from './connect';
import { CliError, EXIT } from './exit-codes';
import { readInputFile } from './release';

interface ServiceFlags extends TemporalFlags {
  service: string;
  k8sNamespace: string;
  json?: boolean;
}

function readProtectFile(file: string): ProtectSpecInput {
  const spec = readInputFile(file, parseYamlText) as ProtectSpecInput;
  try {
    validateProtection(spec);
  } catch (err) {
    if (err instanceof InvalidProtectionError) throw new CliError(`${file}: ${err.message}`, EXIT.invalid);
    throw err;
  }
  return spec;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export function statusText(s: ProtectStatus, nowMs: number): string {
  const last = s.state.last;
  return [
    `${s.namespace}/${s.service}: ${s.phase}`,
    last ? `newest verified backup ${last.backupId}, ${seconds(nowMs - last.verifiedAt)} ago` : 'no verified backup yet',
    `${s.state.backups} backups; RPO of the last ${s.rpo.changes} changes: p50 ${seconds(s.rpo.p50Ms)}, p99 ${seconds(s.rpo.p99Ms)}, max ${seconds(s.rpo.maxMs)} (${s.rpo.overTarget} over target)`,
    ...(s.lastError ? [`last error: ${s.lastError}`] : []),
  ].join('\n');
}

export const protectStart = (file: string, flags: TemporalFlags & { update?: boolean; json?: boolean }) =>
  withClient(flags, async (client, taskQueue) => {
    const handle = await startProtection(client, readProtectFile(file), { taskQueue, update: !!flags.update });
    console.log(
      flags.json
        ? JSON.stringify({ workflowId: handle.workflowId, runId: handle.firstExecutionRunId })
        : `protecting: ${handle.workflowId}`,
    );
    return EXIT.ok;
  });

export const protectStatus = (flags: ServiceFlags) =>
  withClient(flags, async (client) => {
    let s: ProtectStatus;
    try {
      s = await protectionStatus(client, flags.k8sNamespace, flags.service);
    } catch (err) {
      if ((err as Error).name === 'WorkflowNotFoundError')
        throw new CliError(`${flags.k8sNamespace}/${flags.service} is not protected`, EXIT.unavailable);
      throw err;
    }
    console.log(flags.json ? JSON.stringify(s) : statusText(s, Date.now()));
    return EXIT.ok;
  });

export const protectStop = (flags: ServiceFlags) =>
  withClient(flags, async (client) => {
    const stopped = await stopProtection(client, flags.k8sNamespace, flags.service);
    console.log(stopped ? `stopped protecting ${flags.k8sNamespace}/${flags.service} (its backups stay)` : 'it was not protected');
    return EXIT.ok;
  });
