/** `autoglm-deploy model upload`: a model folder into S3, content-addressed, for `model.source: { uri: s3://… }`. */
import { ApplicationFailure } from '@temporalio/common';
import { stat } from 'node:fs/promises';
import { parseS3Uri } from '../core/model-weights';
import { modelStoreAt, uploadWeights } from '../activities/model-store/weights';
import { CliError, EXIT } from './exit-codes';

export interface ModelUploadOptions {
  s3Endpoint?: string;
  s3Region?: string;
  json?: boolean;
}

export async function modelUpload(dir: string, uri: string, o: ModelUploadOptions): Promise<number> {
  if (!parseS3Uri(uri)) throw new CliError(`${uri}: not an s3://bucket[/prefix] URI`, EXIT.invalid);
  const isDir = await stat(dir).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir) throw new CliError(`${dir}: not a directory`, EXIT.invalid);
  const store = modelStoreAt(uri, { ...(o.s3Endpoint ? { endpoint: o.s3Endpoint } : {}), ...(o.s3Region ? { region: o.s3Region } : {}) });
  const started = Date.now();
  try {
    const manifest = await uploadWeights(store, dir, (f) => {
      if (!o.json) console.log(`${f.sha256.slice(0, 12)}  ${String(f.size).padStart(12)}  ${f.path}`);
    });
    const bytes = manifest.files.reduce((n, f) => n + f.size, 0);
    if (o.json) console.log(JSON.stringify({ uri, ...manifest }));
    else
      console.log(
        `uploaded ${manifest.files.length} files, ${bytes} bytes to ${uri} in ${((Date.now() - started) / 1000).toFixed(1)} s; weights ${manifest.digest}`,
      );
    return EXIT.ok;
  } catch (err) {
    if (err instanceof ApplicationFailure && err.nonRetryable) throw new CliError(err.message, EXIT.invalid);
    throw err;
  }
}
