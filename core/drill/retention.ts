/**
 * Which backups of a service to keep: the newest `keepLast`, and those younger than `keepDays`
 * (a backup either rule keeps is kept, as restic's --keep-last / --keep-within); never the newest
 * verified backup (one a drill restored and checked), whatever its age; never one that is not
 * whole yet unless it is older than the grace (it may be a backup being written right now).
 */
import { z } from 'zod';

export const RetentionSpec = z
  .object({
    keepLast: z.number().int().positive().optional(),
    keepDays: z.number().positive().optional(),
  })
  .refine((r) => r.keepLast !== undefined || r.keepDays !== undefined, { message: 'retention needs keepLast, keepDays or both' });
export type RetentionSpec = z.infer<typeof RetentionSpec>;

export interface StoredBackup {
  backupId: string;
  /** When it was taken (epoch ms); undefined when unknown (an id without a time, no manifest). */
  takenAt?: number;
  /** Its manifest is written: the backup is whole. */
  complete: boolean;
  /** A drill restored it and it passed. */
  verified: boolean;
}

export interface RetentionDecision {
  keep: { backupId: string; why: string }[];
  remove: { backupId: string; why: string }[];
}

const DAY_MS = 86_400_000;
/** An incomplete backup younger than this may still be being written. */
export const PARTIAL_GRACE_MS = 6 * 3_600_000;

export function retentionDecision(backups: readonly StoredBackup[], policy: RetentionSpec, nowMs: number): RetentionDecision {
  const out: RetentionDecision = { keep: [], remove: [] };
  const complete = backups.filter((b) => b.complete).sort((a, b) => (b.takenAt ?? 0) - (a.takenAt ?? 0));
  const newestVerified = complete.find((b) => b.verified)?.backupId;
  complete.forEach((b, i) => {
    const age = b.takenAt === undefined ? undefined : nowMs - b.takenAt;
    if (b.backupId === newestVerified) out.keep.push({ backupId: b.backupId, why: 'the newest verified backup' });
    else if (policy.keepLast !== undefined && i < policy.keepLast)
      out.keep.push({ backupId: b.backupId, why: `one of the last ${policy.keepLast}` });
    else if (policy.keepDays !== undefined && (age === undefined || age < policy.keepDays * DAY_MS))
      out.keep.push({ backupId: b.backupId, why: age === undefined ? 'its age is unknown' : `younger than ${policy.keepDays} days` });
    else out.remove.push({ backupId: b.backupId, why: 'outside the retention policy' });
  });
  for (const b of backups.filter((x) => !x.complete)) {
    if (b.takenAt !== undefined && nowMs - b.takenAt > PARTIAL_GRACE_MS) out.remove.push({ backupId: b.backupId, why: 'never completed' });
    else out.keep.push({ backupId: b.backupId, why: 'incomplete, maybe still being written' });
  }
  return out;
}

/** The time in a drill's backup id ("20261202T225500Z-1a2b3c4d"), if it has one. */
export function timeOfBackupId(backupId: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/.exec(backupId);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : undefined;
}

/** A backup id that sorts and reads as its time: "20261203T084500Z-<suffix>". */
export const backupIdAt = (ms: number, suffix: string): string =>
  `${new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${suffix}`;

/**
 * Which weight blobs no backup needs any more: referenced by no whole backup's manifest, and
 * written longer ago than the grace (a backup being written has copied blobs its manifest does
 * not name yet).
 */
export function unreferencedBlobs<B extends { sha256: string; modifiedMs: number }>(
  blobs: readonly B[],
  referenced: ReadonlySet<string>,
  nowMs: number,
  graceMs = PARTIAL_GRACE_MS,
): B[] {
  return blobs.filter((b) => !referenced.has(b.sha256) && nowMs - b.modifiedMs > graceMs);
}
