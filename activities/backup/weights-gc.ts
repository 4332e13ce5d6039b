/**
 * Weight blobs are shared by every backup in a store (weights-copy.ts), so retention removes a
 * backup's manifest but not its blobs; this removes the blobs no whole backup of any service in
 * the store names any more. If one manifest cannot be read, nothing is removed: what it names is
 * unknown.
 */
import { unreferencedBlobs } from '../../core/drill/retention';
import { readManifest } from './archive';
import type { BackupStore } from './store';
import { blobKey } from './weights-copy';

const BLOBS = 'weights/sha256/';
/** A whole backup: its manifest.sha256 is written last and removed first (archive.ts, retention.ts). */
const MANIFEST = /^([^/]+\/[^/]+\/[^/]+\/)manifest\.sha256$/;

export interface WeightsCollection {
  removed: number;
  bytesFreed: number;
  /** Why nothing was removed, when a manifest could not be read. */
  skipped?: string;
}

export async function collectWeights(store: BackupStore, nowMs = Date.now()): Promise<WeightsCollection> {
  const all = await store.list('');
  const blobs = all
    .filter((o) => o.key.startsWith(BLOBS))
    .map((o) => ({ ...o, sha256: o.key.slice(BLOBS.length) }))
    .filter((b) => /^[0-9a-f]{64}$/.test(b.sha256));
  if (blobs.length === 0) return { removed: 0, bytesFreed: 0 };
  const referenced = new Set<string>();
  for (const o of all) {
    const prefix = MANIFEST.exec(o.key)?.[1];
    if (!prefix) continue;
    try {
      const m = await readManifest({ store, prefix });
      for (const f of m.weights?.files ?? []) referenced.add(f.sha256);
    } catch (err) {
      return { removed: 0, bytesFreed: 0, skipped: `${prefix}: ${(err as Error).message}` };
    }
  }
  const gone = unreferencedBlobs(blobs, referenced, nowMs);
  for (const b of gone) await store.delete(blobKey(b.sha256));
  return { removed: gone.length, bytesFreed: gone.reduce((n, b) => n + b.size, 0) };
}
