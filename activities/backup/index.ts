/**
 * Activities of backup and restore (disaster-recovery drills): a service's Kubernetes objects and
 * its model store into the backup store, and back into an isolated namespace, checked against
 * checksums on the way back. Long ones heartbeat; all are idempotent.
 */
import { Context, ApplicationFailure } from '@temporalio/activity';
import { rm, stat } from 'node:fs/promises';
import type { BackupSummary } from '../../core/drill/figures';
import type { BackupStoreSpec } from '../../core/drill/spec';
import { ErrorType } from '../../core/errors';
import { FIELD_MANAGER } from '../../core/manifests';
import { applyObjects } from '../kubernetes/apply';
import { grantSelfServiceRole } from '../kubernetes/self-access';
import type { Kube } from '../kubernetes/client';
import { classifyKubeError, statusOf } from '../kubernetes/errors';
import { historyConfigMapName } from '../kubernetes/revisions';
import { RESTORES_PREFIX, parseS3Uri } from '../../core/model-weights';
import { modelStoreAt, readWeightsManifest } from '../model-store/weights';
import {
  collectObjects,
  inNamespace,
  intoIsolatedNamespace,
  newestRecordedSpec,
  pointAtWeights,
  weightsSourceOf,
  type BackedUpObject,
} from './objects';
import { fingerprintOf } from './fingerprint';
import { seal, unseal, type BackupKey, type SealedData } from './secrets';
import { backupPrefix, readBackup, readManifest, restoreFiles, writeBackup, type BackupManifest, type BackupRef } from './archive';
import { newestFileChange } from './local-files';
import { backupStoreFor, type StoreConnections } from './stores';
import { prune, VERIFIED_MARK } from './retention';
import { collectWeights, type WeightsCollection } from './weights-gc';
import type { RetentionDecision, RetentionSpec } from '../../core/drill/retention';
import { backUpWeights, checkBlobsWhole, restoreWeights, type BackedUpWeights, type CopyFigures } from './weights-copy';

export interface BackupActivityOptions {
  kube: Kube;
  /** The current key first, then older ones still needed to restore older backups. */
  keys: BackupKey[];
  /** How stores named only by bucket are reached. */
  connections?: StoreConnections;
}

export interface BackupLocation {
  /** The drill spec's backupStore, whole. */
  store: BackupStoreSpec;
  namespace: string;
  service: string;
  backupId: string;
}

export interface RestoredService {
  objects: number;
  files: number;
  bytes: number;
  deployments: { name: string; selector: string; replicas: number }[];
  /** The model the service serves, from its revision history (for the golden prompts). */
  model?: string;
  /** Its object-store weights, written to the restore's own location. */
  weights?: { target: string; files: number; bytes: number };
}

const weightsSummary = (w: BackedUpWeights, copy?: CopyFigures) => ({
  source: w.source,
  digest: w.digest,
  files: w.files.length,
  bytes: w.files.reduce((n, f) => n + f.size, 0),
  ...(copy ? { copied: copy.copied, reused: copy.reused } : {}),
});

const summaryOf = (
  m: BackupManifest,
  taken: boolean,
  copy?: CopyFigures,
  seen?: { fingerprint: string; observedAt: string },
): BackupSummary => ({
  backupId: m.backupId,
  takenAt: m.takenAt,
  newestDataAt: m.newestDataAt,
  objects: m.objects.count,
  files: m.files.length,
  bytes: m.files.reduce((n, f) => n + f.size, 0),
  durationMs: m.durationMs,
  taken,
  ...(m.weights ? { weights: weightsSummary(m.weights, copy) } : {}),
  ...(seen ?? {}),
});

const backupAt = (l: BackupLocation, connections?: StoreConnections): BackupRef => ({
  store: backupStoreFor(l.store, connections),
  prefix: backupPrefix(l.namespace, l.service, l.backupId),
});

/** A model store that is not there would back up no files and let the drill pass: refused, by name. */
async function mustExist(modelStore: string): Promise<void> {
  const isDir = await stat(modelStore).then(
    (st) => st.isDirectory(),
    () => false,
  );
  if (!isDir)
    throw ApplicationFailure.nonRetryable(`the model store ${modelStore} does not exist (or is not a directory)`, ErrorType.InvalidInput);
}

const heartbeating = () => {
  const ctx = Context.current();
  return (n: number) => ctx.heartbeat({ files: n });
};

