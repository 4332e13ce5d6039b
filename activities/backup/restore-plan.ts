/**
 * What a restore into production needs decided before it writes anything: which backup (the
 * newest whole one, unless named), and where the weights go — left where the service loads them
 * when they are still there unchanged, written back there when that place is empty (lost), and
 * never over other weights (a newer model someone uploaded): then the operator names a place.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { ErrorType } from '../../core/errors';
import { WEIGHTS_MANIFEST } from '../../core/model-weights';
import { modelStoreAt, readWeightsManifest } from '../model-store/weights';
import { backupPrefix, readManifest } from './archive';
import { listBackups } from './retention';
import { backupStoreFor, type StoreConnections } from './stores';
import type { BackupLocation } from './index';

export type WeightsPlan = { action: 'none' } | { action: 'keep' | 'copy'; source: string; target: string };

export function createRestorePlanActivities(o: { connections?: StoreConnections }) {
  return {
    /** The newest whole backup of the service. */
    async newestBackup(input: Omit<BackupLocation, 'backupId'>): Promise<{ backupId: string; verified: boolean }> {
      const store = backupStoreFor(input.store, o.connections);
      await store.check();
      const newest = (await listBackups(store, `${input.namespace}/${input.service}/`))
        .filter((b) => b.complete)
        .sort((a, b) => (b.takenAt ?? 0) - (a.takenAt ?? 0))[0];
      if (!newest)
        throw ApplicationFailure.nonRetryable(
          `no whole backup of ${input.namespace}/${input.service} in ${store.location}`,
          ErrorType.BackupNotFound,
        );
      return { backupId: newest.backupId, verified: newest.verified };
    },

    /** Where the backup's weights go on a restore into production (`weightsTo`: the operator's choice). */
    async planWeightsRestore(input: BackupLocation & { weightsTo?: string }): Promise<WeightsPlan> {
      const store = backupStoreFor(input.store, o.connections);
      const manifest = await readManifest({ store, prefix: backupPrefix(input.namespace, input.service, input.backupId) });
      const w = manifest.weights;
      if (!w) return { action: 'none' };
      const target = input.weightsTo ?? w.source;
      const there = modelStoreAt(target, o.connections?.s3 ?? {});
      await there.check(); // a missing bucket fails here, named
      const held = await there.list('');
      if (held.length === 0) return { action: 'copy', source: w.source, target };
      const sizes = new Map(held.map((x) => [x.key, x.size]));
      const current = held.some((x) => x.key === WEIGHTS_MANIFEST) ? await readWeightsManifest(there).catch(() => undefined) : undefined;
      if (current?.digest === w.digest && current.files.every((f) => sizes.get(f.path) === f.size))
        return { action: 'keep', source: w.source, target };
      throw ApplicationFailure.nonRetryable(
        `${target} holds other weights (${current ? `digest ${current.digest.slice(0, 12)}…` : `${held.length} objects, no whole manifest`}) than backup ${input.backupId} (${w.digest.slice(0, 12)}…): restore them to an empty place with --weights-to s3://…`,
        ErrorType.InvalidInput,
      );
    },
  };
}

export type RestorePlanActivities = ReturnType<typeof createRestorePlanActivities>;
