/** A restore of a service into production after a loss: which backup, where to, and whether it may replace what runs. */
import { z } from 'zod';
import { durationMs } from '../duration';
import { dnsLabel } from '../dns-label';
import { BackupStoreSpec } from '../drill/spec';

export const RestoreRequest = z.object({
  namespace: dnsLabel,
  service: dnsLabel,
  backupStore: BackupStoreSpec,
  /** Unset: the newest whole backup. */
  backupId: z
    .string()
    .regex(/^[A-Za-z0-9][-A-Za-z0-9_.]*$/, 'a backup id (letters, digits, - _ .)')
    .optional(),
  /** Unset: the service's own namespace. */
  toNamespace: dnsLabel.optional(),
  /** Restore over a service that is serving (its objects are overwritten with the backup's). */
  replace: z.boolean().default(false),
  /** Write the weights here instead of where the service loaded them from. */
  weightsTo: z
    .string()
    .regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/.+/, 's3://bucket/prefix')
    .optional(),
  /** Longest the restored pods may take to become Ready. */
  restoreTimeout: durationMs.default(10 * 60_000),
  requestedBy: z.string().min(1).optional(),
});
export type RestoreRequest = z.infer<typeof RestoreRequest>;
export type RestoreRequestInput = z.input<typeof RestoreRequest>;

export const restoreWorkflowId = (namespace: string, service: string) => `restore:${namespace}.${service}`;

/** Why a restore must not go ahead without --replace: the target serves (a Ready pod). Pure. */
export function restoreRefusal(
  target: { namespace: string; service: string },
  revisions: readonly { deployment: string; readyReplicas: number }[],
  replace: boolean,
): string | undefined {
  const serving = revisions.filter((r) => r.readyReplicas > 0);
  if (replace || serving.length === 0) return undefined;
  const pods = serving.reduce((n, r) => n + r.readyReplicas, 0);
  return `${target.namespace}/${target.service} is serving (${pods} ready pod${pods === 1 ? '' : 's'} of ${serving.map((r) => r.deployment).join(', ')}): restore over it with --replace, or into another namespace with --to-namespace`;
}