export function createBackupActivities(o: BackupActivityOptions) {
  const { kube } = o;
  return {
    async backupService(input: BackupLocation & { modelStore?: string }): Promise<BackupSummary> {
      if (input.modelStore) await mustExist(input.modelStore);
      const backup = backupAt(input, o.connections);
      await backup.store.check();
      const startedMs = Date.now();
      const observedAt = new Date(startedMs).toISOString();
      const { objects, newestChange } = await collectObjects(kube, input.namespace, input.service);
      const key = o.keys[0];
      if (!key && objects.some((x) => x.kind === 'Secret')) {
        throw ApplicationFailure.nonRetryable(
          'the service has Secrets and the worker has no backup key: set AUTOGLM_BACKUP_KEY (32 bytes, base64)',
          ErrorType.InvalidConfig,
        );
      }
      const sealed = objects.map((x) => {
        if (x.kind !== 'Secret') return x;
        const { data, stringData, ...rest } = x as BackedUpObject & { data?: Record<string, string>; stringData?: Record<string, string> };
        return { ...rest, sealedData: seal(key!, { ...(data ?? {}), ...(stringData ?? {}) }, `${input.namespace}/${x.metadata?.name}`) };
      });
      // Weights first (incremental, resumed on a retry), so the manifest written last names only what is there.
      const source = weightsSourceOf(objects, input.service);
      let weights: BackedUpWeights | undefined;
      let copy: CopyFigures | undefined;
      if (source) {
        const model = modelStoreAt(source, o.connections?.s3 ?? {});
        const wm = await readWeightsManifest(model);
        copy = await backUpWeights(backup.store, model, wm, heartbeating());
        weights = { source, digest: wm.digest, files: wm.files };
      }
      const manifest = await writeBackup(backup, {
        backupId: input.backupId,
        namespace: input.namespace,
        service: input.service,
        objects: sealed,
        ...(input.modelStore ? { modelDir: input.modelStore } : {}),
        ...(newestChange ? { newestObjectChange: newestChange } : {}),
        ...(weights ? { weights } : {}),
        onFile: heartbeating(),
        startedMs,
      });
      return summaryOf(manifest, true, copy, { fingerprint: fingerprintOf(objects, weights?.digest), observedAt });
    },

    /** An existing backup's summary (its manifest checked). */
    async describeBackup(input: BackupLocation): Promise<BackupSummary> {
      return summaryOf(await readManifest(backupAt(input, o.connections)), false);
    },

    /**
     * Restores into `targetNamespace`: isolated (a drill's copy: namespace labelled as a drill's,
     * no production traffic) or in place (production after a loss: the objects as they were). The
     * backup is checked whole — manifest, objects, every model file — before any object is
     * created. The weights go to `weightsTarget` (unless `copyWeights` is false: they are there)
     * and the objects load them from there.
     */
    async restoreBackup(
      input: BackupLocation & {
        targetNamespace: string;
        modelTarget?: string;
        weightsTarget?: string;
        placement?: 'isolated' | 'in-place';
        copyWeights?: boolean;
      },
    ): Promise<RestoredService> {
      const inPlace = input.placement === 'in-place';
      const backup = backupAt(input, o.connections);
      const { manifest, objects } = await readBackup(backup);
      const w = manifest.weights;
      if (w) await checkBlobsWhole(backup, w, heartbeating());
      let restoredWeights: RestoredService['weights'];
      if (w && input.weightsTarget && input.copyWeights !== false) {
        const target = modelStoreAt(input.weightsTarget, o.connections?.s3 ?? {});
        try {
          const copy = await restoreWeights(backup.store, w, target, heartbeating());
          restoredWeights = { target: input.weightsTarget, files: copy.copied, bytes: copy.bytesCopied };
        } catch (err) {
          await target.delete('');
          throw err;
        }
      }
      let files = { files: 0, bytes: 0 };
      if (input.modelTarget) {
        try {
          files = await restoreFiles(backup, manifest, input.modelTarget, heartbeating());
        } catch (err) {
          await rm(input.modelTarget, { recursive: true, force: true });
          throw err;
        }
      }
      const unsealed = (objects as BackedUpObject[]).map((x) => {
        const { sealedData, ...rest } = x as BackedUpObject & { sealedData?: SealedData };
        return sealedData ? { ...rest, data: unseal(o.keys, sealedData, `${input.namespace}/${x.metadata?.name}`) } : x;
      });
      const history = historyConfigMapName(input.service);
      const restored = w && input.weightsTarget ? pointAtWeights(unsealed, history, w.source, input.weightsTarget) : unsealed;
      try {
        await kube.core.createNamespace({
          body: {
            metadata: {
              name: input.targetNamespace,
              labels: { ...(inPlace ? {} : { 'autoglm.dev/dr-drill': 'true' }), 'app.kubernetes.io/managed-by': FIELD_MANAGER },
            },
          },
        });
      } catch (err) {
        if (statusOf(err) !== 409) throw classifyKubeError(err, `creating namespace ${input.targetNamespace}`);
      }
      await grantSelfServiceRole(kube, input.targetNamespace);
      const placed = inPlace ? inNamespace(restored, input.targetNamespace) : intoIsolatedNamespace(restored, input.targetNamespace);
      await applyObjects(kube, placed as never);
      const deployments = restored
        .filter((x) => x.kind === 'Deployment')
        .map((d) => {
          const spec = d.spec as { replicas?: number; selector: { matchLabels: Record<string, string> } };
          return {
            name: d.metadata!.name!,
            replicas: spec.replicas ?? 1,
            selector: Object.entries(spec.selector.matchLabels)
              .map(([k, v]) => `${k}=${v}`)
              .join(','),
          };
        });
      const model = (newestRecordedSpec(restored, history) as { model?: { name?: string } } | undefined)?.model?.name;
      return {
        objects: restored.length,
        ...files,
        deployments,
        ...(model ? { model } : {}),
        ...(restoredWeights ? { weights: restoredWeights } : {}),
      };
    },

    /** Removes a drill's copy: its namespace (not waiting for it to drain), its model files and its weights. */
    async discardRestore(input: { targetNamespace: string; modelTarget?: string; weightsTarget?: string }): Promise<void> {
      if (input.weightsTarget) {
        // Only ever a restore's own prefix: never the weights a service serves from.
        if (!parseS3Uri(input.weightsTarget)?.prefix.startsWith(RESTORES_PREFIX))
          throw ApplicationFailure.nonRetryable(
            `${input.weightsTarget} is not a restore's location (${RESTORES_PREFIX}…)`,
            ErrorType.InvalidInput,
          );
        await modelStoreAt(input.weightsTarget, o.connections?.s3 ?? {}).delete('');
      }
      try {
        await kube.core.deleteNamespace({ name: input.targetNamespace });
      } catch (err) {
        if (statusOf(err) !== 404) throw classifyKubeError(err, `deleting namespace ${input.targetNamespace}`);
      }
      if (input.modelTarget) await rm(input.modelTarget, { recursive: true, force: true });
    },

    /** Marks a backup as restored and checked by a drill (retention keeps the newest such one). */
    async markBackupVerified(input: BackupLocation & { drill: string }): Promise<void> {
      const backup = backupAt(input, o.connections);
      await readManifest(backup); // only a whole backup
      await backup.store.put(`${backup.prefix}${VERIFIED_MARK}`, JSON.stringify({ drill: input.drill, at: new Date().toISOString() }));
    },

    /** Removes the service's backups its retention policy does not keep, and the weight blobs none needs any more. */
    async pruneBackups(
      input: Omit<BackupLocation, 'backupId'> & { retention: RetentionSpec },
    ): Promise<RetentionDecision & { weights: WeightsCollection }> {
      const store = backupStoreFor(input.store, o.connections);
      const decision = await prune(store, `${input.namespace}/${input.service}/`, input.retention);
      // Then the weight blobs no remaining backup (of any service in the store) names.
      return { ...decision, weights: await collectWeights(store) };
    },

    /** When the source last changed: its objects (not their status) and its model files. */
    async sourceLastChange(input: { namespace: string; service: string; modelStore?: string }): Promise<string> {
      if (input.modelStore) await mustExist(input.modelStore);
      const { newestChange } = await collectObjects(kube, input.namespace, input.service);
      const files = input.modelStore ? await newestFileChange(input.modelStore) : 0;
      return new Date(Math.max(newestChange ? Date.parse(newestChange) : 0, files)).toISOString();
    },
  };
}

export type BackupActivities = ReturnType<typeof createBackupActivities>;
