/**
 * The backup store on a directory: <root>/<namespace>/<service>/<backupId>/ holding objects.json
 * (Secrets sealed), model/<files> and manifest.json with every checksum (and manifest.sha256 for
 * the manifest itself). Written under a .partial name and renamed when complete, so a backup
 * either exists whole or not at all; everything is checked on the way back.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ErrorType } from '../../core/errors';

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
}

export const backupDir = (root: string, namespace: string, service: string, backupId: string) => join(root, namespace, service, backupId);
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

export async function listFiles(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) out.push(relative(dir, join(e.parentPath, e.name)));
  return out.sort();
}

/** Copies a file, hashing it on the way; returns its checksum and size. */
async function copyHashing(from: string, to: string): Promise<{ sha256: string; size: number }> {
  await mkdir(dirname(to), { recursive: true });
  const hash = createHash('sha256');
  let size = 0;
  const source = createReadStream(from);
  source.on('data', (c) => {
    hash.update(c as Buffer);
    size += (c as Buffer).length;
  });
  await pipeline(source, createWriteStream(to));
  return { sha256: hash.digest('hex'), size };
}

export async function writeBackup(o: {
  dir: string; backupId: string; namespace: string; service: string; objects: unknown[]; modelDir?: string; newestObjectChange?: string; onFile?: (n: number) => void;
}): Promise<BackupManifest> {
  const existing = await readManifest(o.dir).catch(() => undefined);
  if (existing) return existing; // a retried activity: the backup is already whole
  const started = Date.now();
  const tmp = `${o.dir}.partial`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  const objectsJson = JSON.stringify(o.objects);
  await writeFile(join(tmp, 'objects.json'), objectsJson);
  const files: FileEntry[] = [];
  let newest = o.newestObjectChange ? Date.parse(o.newestObjectChange) : 0;
  for (const rel of o.modelDir ? await listFiles(o.modelDir) : []) {
    const src = join(o.modelDir!, rel);
    const { mtimeMs } = await stat(src);
    const { sha256: sum, size } = await copyHashing(src, join(tmp, 'model', rel));
    files.push({ path: rel, size, sha256: sum, mtime: new Date(mtimeMs).toISOString() });
    newest = Math.max(newest, mtimeMs);
    o.onFile?.(files.length);
  }
  const manifest: BackupManifest = {
    format: 1, backupId: o.backupId, namespace: o.namespace, service: o.service, takenAt: new Date(started).toISOString(),
    newestDataAt: new Date(newest || started).toISOString(), durationMs: Date.now() - started,
    objects: { file: 'objects.json', sha256: sha256(objectsJson), count: o.objects.length }, files,
  };
  const manifestJson = JSON.stringify(manifest, null, 2);
  await writeFile(join(tmp, 'manifest.json'), manifestJson);
  await writeFile(join(tmp, 'manifest.sha256'), `${sha256(manifestJson)}\n`);
  await rm(o.dir, { recursive: true, force: true });
  await mkdir(dirname(o.dir), { recursive: true });
  await rename(tmp, o.dir);
  return manifest;
}

const corrupt = (dir: string, what: string) => ApplicationFailure.nonRetryable(`backup ${dir} is corrupt: ${what}`, ErrorType.BackupCorrupt);

export async function readManifest(dir: string): Promise<BackupManifest> {
  let text: string;
  let sum: string;
  try {
    [text, sum] = await Promise.all([readFile(join(dir, 'manifest.json'), 'utf8'), readFile(join(dir, 'manifest.sha256'), 'utf8')]);
  } catch {
    throw ApplicationFailure.nonRetryable(`no backup at ${dir} (manifest missing)`, ErrorType.BackupNotFound);
  }
  if (sha256(text) !== sum.trim()) throw corrupt(dir, 'manifest.json does not match manifest.sha256');
  return JSON.parse(text) as BackupManifest;
}

/** The manifest and objects, checked against their checksums. */
export async function readBackup(dir: string): Promise<{ manifest: BackupManifest; objects: unknown[] }> {
  const manifest = await readManifest(dir);
  const objectsJson = await readFile(join(dir, manifest.objects.file), 'utf8').catch(() => {
    throw corrupt(dir, 'objects.json is missing');
  });
  if (sha256(objectsJson) !== manifest.objects.sha256) throw corrupt(dir, 'objects.json does not match its checksum');
  return { manifest, objects: JSON.parse(objectsJson) as unknown[] };
}

/** Copies the model files to `target`, each checked against the manifest; a mismatch fails the restore. */
export async function restoreFiles(dir: string, manifest: BackupManifest, target: string, onFile?: (n: number) => void): Promise<{ files: number; bytes: number }> {
  await rm(target, { recursive: true, force: true });
  let bytes = 0;
  for (const [i, f] of manifest.files.entries()) {
    const src = join(dir, 'model', f.path);
    if (!existsSync(src)) throw corrupt(dir, `model file ${f.path} is missing`);
    const got = await copyHashing(src, join(target, f.path));
    if (got.sha256 !== f.sha256 || got.size !== f.size) throw corrupt(dir, `model file ${f.path}: checksum ${got.sha256.slice(0, 12)}… (${got.size} B), the manifest says ${f.sha256.slice(0, 12)}… (${f.size} B)`);
    bytes += got.size;
    onFile?.(i + 1);
  }
  return { files: manifest.files.length, bytes };
}

/** The newest modification among the files of a directory (the model store's last change). */
export async function newestFileChange(dir: string): Promise<number> {
  let newest = 0;
  for (const rel of await listFiles(dir)) newest = Math.max(newest, (await stat(join(dir, rel))).mtimeMs);
  return newest;
}
