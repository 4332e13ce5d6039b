/**
 * Model weights in object storage, content-addressed: beside the files an upload writes one
 * manifest object naming each file with its size and SHA-256. The weights' identity is the
 * SHA-256 of the manifest's canonical listing (digestInput), so two copies of the same weights
 * have the same digest wherever they are, and a copy missing a file or a byte has another.
 */
import { z } from 'zod';

/** The manifest's key below the model's prefix (a JSON file, which vLLM's loader ignores as a config it does not know). */
export const WEIGHTS_MANIFEST = 'autoglm-weights.json';

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 in hex');

export const WeightsFile = z.object({
  /** Relative to the model's prefix, '/'-separated. */
  path: z
    .string()
    .min(1)
    .refine((p) => !p.split('/').some((s) => s === '' || s === '.' || s === '..'), 'a relative path inside the model'),
  size: z.number().int().nonnegative(),
  sha256: sha256Hex,
});
export type WeightsFile = z.infer<typeof WeightsFile>;

export const WeightsManifest = z.object({
  format: z.literal(1),
  files: z.array(WeightsFile).min(1, 'a model has at least one file'),
  /** SHA-256 of digestInput(files). */
  digest: sha256Hex,
});
export type WeightsManifest = z.infer<typeof WeightsManifest>;

/** What the digest hashes: one "<sha256> <size> <path>" line per file, sorted by path. */
export function digestInput(files: readonly Pick<WeightsFile, 'path' | 'size' | 'sha256'>[]): string {
  return [...files]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((f) => `${f.sha256} ${f.size} ${f.path}\n`)
    .join('');
}

export interface S3Location {
  bucket: string;
  /** '' or ending in '/'. */
  prefix: string;
}

/** s3://bucket/some/prefix → { bucket, prefix: 'some/prefix/' }; undefined for anything else. */
export function parseS3Uri(uri: string): S3Location | undefined {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(uri);
  if (!m) return undefined;
  const rest = (m[2] ?? '').replace(/\/+$/, '');
  return { bucket: m[1]!, prefix: rest === '' ? '' : `${rest}/` };
}

export const s3Uri = (l: S3Location) => `s3://${l.bucket}/${l.prefix}`.replace(/\/$/, '');

/** Where a drill restores a service's weights: beside the source, under a prefix of the drill's own. */
export const RESTORES_PREFIX = 'autoglm-restores/';
export function restoredWeightsUri(source: string, namespace: string): string | undefined {
  const at = parseS3Uri(source);
  return at ? s3Uri({ bucket: at.bucket, prefix: `${RESTORES_PREFIX}${namespace}/` }) : undefined;
}

/**
 * What a vLLM pod needs to stream its weights from an S3-compatible server (vLLM's Run:ai
 * streamer reads the AWS SDK's variables), its keys from a Secret: for `container.env`.
 */
export function s3StreamingEnv(
  endpoint: string,
  region: string,
  keys: { secret: string; accessKeyId: string; secretAccessKey: string },
): Record<string, string | { secretKeyRef: { name: string; key: string } }> {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: region,
    // Path-style addressing: a bucket name is no host name on such a server.
    RUNAI_STREAMER_S3_USE_VIRTUAL_ADDRESSING: '0',
    AWS_ACCESS_KEY_ID: { secretKeyRef: { name: keys.secret, key: keys.accessKeyId } },
    AWS_SECRET_ACCESS_KEY: { secretKeyRef: { name: keys.secret, key: keys.secretAccessKey } },
  };
}
