/**
 * Activities of continuous protection: watch a service for changes (its objects and its weights
 * manifest, polled and compared by fingerprint), and verify a backup just taken or, periodically,
 * every weight blob of the newest one. They feed the worker's RPO metrics.
 */
import { Context } from '@temporalio/activity';
import { debounceDecision, exposedSince, type PendingChange } from '../../core/protect/debounce';
import type { Kube } from '../kubernetes/client';
import { modelStoreAt, readWeightsManifest } from '../model-store/weights';
import { backupPrefix, corrupt, readBackup } from './archive';
import { fingerprintOf } from './fingerprint';
import { collectObjects, weightsSourceOf } from './objects';
import type { ProtectionMeter } from './protection-meter';
import { VERIFIED_MARK } from './retention';
import { backupStoreFor, type StoreConnections } from './stores';
import { blobKey, checkBlobsWhole } from './weights-copy';
import type { BackupLocation } from './index';

export interface ProtectionActivityOptions {
  kube: Kube;
  connections?: StoreConnections;
  meter: ProtectionMeter;
}

export interface WatchInput {
  namespace: string;
  service: string;
  /** The fingerprint of the service as its newest verified backup holds it. */
  fingerprint: string;
  /** When that backup read the service (epoch ms): a change seen now came after it. */
  protectedThrough: number;
  pollMs: number;
  debounceMs: number;
  maxDelayMs: number;
  /** Returns unchanged after this long without a change, so the workflow can do its periodic work. */
  watchMs: number;
}

export type WatchResult = { changed: false } | { changed: true; exposedAt: number; why: 'quiet' | 'max-delay' };

export function createProtectionActivities(o: ProtectionActivityOptions) {
  const { kube, meter } = o;

  async function fingerprintNow(namespace: string, service: string) {
    const { objects, newestChange } = await collectObjects(kube, namespace, service);
    const source = weightsSourceOf(objects, service);
    const digest = source ? (await readWeightsManifest(modelStoreAt(source, o.connections?.s3 ?? {}))).digest : undefined;
    return { fingerprint: fingerprintOf(objects, digest), newestChange: newestChange ? Date.parse(newestChange) : undefined };
  }

  return {
    /** Waits for the service to change and settle (debounced); heartbeats every poll. */
    async waitForServiceChange(input: WatchInput): Promise<WatchResult> {
      const ctx = Context.current();
      const started = Date.now();
      let pending: (PendingChange & { fingerprint: string; exposedAt: number }) | undefined;
      for (;;) {
        const now = await fingerprintNow(input.namespace, input.service);
        const seen = Date.now();
        if (now.fingerprint === input.fingerprint) {
          // Changed and changed back: the backup holds it again.
          if (pending) meter.protectedThrough(input.namespace, input.service, input.protectedThrough);
          pending = undefined;
        } else if (!pending) {
          const at = exposedSince(seen, now.newestChange, input.protectedThrough);
          pending = { firstSeenMs: seen, lastSeenMs: seen, fingerprint: now.fingerprint, exposedAt: at };
          meter.exposed(input.namespace, input.service, at);
        } else if (now.fingerprint !== pending.fingerprint) {
          pending = { ...pending, lastSeenMs: seen, fingerprint: now.fingerprint };
        }
        if (pending) {
          const d = debounceDecision(pending, seen, input.debounceMs, input.maxDelayMs);
          if (d.action === 'back-up') return { changed: true, exposedAt: pending.exposedAt, why: d.why };
        } else if (seen - started >= input.watchMs) {
          return { changed: false };
        }
        ctx.heartbeat({ pending: !!pending });
        await ctx.sleep(input.pollMs);
      }
    },

    /**
     * Checks a backup: manifest, objects and (quick) that every weight blob is there at its size,
     * or (full) that each hashes to its checksum; marks it verified. A damaged blob is removed so
     * the next backup copies it again, and the check fails naming it.
     */
    async verifyBackup(
      input: BackupLocation & { full: boolean; protectedThrough: number; exposedAt?: number },
    ): Promise<{ verifiedAt: number; blobs: number }> {
      const store = backupStoreFor(input.store, o.connections);
      const backup = { store, prefix: backupPrefix(input.namespace, input.service, input.backupId) };
      const { manifest } = await readBackup(backup);
      const w = manifest.weights;
      if (w) {
        const ctx = Context.current();
        if (input.full) {
          await checkBlobsWhole(backup, w, (n) => ctx.heartbeat({ blobs: n }));
        } else {
          const held = new Map((await store.list('weights/sha256/')).map((x) => [x.key, x.size]));
          const missing = w.files.find((f) => held.get(blobKey(f.sha256)) !== f.size);
          if (missing) throw corrupt(backup, `weights file ${missing.path} (${blobKey(missing.sha256)}) is missing or has the wrong size`);
        }
      }
      const verifiedAt = Date.now();
      await store.put(
        `${backup.prefix}${VERIFIED_MARK}`,
        JSON.stringify({ by: input.full ? 'full verification' : 'protection', at: new Date(verifiedAt).toISOString() }),
      );
      const rpoMs = input.exposedAt === undefined ? undefined : verifiedAt - input.exposedAt;
      meter.protectedThrough(input.namespace, input.service, input.protectedThrough, rpoMs);
      return { verifiedAt, blobs: w?.files.length ?? 0 };
    },
  };
}

export type ProtectionActivities = ReturnType<typeof createProtectionActivities>;
