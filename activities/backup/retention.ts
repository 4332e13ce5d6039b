/**
 * A service's backups in a store, as retention sees them (whole or not, verified by a drill or
 * not, when taken), and their removal: the manifest checksum goes first, so a backup being
 * removed is never seen as whole again, even if the removal stops half-way.
 */
import {
  retentionDecision,
  timeOfBackupId,
  type RetentionDecision,
  type RetentionSpec,
  type StoredBackup,
} from '../../core/drill/retention';
import type { BackupStore } from './store';

export const VERIFIED_MARK = 'verified.json';

/** The backups under "<namespace>/<service>/". */
export async function listBackups(store: BackupStore, servicePrefix: string): Promise<StoredBackup[]> {
  const byId = new Map<string, Set<string>>();
  for (const { key } of await store.list(servicePrefix)) {
    const [id, ...rest] = key.slice(servicePrefix.length).split('/');
    if (!id || rest.length === 0) continue;
    if (!byId.has(id)) byId.set(id, new Set());
    byId.get(id)!.add(rest.join('/'));
  }
  const out: StoredBackup[] = [];
  for (const [backupId, names] of byId) {
    let takenAt = timeOfBackupId(backupId);
    const complete = names.has('manifest.sha256');
    if (takenAt === undefined && complete) takenAt = await takenAtOf(store, `${servicePrefix}${backupId}/manifest.json`);
    out.push({ backupId, complete, verified: names.has(VERIFIED_MARK), ...(takenAt !== undefined ? { takenAt } : {}) });
  }
  return out;
}

async function takenAtOf(store: BackupStore, key: string): Promise<number | undefined> {
  const body = await store.get(key);
  if (!body) return undefined;
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  const t = Date.parse((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { takenAt?: string }).takenAt ?? '');
  return Number.isNaN(t) ? undefined : t;
}

/** Applies the policy: removes what it does not keep; returns the decision. */
export async function prune(
  store: BackupStore,
  servicePrefix: string,
  policy: RetentionSpec,
  nowMs = Date.now(),
): Promise<RetentionDecision> {
  const decision = retentionDecision(await listBackups(store, servicePrefix), policy, nowMs);
  for (const { backupId } of decision.remove) {
    await store.delete(`${servicePrefix}${backupId}/manifest.sha256`);
    await store.delete(`${servicePrefix}${backupId}/`);
  }
  return decision;
}
