/**
 * Loading a model from object storage as vLLM's Run:ai streamer does (`vllm serve s3://bucket/
 * prefix --load-format runai_streamer`): the objects under the prefix are read, with the pod's
 * own S3 settings (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, AWS_REGION,
 * RUNAI_STREAMER_S3_USE_VIRTUAL_ADDRESSING), never the simulator's. Reading is throttled to
 * SIM_LOAD_BANDWIDTH, so load time grows with the model's size; what was read is hashed, and the
 * server's deterministic answers derive from that digest: other or partial weights answer
 * differently.
 */
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import { WEIGHTS_MANIFEST, digestInput, parseS3Uri, type WeightsFile } from '../../../core/model-weights';
import { ServeError, type ServingConfig } from './serving-config';

/** vLLM's loaders that stream from object storage; with `auto`, vLLM picks the first for an s3:// model. */
const STREAMING_FORMATS = ['runai_streamer', 'runai_streamer_sharded'];

export interface LoadedWeights {
  digest: string;
  files: number;
  bytes: number;
  ms: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const UNITS: Record<string, number> = { '': 1, K: 1024, Ki: 1024, M: 1024 ** 2, Mi: 1024 ** 2, G: 1024 ** 3, Gi: 1024 ** 3 };

/** SIM_LOAD_BANDWIDTH: bytes per second ("512Mi", "2G"); unset: 1 GiB/s. */
export function bandwidthOf(value: string | undefined): number {
  if (value === undefined || value === '') return 1024 ** 3;
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|K|M|G)?B?$/.exec(value);
  if (!m || Number(m[1]) <= 0) throw new ServeError(`SIM_LOAD_BANDWIDTH=${value}: bytes per second, e.g. 256Mi`, 1);
  return Number(m[1]) * UNITS[m[2] ?? '']!;
}

/** vLLM's check before loading: which loader an object-store model is read with, or why it cannot be. */
function streamingFormat(serving: ServingConfig): string {
  const format = serving.loadFormat === 'auto' ? STREAMING_FORMATS[0]! : serving.loadFormat;
  if (!STREAMING_FORMATS.includes(format))
    throw new ServeError(
      `ValueError: To load a model from S3, 'load_format' must be 'runai_streamer' or 'runai_streamer_sharded', but got '${serving.loadFormat}'. Model: ${serving.model}`,
      1,
    );
  return format;
}

function clientFor(env: Record<string, string | undefined>, model: string): S3Client {
  const endpoint = env.AWS_ENDPOINT_URL;
  // The stack's rule: traffic only to 127.0.0.0/8. A real pod would reach AWS; this one may not.
  const host = endpoint ? new URL(endpoint).hostname : undefined;
  if (!host || isIP(host) !== 4 || !host.startsWith('127.'))
    throw new ServeError(
      `loading ${model}: AWS_ENDPOINT_URL=${endpoint ?? '(unset)'}: the simulator reads only from an S3 server on 127.0.0.0/8`,
      1,
    );
  const virtual = !['0', 'false'].includes((env.RUNAI_STREAMER_S3_USE_VIRTUAL_ADDRESSING ?? '1').toLowerCase());
  if (virtual)
    // The streamer would ask for <bucket>.<host>: no such name for an address.
    throw new ServeError(
      `loading ${model}: virtual-hosted addressing to ${host} cannot resolve; set RUNAI_STREAMER_S3_USE_VIRTUAL_ADDRESSING=0 for an S3-compatible server`,
      1,
    );
  if (!env.AWS_ACCESS_KEY_ID || !env.AWS_SECRET_ACCESS_KEY)
    throw new ServeError(`loading ${model}: no AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY in the container's environment`, 1);
  return new S3Client({
    endpoint,
    forcePathStyle: true,
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY },
  });
}

/**
 * The load of an s3:// model, checked now (a refused configuration throws ServeError at once, as
 * vLLM exits before loading) and run when called; undefined for a model not in object storage.
 */
export function weightsLoaderFor(
  serving: ServingConfig,
  env: Record<string, string | undefined>,
): ((signal: AbortSignal) => Promise<LoadedWeights>) | undefined {
  if (!/^[a-z0-9]+:\/\//.test(serving.model)) return undefined;
  const at = parseS3Uri(serving.model);
  if (!at) throw new ServeError(`loading ${serving.model}: the simulator streams only s3://bucket/prefix models`, 1);
  streamingFormat(serving);
  const bandwidth = bandwidthOf(env.SIM_LOAD_BANDWIDTH);
  const client = clientFor(env, serving.model);
  return async (signal) => {
    const started = Date.now();
    const failed = (what: string) => new ServeError(`loading ${serving.model}: ${what}`, 1);
    const keys: { key: string; size: number }[] = [];
    let token: string | undefined;
    do {
      const page = await client
        .send(new ListObjectsV2Command({ Bucket: at.bucket, Prefix: at.prefix, ContinuationToken: token }), { abortSignal: signal })
        .catch((err: Error) => {
          throw failed(`${err.name}: ${err.message}`);
        });
      for (const o of page.Contents ?? []) if (o.Key && !o.Key.endsWith('/')) keys.push({ key: o.Key, size: o.Size ?? 0 });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    const objects = keys.filter((k) => k.key.slice(at.prefix.length) !== WEIGHTS_MANIFEST);
    if (!objects.some((o) => o.key.endsWith('.safetensors')))
      throw failed(`no *.safetensors under s3://${at.bucket}/${at.prefix} (the streamer loads safetensors weights)`);
    const files: WeightsFile[] = [];
    let read = 0;
    for (const o of objects) {
      const res = await client
        .send(new GetObjectCommand({ Bucket: at.bucket, Key: o.key }), { abortSignal: signal })
        .catch((err: Error) => {
          throw failed(`reading ${o.key}: ${err.name}: ${err.message}`);
        });
      const hash = createHash('sha256');
      let size = 0;
      for await (const chunk of res.Body as Readable) {
        hash.update(chunk as Buffer);
        size += (chunk as Buffer).length;
        read += (chunk as Buffer).length;
        const ahead = (read / bandwidth) * 1000 - (Date.now() - started);
        if (ahead > 0) await sleep(ahead);
      }
      files.push({ path: o.key.slice(at.prefix.length), size, sha256: hash.digest('hex') });
    }
    const digest = createHash('sha256').update(digestInput(files)).digest('hex');
    return { digest, files: files.length, bytes: read, ms: Date.now() - started };
  };
}
