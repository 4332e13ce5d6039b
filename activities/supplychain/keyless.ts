/**
 * Keyless (Fulcio certificate) sigstore bundles, verified with @sigstore/verify: the certificate
 * chains to the trusted root and carries an SCT from a trusted CT log, the signature was logged
 * in a trusted transparency log (inclusion proof or promise checked) while the certificate was
 * valid, and the signature verifies with the certificate's key. Which identities may sign is the
 * caller's policy (core/identity-policy), checked on the identity returned here.
 */
import { statSync, readFileSync } from 'node:fs';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { Verifier, toSignedEntity, toTrustMaterial, type TrustMaterial } from '@sigstore/verify';
import type { CertificateIdentity } from '../../core/identity-policy';

export type KeylessFailure = 'certificate' | 'tlog' | 'signature';

export type KeylessResult = { ok: true; identity: CertificateIdentity } | { ok: false; failure: KeylessFailure; problem: string };

/** Does this bundle carry a certificate (keyless) rather than a public-key hint? */
export function isKeylessBundle(bundle: unknown): boolean {
  const material = (bundle as { verificationMaterial?: Record<string, unknown> } | undefined)?.verificationMaterial;
  return !!material && (material.certificate !== undefined || material.x509CertificateChain !== undefined);
}

const cache = new Map<string, { mtimeMs: number; trust: TrustMaterial }>();

/**
 * A trusted root in sigstore's JSON form (`trusted_root.json`, as served by sigstore's TUF
 * repository or written by `cosign trusted-root create`), read once per file version.
 */
export function loadTrustMaterial(path: string): TrustMaterial {
  const { mtimeMs } = statSync(path);
  const hit = cache.get(path);
  if (hit && hit.mtimeMs === mtimeMs) return hit.trust;
  const trust = toTrustMaterial(TrustedRoot.fromJSON(JSON.parse(readFileSync(path, 'utf8'))));
  cache.set(path, { mtimeMs, trust });
  return trust;
}

function failureOf(code: string | undefined): KeylessFailure {
  if (code === 'CERTIFICATE_ERROR') return 'certificate';
  // Without a verified log entry there is no trusted time to check the certificate against.
  if (code?.startsWith('TLOG_') || code === 'TIMESTAMP_ERROR') return 'tlog';
  return 'signature';
}

export function verifyKeylessBundle(bundle: unknown, trust: TrustMaterial): KeylessResult {
  let entity;
  try {
    entity = toSignedEntity(bundleFromJSON(bundle));
  } catch (err) {
    return { ok: false, failure: 'signature', problem: `malformed sigstore bundle: ${(err as Error).message}` };
  }
  try {
    // Thresholds as sigstore's clients use them: one log entry, one SCT, one trusted timestamp.
    const signer = new Verifier(trust, { tlogThreshold: 1, ctlogThreshold: 1, timestampThreshold: 1 }).verify(entity);
    const identity: CertificateIdentity = {};
    if (signer.identity?.subjectAlternativeName) identity.subject = signer.identity.subjectAlternativeName;
    if (signer.identity?.extensions?.issuer) identity.issuer = signer.identity.extensions.issuer;
    return { ok: true, identity };
  } catch (err) {
    const e = err as Error & { code?: string; cause?: unknown };
    const cause = e.cause instanceof Error ? `: ${e.cause.message}` : '';
    return { ok: false, failure: failureOf(e.code), problem: `${e.message}${cause}` };
  }
}
