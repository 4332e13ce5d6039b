/**
 * Model weights in an S3 bucket, content-addressed (core/model-weights.ts): an upload puts every
 * file of a model folder under the model's prefix, each checksummed on the way in, then the
 * manifest naming them, last: a model whose manifest is there is whole.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { ErrorType } from '../../core/errors';
import { WEIGHTS_MANIFEST, WeightsManifest, digestInput, parseS3Uri, type WeightsFile } from '../../core/model-weights';
import { listFiles } from '../backup/local-files';
import { S3Store, type S3Connection } from '../backup/s3-store';
import type { BackupStore } from '../backup/store';

export const sha256Of = (text: string) => createHash('sha256').update(text).digest('hex');

/** The weights' digest: what a server that loaded exactly these files identifies them by. */
export const weightsDigest = (files: readonly WeightsFile[]) => sha256Of(digestInput(files));

/** The model store at an s3:// URI (its prefix as the store's root). */
export function modelStoreAt(uri: string, conn: S3Connection): S3Store {
  const at = parseS3Uri(uri);
  if (!at) throw ApplicationFailure.nonRetryable(`not an s3:// model location: ${uri}`, ErrorType.InvalidInput);
  return S3Store.connect(conn, at.bucket, at.prefix || undefined, 'model store');
}

/** Uploads the files of `dir` and their manifest; returns the manifest. */
export async function uploadWeights(store: BackupStore, dir: string, onFile?: (f: WeightsFile) => void): Promise<WeightsManifest> {
  await store.check();
  const paths = (await listFiles(dir)).map((p) => p.split('\\').join('/')).filter((p) => p !== WEIGHTS_MANIFEST);
  if (paths.length === 0) throw ApplicationFailure.nonRetryable(`${dir} holds no files to upload as a model`, ErrorType.InvalidInput);
  const files: WeightsFile[] = [];
  for (const path of paths) {
    const stored = await store.put(path, createReadStream(join(dir, path)));
    const file = { path, size: stored.size, sha256: stored.sha256 };
    files.push(file);
    onFile?.(file);
  }
  const manifest: WeightsManifest = { format: 1, files, digest: weightsDigest(files) };
  await store.put(WEIGHTS_MANIFEST, JSON.stringify(manifest, null, 2));
  return manifest;
}

/** The model's manifest, checked: whole, and its digest that of its files. */
export async function readWeightsManifest(store: BackupStore): Promise<WeightsManifest> {
  const body = await store.get(WEIGHTS_MANIFEST);
  if (!body)
    throw ApplicationFailure.nonRetryable(
      `model store ${store.location}: no ${WEIGHTS_MANIFEST} (upload the model with \`autoglm-deploy model upload\`)`,
      ErrorType.InvalidInput,
    );
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  const parsed = WeightsManifest.safeParse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
  if (!parsed.success)
    throw ApplicationFailure.nonRetryable(
      `model store ${store.location}: ${WEIGHTS_MANIFEST} is not a weights manifest: ${parsed.error.issues[0]?.message}`,
      ErrorType.InvalidInput,
    );
  if (weightsDigest(parsed.data.files) !== parsed.data.digest)
    throw ApplicationFailure.nonRetryable(
      `model store ${store.location}: ${WEIGHTS_MANIFEST}'s digest is not that of its files`,
      ErrorType.InvalidInput,
    );
  return parsed.data;
}
