/**
 * A service's weights in its backups, content-addressed: each file is kept once in the backup
 * store under weights/sha256/<its SHA-256>, shared by every backup that holds it, so a backup
 * copies only what no earlier backup has (incremental), and a retried copy resumes where the last
 * stopped. Copies are server-side when both ends are on one S3 server; every copy is checked
 * against the model's manifest (the server's checksum, or read through).
 */
import { ApplicationFailure } from '@temporalio/activity';
import { ErrorType } from '../../core/errors';
import { WEIGHTS_MANIFEST, type WeightsFile, type WeightsManifest } from '../../core/model-weights';
import { corrupt, type BackupRef } from './archive';
import { S3Store } from './s3-store';
import { holds, type BackupStore } from './store';

/** Past this, S3's CopyObject refuses: the server copies the object in parts instead (UploadPartCopy). */
export const SERVER_COPY_MAX = 5 * 1024 ** 3;

/** Where large copies switch to parts, and the parts' size (S3: 5 MiB to 5 GiB each). */
export interface CopyLimits {
  singleCopyMax: number;
  partSize: number;
}
const LIMITS: CopyLimits = { singleCopyMax: SERVER_COPY_MAX, partSize: 512 * 2 ** 20 };

export const blobKey = (sha256: string) => `weights/sha256/${sha256}`;

/** What a backup holds of the service's weights (in its manifest). */
export interface BackedUpWeights {
  /** The s3:// URI the service loads them from. */
  source: string;
  digest: string;
  files: WeightsFile[];
}

export interface CopyFigures {
  copied: number;
  reused: number;
  bytesCopied: number;
}

/** Copies `fromKey` of `from` to `key` of `to`; true when what arrived hashes to `sha256`. */
async function copyChecked(
  to: BackupStore,
  key: string,
  from: BackupStore,
  fromKey: string,
  f: WeightsFile,
  limits: CopyLimits,
): Promise<boolean> {
  if (to instanceof S3Store && from instanceof S3Store && to.sameServerAs(from)) {
    if (f.size > limits.singleCopyMax) {
      await to.copyInParts(key, from, fromKey, f.size, limits.partSize);
      return holds(to, key, f.sha256);
    }
    const sum = await to.copyIn(key, from, fromKey);
    return sum !== undefined ? sum === f.sha256 : holds(to, key, f.sha256);
  }
  const body = await from.get(fromKey);
  if (!body) throw new Error(`${from.location}${fromKey} does not exist`);
  return (await to.put(key, body)).sha256 === f.sha256;
}

/** Files copied at once: a server copies several objects faster than one after another (the AWS CLI runs 10). */
export const PARALLEL_COPIES = 4;

/** Runs `fn` on every item, `limit` at a time; the first failure is thrown once the others have stopped. */
async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const item = items[next++]!;
      await fn(item).catch((err: unknown) => {
        failure ??= err;
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure;
}

/** Puts every file of the model's manifest into `store` that it does not hold yet, a few at a time. */
export async function backUpWeights(
  store: BackupStore,
  model: BackupStore,
  manifest: WeightsManifest,
  onFile: (n: number) => void,
  limits: CopyLimits = LIMITS,
): Promise<CopyFigures> {
  const held = new Map((await store.list('weights/sha256/')).map((o) => [o.key, o.size]));
  const figures: CopyFigures = { copied: 0, reused: 0, bytesCopied: 0 };
  let done = 0;
  await eachLimited(manifest.files, PARALLEL_COPIES, async (f) => {
    const key = blobKey(f.sha256);
    if (held.get(key) === f.size) {
      figures.reused++;
    } else {
      if (!(await copyChecked(store, key, model, f.path, f, limits))) {
        await store.delete(key);
        throw ApplicationFailure.nonRetryable(
          `model store ${model.location}: ${f.path} does not match its SHA-256 in ${WEIGHTS_MANIFEST}: the weights changed or are damaged; not backed up`,
          ErrorType.InvalidInput,
        );
      }
      figures.copied++;
      figures.bytesCopied += f.size;
    }
    onFile(++done);
  });
  return figures;
}

/** Which backed-up weights file does not hash to what the backup says (read through), if any. */
export async function firstDamaged(
  store: BackupStore,
  weights: BackedUpWeights,
  onFile: (n: number) => void,
): Promise<WeightsFile | undefined> {
  for (const [i, f] of weights.files.entries()) {
    if (!(await store.verify(blobKey(f.sha256), f.sha256))) return f;
    onFile(i + 1);
  }
  return undefined;
}

/**
 * Fails, naming the file, unless every backed-up weight hashes to its checksum; a damaged blob is
 * removed first, or every later backup would reuse it as it is: the next one copies it afresh.
 */
export async function checkBlobsWhole(backup: BackupRef, weights: BackedUpWeights, onFile: (n: number) => void): Promise<void> {
  const damaged = await firstDamaged(backup.store, weights, onFile);
  if (!damaged) return;
  await backup.store.delete(blobKey(damaged.sha256));
  throw corrupt(
    backup,
    `weights file ${damaged.path} (${blobKey(damaged.sha256)}) does not match its checksum; removed, the next backup copies it again`,
  );
}

/** Writes the backed-up weights to `target` as the model was (its files, then its manifest). */
export async function restoreWeights(
  store: BackupStore,
  weights: BackedUpWeights,
  target: BackupStore,
  onFile: (n: number) => void,
  limits: CopyLimits = LIMITS,
): Promise<CopyFigures> {
  const figures: CopyFigures = { copied: 0, reused: 0, bytesCopied: 0 };
  await eachLimited(weights.files, PARALLEL_COPIES, async (f) => {
    if (!(await copyChecked(target, f.path, store, blobKey(f.sha256), f, limits)))
      throw new Error(`restoring ${f.path} to ${target.location}: the copy does not match its SHA-256`);
    figures.copied++;
    figures.bytesCopied += f.size;
    onFile(figures.copied);
  });
  const manifest: WeightsManifest = { format: 1, files: weights.files, digest: weights.digest };
  await target.put(WEIGHTS_MANIFEST, JSON.stringify(manifest, null, 2));
  return figures;
}
