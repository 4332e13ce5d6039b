/**
 * A backup in a backup store, under <namespace>/<service>/<backupId>/: objects.json (Secrets
 * sealed), model/<files> and manifest.json with every checksum, then manifest.sha256 for the
 * manifest itself, written last: a backup exists whole once that key does, and everything is
 * checked on the way back.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorType } from '../../core/errors';
import { listFiles, writeHashing } from './local-files';
import type { BackupStore } from './store';
import type { BackedUpWeights } from './weights-copy';

export interface FileEntry {
  path: string;
  size: number;
  sha256: string;
  mtime: string;
}

export interface BackupManifest {
  format: 1;
  backupId: string;
  namespace: string;
  service: string;
  takenAt: string;
  newestDataAt: string;
  durationMs: number;
  objects: { file: 'objects.json'; sha256: string; count: number };
  files: FileEntry[];
  /** The service's object-store weights, by checksum under weights/sha256/ of the store. */
  weights?: BackedUpWeights;
}

/** One backup in one store. */
export interface BackupRef {
  store: BackupStore;
  /** "<namespace>/<service>/<backupId>/" */
  prefix: string;
}

export const backupPrefix = (namespace: string, service: string, backupId: string) => `${namespace}/${service}/${backupId}/`;
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const where = (b: BackupRef) => `${b.store.location}/${b.prefix}`;
export const corrupt = (b: BackupRef, what: string) =>
  ApplicationFailure.nonRetryable(`backup ${where(b)} is corrupt: ${what}`, ErrorType.BackupCorrupt);

async function readText(b: BackupRef, name: string): Promise<string | undefined> {
  const body = await b.store.get(`${b.prefix}${name}`);
  if (!body) return undefined;
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function writeBackup(
  b: BackupRef,
  o: {
    backupId: string;
    namespace: string;
    service: string;
    objects: unknown[];
    modelDir?: string;
    newestObjectChange?: string;
    weights?: BackedUpWeights;
    onFile?: (n: number) => void;
    /** When the backup began (epoch ms), if before this call: its weights were copied first. */
    startedMs?: number;
  },
): Promise<BackupManifest> {
  const existing = await readManifest(b).catch(() => undefined);
  if (existing) return existing; // a retried activity: the backup is already whole
  const started = o.startedMs ?? Date.now();
  const objectsJson = JSON.stringify(o.objects);
  await b.store.put(`${b.prefix}objects.json`, objectsJson);
  const files: FileEntry[] = [];
  let newest = o.newestObjectChange ? Date.parse(o.newestObjectChange) : 0;
  for (const rel of o.modelDir ? await listFiles(o.modelDir) : []) {
    const src = join(o.modelDir!, rel);
    const { mtimeMs } = await stat(src);
    const stored = await b.store.put(`${b.prefix}model/${rel.split('\\').join('/')}`, createReadStream(src));
    files.push({ path: rel, size: stored.size, sha256: stored.sha256, mtime: new Date(mtimeMs).toISOString() });
    newest = Math.max(newest, mtimeMs);
    o.onFile?.(files.length);
  }
  const manifest: BackupManifest = {
    format: 1,
    backupId: o.backupId,
    namespace: o.namespace,
    service: o.service,
    takenAt: new Date(started).toISOString(),
    newestDataAt: new Date(newest || started).toISOString(),
    durationMs: Date.now() - started,
    objects: { file: 'objects.json', sha256: sha256(objectsJson), count: o.objects.length },
    files,
    ...(o.weights ? { weights: o.weights } : {}),
  };
  const manifestJson = JSON.stringify(manifest, null, 2);
  await b.store.put(`${b.prefix}manifest.json`, manifestJson);
  await b.store.put(`${b.prefix}manifest.sha256`, `${sha256(manifestJson)}\n`);
  return manifest;
}

export async function readManifest(b: BackupRef): Promise<BackupManifest> {
  const [text, sum] = await Promise.all([readText(b, 'manifest.json'), readText(b, 'manifest.sha256')]);
  if (text === undefined || sum === undefined)
    throw ApplicationFailure.nonRetryable(`no backup at ${where(b)} (manifest missing)`, ErrorType.BackupNotFound);
  if (sha256(text) !== sum.trim()) throw corrupt(b, 'manifest.json does not match manifest.sha256');
  return JSON.parse(text) as BackupManifest;
}

/** The manifest and objects, checked against their checksums. */
export async function readBackup(b: BackupRef): Promise<{ manifest: BackupManifest; objects: unknown[] }> {
  const manifest = await readManifest(b);
  const objectsJson = await readText(b, manifest.objects.file);
  if (objectsJson === undefined) throw corrupt(b, 'objects.json is missing');
  if (sha256(objectsJson) !== manifest.objects.sha256) throw corrupt(b, 'objects.json does not match its checksum');
  return { manifest, objects: JSON.parse(objectsJson) as unknown[] };
}

/** Copies the model files to `target`, each checked against the manifest; a mismatch fails the restore. */
export async function restoreFiles(
  b: BackupRef,
  manifest: BackupManifest,
  target: string,
  onFile?: (n: number) => void,
): Promise<{ files: number; bytes: number }> {
  await rm(target, { recursive: true, force: true });
  let bytes = 0;
  for (const [i, f] of manifest.files.entries()) {
    const body = await b.store.get(`${b.prefix}model/${f.path.split('\\').join('/')}`);
    if (!body) throw corrupt(b, `model file ${f.path} is missing`);
    const got = await writeHashing(body, join(target, f.path));
    if (got.sha256 !== f.sha256 || got.size !== f.size)
      throw corrupt(
        b,
        `model file ${f.path}: checksum ${got.sha256.slice(0, 12)}… (${got.size} B), the manifest says ${f.sha256.slice(0, 12)}… (${f.size} B)`,
      );
    bytes += got.size;
    onFile?.(i + 1);
  }
  return { files: manifest.files.length, bytes };
}
