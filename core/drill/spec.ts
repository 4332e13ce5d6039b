/** A disaster-recovery drill: what to back up, where to, and the targets it is judged by. */
import { z } from 'zod';
import { durationMs } from '../duration';
import { dnsLabel } from '../dns-label';
import { RetentionSpec } from './retention';

/** A directory the worker writes (a mounted volume). */
const DirectoryStoreSpec = z.strictObject({ kind: z.literal('directory').default('directory'), path: z.string().min(1) });

/** A bucket on S3 or an S3-compatible server (the worker's configuration says which, and its keys). */
const S3StoreSpec = z.strictObject({
  kind: z.literal('s3'),
  bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens'),
  /** Keys go below it ("folder/"), e.g. one prefix per environment. */
  prefix: z
    .string()
    .regex(/^[A-Za-z0-9][-A-Za-z0-9_.]*(\/[A-Za-z0-9][-A-Za-z0-9_.]*)*\/?$/, 'path segments of letters, digits, - _ .')
    .optional(),
});

/** One variant per kind of store (activities/backup/stores.ts). */
export const BackupStoreSpec = z.union([S3StoreSpec, DirectoryStoreSpec]);
export type BackupStoreSpec = z.infer<typeof BackupStoreSpec>;

export const DrillSpec = z.strictObject({
  namespace: dnsLabel,
  service: dnsLabel,
  /** The model store: a directory standing in for the PVC on the local stack (the worker reads it). */
  modelStore: z.strictObject({ path: z.string().min(1) }).optional(),
  /** Where backups go, the whole config reaching the backup activities (activities/backup/stores.ts). */
  backupStore: BackupStoreSpec,
  /** Which of the service's backups to keep: pruned after each drill that verified its backup. */
  retention: RetentionSpec.optional(),
  /** Restore this existing backup instead of taking a new one (a drill of an older backup). */
  restoreBackup: z
    .string()
    .regex(/^[A-Za-z0-9][-A-Za-z0-9_.]*$/)
    .optional(),
  /** Seeds: RTO < 5 min, RPO < 1 min. */
  targets: z
    .strictObject({ rto: durationMs.default(5 * 60_000), rpo: durationMs.default(60_000) })
    .default({ rto: 5 * 60_000, rpo: 60_000 }),
  /** Longest the restored pods may take to become Ready. */
  restoreTimeout: durationMs.default(10 * 60_000),
  /** Golden prompts sent to the source and the restored service: answered, and answered the same. */
  goldenPrompts: z.array(z.string().min(1)).default(['Describe the screen in one sentence.', 'What is 17 * 23?']),
  /** Report to this repository as an issue (label dr-drill). */
  github: z.strictObject({ owner: z.string().min(1), repo: z.string().min(1) }).optional(),
});
export type DrillSpec = z.infer<typeof DrillSpec>;
export type DrillSpecInput = z.input<typeof DrillSpec>;
