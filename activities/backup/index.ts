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
import type { RevisionRecord } from '../../core/revision-history';
import { applyObjects } from '../kubernetes/apply';
import { grantSelfServiceRole } from '../kubernetes/self-access';
import type { Kube } from '../kubernetes/client';
import { classifyKubeError, statusOf } from '../kubernetes/errors';
import { historyConfigMapName } from '../kubernetes/revisions';
import { collectObjects, intoIsolatedNamespace, type BackedUpObject } from './objects';
import { seal, unseal, type BackupKey, type SealedData } from './secrets';
import { backupPrefix, readBackup, readManifest, restoreFiles, writeBackup, type BackupManifest, type BackupRef } from './archive';
import { newestFileChange } from './local-files';
import { backupStoreFor, type StoreConnections } from './stores';

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
}

const summaryOf = (m: BackupManifest, taken: boolean): BackupSummary => ({
  backupId: m.backupId,
  takenAt: m.takenAt,
  newestDataAt: m.newestDataAt,
  objects: m.objects.count,
  files: m.files.length,
  bytes: m.files.reduce((n, f) => n + f.size, 0),
  durationMs: m.durationMs,
  taken,
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
      const manifest = await writeBackup(backup, {
        backupId: input.backupId,
        namespace: input.namespace,
        service: input.service,
        objects: sealed,
        ...(input.modelStore ? { modelDir: input.modelStore } : {}),
        ...(newestChange ? { newestObjectChange: newestChange } : {}),
        onFile: heartbeating(),
      });
      return summaryOf(manifest, true);
    },

    /** An existing backup's summary (its manifest checked). */
    async describeBackup(input: BackupLocation): Promise<BackupSummary> {
      return summaryOf(await readManifest(backupAt(input, o.connections)), false);
    },

    /**
     * Restores into `targetNamespace` (created, labelled as a drill's): the backup is checked
     * whole — manifest, objects, every model file — before any object is created.
     */
    async restoreBackup(input: BackupLocation & { targetNamespace: string; modelTarget?: string }): Promise<RestoredService> {
      const backup = backupAt(input, o.connections);
      const { manifest, objects } = await readBackup(backup);
      let files = { files: 0, bytes: 0 };
      if (input.modelTarget) {
        try {
          files = await restoreFiles(backup, manifest, input.modelTarget, heartbeating());
        } catch (err) {
          await rm(input.modelTarget, { recursive: true, force: true });
          throw err;
        }
      }
      const restored = (objects as BackedUpObject[]).map((x) => {
        const { sealedData, ...rest } = x as BackedUpObject & { sealedData?: SealedData };
        return sealedData ? { ...rest, data: unseal(o.keys, sealedData, `${input.namespace}/${x.metadata?.name}`) } : x;
      });
      try {
        await kube.core.createNamespace({
          body: {
            metadata: {
              name: input.targetNamespace,
              labels: { 'autoglm.dev/dr-drill': 'true', 'app.kubernetes.io/managed-by': FIELD_MANAGER },
            },
          },
        });
      } catch (err) {
        if (statusOf(err) !== 409) throw classifyKubeError(err, `creating namespace ${input.targetNamespace}`);
      }
      await grantSelfServiceRole(kube, input.targetNamespace);
      await applyObjects(kube, intoIsolatedNamespace(restored, input.targetNamespace) as never);
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
      const history = restored.find((x) => x.kind === 'ConfigMap' && x.metadata?.name === historyConfigMapName(input.service)) as
        { data?: Record<string, string> } | undefined;
      const newest = history?.data?.['history.json'] ? (JSON.parse(history.data['history.json']) as RevisionRecord[])[0] : undefined;
      const model = (newest?.spec as { model?: { name?: string } } | undefined)?.model?.name;
      return { objects: restored.length, ...files, deployments, ...(model ? { model } : {}) };
    },

    /** Removes a drill's copy: its namespace (not waiting for it to drain) and its model files. */
    async discardRestore(input: { targetNamespace: string; modelTarget?: string }): Promise<void> {
      try {
        await kube.core.deleteNamespace({ name: input.targetNamespace });
      } catch (err) {
        if (statusOf(err) !== 404) throw classifyKubeError(err, `deleting namespace ${input.targetNamespace}`);
      }
      if (input.modelTarget) await rm(input.modelTarget, { recursive: true, force: true });
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
