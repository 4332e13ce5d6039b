/**
 * Verifies cosign key-based signatures of an image, in both storage formats cosign writes:
 * - legacy: the `sha256-<hex>.sig` tag, one simple-signing payload per layer with the signature
 *   in the `dev.cosignproject.cosign/signature` annotation;
 * - sigstore bundles attached as OCI referrers: a DSSE envelope over an in-toto statement whose
 *   subject is the image digest.
 * A signature counts only if a trusted key verifies it AND it names this very digest.
 */
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { ImageRef } from '../../core/image-ref';
import type { OciRegistry } from './oci-registry';

export const SIMPLE_SIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const BUNDLE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
export const COSIGN_SIGN_PREDICATE = 'https://sigstore.dev/cosign/sign/v1';
export const DSSE_ENVELOPE = 'application/vnd.dsse.envelope.v1+json';

export interface TrustedKey {
  id: string;
  key: KeyObject;
}

/** Key id: the first 16 hex digits of the SHA-256 of the key's SubjectPublicKeyInfo. */
export function loadKeys(pems: string[]): TrustedKey[] {
  return pems.map((pem) => {
    const key = createPublicKey(pem);
    return { id: createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16), key };
  });
}

export interface SignatureFinding {
  format: 'legacy' | 'bundle';
  /** The trusted key that verified it, if any. */
  keyId?: string;
  /** The digest the signed payload names. */
  signedDigest?: string;
  problem?: string;
}

const verifiedBy = (keys: TrustedKey[], data: Buffer, signature: Buffer) =>
  keys.find((k) => {
    try {
      return verify('sha256', data, k.key, signature);
    } catch {
      return false;
    }
  });

/** DSSE pre-authentication encoding (the bytes a DSSE signature covers). */
export function pae(payloadType: string, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(payloadType)} ${payloadType} ${payload.length} `), payload]);
}

export async function legacySignatures(registry: OciRegistry, ref: ImageRef, digest: string, keys: TrustedKey[]): Promise<SignatureFinding[]> {
  const manifest = await registry.optionalManifest(ref, `${digest.replace(':', '-')}.sig`);
  const findings: SignatureFinding[] = [];
  for (const layer of manifest?.json.layers ?? []) {
    if (layer.mediaType !== SIMPLE_SIGNING) continue;
    const sig = layer.annotations?.[SIGNATURE_ANNOTATION];
    if (!sig) {
      findings.push({ format: 'legacy', problem: 'a signature layer without a signature' });
      continue;
    }
    const payload = await registry.blob(ref, layer.digest);
    const key = verifiedBy(keys, payload, Buffer.from(sig, 'base64'));
    let signedDigest: string | undefined;
    try {
      signedDigest = (JSON.parse(payload.toString('utf8')) as { critical?: { image?: { 'docker-manifest-digest'?: string } } }).critical?.image?.['docker-manifest-digest'];
    } catch {
      findings.push({ format: 'legacy', problem: 'payload is not JSON' });
      continue;
    }
    findings.push({ format: 'legacy', ...(key ? { keyId: key.id } : {}), ...(signedDigest ? { signedDigest } : {}) });
  }
  return findings;
}

export interface DsseEnvelope {
  payload: string;
  payloadType: string;
  signatures: { sig: string; keyid?: string }[];
}

interface Bundle {
  mediaType?: string;
  dsseEnvelope?: DsseEnvelope;
}

export interface InTotoStatement {
  predicateType?: string;
  subject?: { digest?: { sha256?: string } }[];
  predicate?: Record<string, unknown>;
}

/** A DSSE envelope: the trusted key that signed it (if any) and the in-toto statement it carries. */
export function openDsse(env: DsseEnvelope, keys: TrustedKey[]): { key?: TrustedKey; statement: InTotoStatement; subjectDigest?: string } {
  const payload = Buffer.from(env.payload, 'base64');
  const key = env.signatures.map((s) => verifiedBy(keys, pae(env.payloadType, payload), Buffer.from(s.sig, 'base64'))).find(Boolean);
  const statement = JSON.parse(payload.toString('utf8')) as InTotoStatement;
  const hex = statement.subject?.find((s) => s.digest?.sha256)?.digest?.sha256;
  return { ...(key ? { key } : {}), statement, ...(hex ? { subjectDigest: `sha256:${hex}` } : {}) };
}

/** Sigstore bundles referring to `digest` (any predicate): each with its DSSE envelope. */
export async function bundleEnvelopes(registry: OciRegistry, ref: ImageRef, digest: string): Promise<(DsseEnvelope | undefined)[]> {
  const envelopes: (DsseEnvelope | undefined)[] = [];
  for (const referrer of await registry.referrers(ref, digest)) {
    if (referrer.artifactType !== BUNDLE) continue;
    const manifest = await registry.manifest(ref, referrer.digest);
    for (const layer of manifest.json.layers ?? []) {
      if (layer.mediaType !== BUNDLE) continue;
      envelopes.push((JSON.parse((await registry.blob(ref, layer.digest)).toString('utf8')) as Bundle).dsseEnvelope);
    }
  }
  return envelopes;
}

/** Bundles whose statement is cosign's signature predicate (attestations are read by provenance.ts). */
export async function bundleSignatures(registry: OciRegistry, ref: ImageRef, digest: string, keys: TrustedKey[]): Promise<SignatureFinding[]> {
  const findings: SignatureFinding[] = [];
  for (const env of await bundleEnvelopes(registry, ref, digest)) {
    if (!env) {
      findings.push({ format: 'bundle', problem: 'bundle without a DSSE envelope' });
      continue;
    }
    const { key, statement, subjectDigest } = openDsse(env, keys);
    if (statement.predicateType !== COSIGN_SIGN_PREDICATE) continue;
    findings.push({ format: 'bundle', ...(key ? { keyId: key.id } : {}), ...(subjectDigest ? { signedDigest: subjectDigest } : {}) });
  }
  return findings;
}

export type SignatureVerdict =
  | { ok: true; verified: SignatureFinding[] }
  | { ok: false; kind: 'NoSignature' | 'SignatureInvalid' | 'DigestMismatch'; message: string };

/** Pure: what the findings mean for an image of `digest`. */
export function judgeSignatures(digest: string, findings: SignatureFinding[], keyIds: string[]): SignatureVerdict {
  const verified = findings.filter((f) => f.keyId && f.signedDigest === digest);
  if (verified.length > 0) return { ok: true, verified };
  if (findings.length === 0) return { ok: false, kind: 'NoSignature', message: `no cosign signature found for ${digest}` };
  const forOther = findings.find((f) => f.keyId && f.signedDigest !== digest);
  if (forOther) {
    return { ok: false, kind: 'DigestMismatch', message: `a ${forOther.format} signature by key ${forOther.keyId} is for ${forOther.signedDigest ?? 'no digest'}, not for ${digest}` };
  }
  return {
    ok: false,
    kind: 'SignatureInvalid',
    message: `${findings.length} signature(s) found for ${digest}, none verifies with the trusted key(s) ${keyIds.join(', ')}${findings.some((f) => f.problem) ? ` (${findings.flatMap((f) => (f.problem ? [f.problem] : [])).join('; ')})` : ''}`,
  };
}
