/**
 * A service's state in one hash: its backed-up objects (as a backup holds them, Secrets' values
 * included, so a rotated key is a change) and the digest of its weights. Equal fingerprints mean
 * a backup holds the service as it is now.
 */
import { createHash } from 'node:crypto';

/** JSON with object keys sorted, so the same content always hashes the same. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

export function fingerprintOf(objects: readonly unknown[], weightsDigest?: string): string {
  const hash = createHash('sha256');
  hash.update(canonical(objects));
  hash.update(`\nweights:${weightsDigest ?? ''}`);
  return hash.digest('hex');
}
