/**
 * Verifies cosign key-based signatures of an image, in both storage formats cosign writes:
 * - legacy: the `sha256-<hex>.sig` tag, one simple-signing payload per layer with the signature
 *   in the `dev.cosignproject.cosign/signature` annotation;
 * - sigstore bundles attached as OCI referrers: a DSSE envelope over an in-toto statement whose
 *   subject is the image digest.
 * - keyless sigstore bundles (Fulcio certificate, transparency-log entry): see keyless.ts.
 * A signature counts only if a trusted signer made it AND it names this very digest.
 */
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { TrustMaterial } from '@sigstore/verify';
import {
  describeIdentity,
  describeRule,
  identityAllowed,
  type CertificateIdentity,
  type KeylessIdentity,
} from '../../core/identity-policy';
import type { ImageRef } from '../../core/image-ref';
import { isKeylessBundle, verifyKeylessBundle } from './keyless';
import type { OciRegistry } from './oci-registry';

export const SIMPLE_SIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const BUNDLE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
const LEGACY_CERTIFICATE_ANNOTATION = 'dev.sigstore.cosign/certificate';
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
    return {
      id: createHash('sha256')
        .update(key.export({ type: 'spki', format: 'der' }))
        .digest('hex')
        .slice(0, 16),
      key,
    };
  });
}

/** Who may sign: trusted public keys, and (keyless) allowed certificate identities under a trusted root. */
export interface Signers {
  keys: TrustedKey[];
  keyless?: { identities: KeylessIdentity[]; trust: TrustMaterial };
}

export type FindingFailure = 'signature' | 'certificate' | 'tlog' | 'identity';

export interface SignatureFinding {
  format: 'legacy' | 'bundle';
  /** The trusted key that verified it, if any. */
  keyId?: string;
  /** Keyless: the certificate's identity, once chain, log entry and signature verified. */
  identity?: CertificateIdentity;
  /** Verified by a trusted key or by an allowed identity. */
  trusted?: boolean;
  /** The digest the signed payload names. */
  signedDigest?: string;
  failure?: FindingFailure;
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

export async function legacySignatures(
  registry: OciRegistry,
  ref: ImageRef,
  digest: string,
  keys: TrustedKey[],
): Promise<SignatureFinding[]> {
  const manifest = await registry.optionalManifest(ref, `${digest.replace(':', '-')}.sig`);
  const findings: SignatureFinding[] = [];
  for (const layer of manifest?.json.layers ?? []) {
    if (layer.mediaType !== SIMPLE_SIGNING) continue;
    const sig = layer.annotations?.[SIGNATURE_ANNOTATION];
    if (!sig) {
      findings.push({ format: 'legacy', failure: 'signature', problem: 'a signature layer without a signature' });
      continue;
    }
    if (layer.annotations?.[LEGACY_CERTIFICATE_ANNOTATION]) {
      findings.push({
        format: 'legacy',
        failure: 'signature',
        problem: 'a keyless signature in the legacy .sig format, which is not accepted (sign with --new-bundle-format)',
      });
      continue;
    }
    const payload = await registry.blob(ref, layer.digest);
    const key = verifiedBy(keys, payload, Buffer.from(sig, 'base64'));
    let signedDigest: string | undefined;
    try {
      signedDigest = (JSON.parse(payload.toString('utf8')) as { critical?: { image?: { 'docker-manifest-digest'?: string } } }).critical
        ?.image?.['docker-manifest-digest'];
    } catch {
      findings.push({ format: 'legacy', failure: 'signature', problem: 'payload is not JSON' });
      continue;
    }
    findings.push({
      format: 'legacy',
      ...(key ? { keyId: key.id, trusted: true } : { failure: 'signature' }),
      ...(signedDigest ? { signedDigest } : {}),
    });
  }
  return findings;
}

export interface DsseEnvelope {
  payload: string;
  payloadType: string;
  signatures: { sig: string; keyid?: string }[];
}

export interface Bundle {
  mediaType?: string;
  verificationMaterial?: Record<string, unknown>;
  dsseEnvelope?: DsseEnvelope;
}

export interface InTotoStatement {
  predicateType?: string;
  subject?: { digest?: { sha256?: string } }[];
  predicate?: Record<string, unknown>;
}

function statementOf(env: DsseEnvelope): { statement: InTotoStatement; subjectDigest?: string } {
  const statement = JSON.parse(Buffer.from(env.payload, 'base64').toString('utf8')) as InTotoStatement;
  const hex = statement.subject?.find((s) => s.digest?.sha256)?.digest?.sha256;
  return { statement, ...(hex ? { subjectDigest: `sha256:${hex}` } : {}) };
}

/** A DSSE envelope checked against trusted keys: the key that signed it (if any) and the in-toto statement it carries. */
export function openDsse(env: DsseEnvelope, keys: TrustedKey[]): { key?: TrustedKey; statement: InTotoStatement; subjectDigest?: string } {
  const payload = Buffer.from(env.payload, 'base64');
  const key = env.signatures.map((s) => verifiedBy(keys, pae(env.payloadType, payload), Buffer.from(s.sig, 'base64'))).find(Boolean);
  return { ...(key ? { key } : {}), ...statementOf(env) };
}

export interface OpenedBundle {
  statement: InTotoStatement;
  subjectDigest?: string;
  /** Who signed it, judged by the signers' policy (see SignatureFinding). */
  finding: Omit<SignatureFinding, 'format' | 'signedDigest'>;
}

/**
 * A sigstore bundle checked against the signers: a certificate bundle by @sigstore/verify and the
 * identity policy, a public-key bundle by the trusted keys. Undefined when it holds no DSSE envelope.
 */
export function openBundle(bundle: Bundle, signers: Signers): OpenedBundle | undefined {
  const env = bundle.dsseEnvelope;
  if (!env) return undefined;
  if (!isKeylessBundle(bundle)) {
    const { key, statement, subjectDigest } = openDsse(env, signers.keys);
    return {
      statement,
      ...(subjectDigest ? { subjectDigest } : {}),
      finding: key ? { keyId: key.id, trusted: true } : { failure: 'signature' },
    };
  }
  const { statement, subjectDigest } = statementOf(env);
  const opened = { statement, ...(subjectDigest ? { subjectDigest } : {}) };
  if (!signers.keyless)
    return { ...opened, finding: { failure: 'identity', problem: 'a keyless signature, and the policy allows no keyless identities' } };
  const result = verifyKeylessBundle(bundle, signers.keyless.trust);
  if (!result.ok) return { ...opened, finding: { failure: result.failure, problem: result.problem } };
  if (identityAllowed(result.identity, signers.keyless.identities))
    return { ...opened, finding: { identity: result.identity, trusted: true } };
  return {
    ...opened,
    finding: {
      identity: result.identity,
      failure: 'identity',
      problem: `signed by ${describeIdentity(result.identity)}; allowed: ${signers.keyless.identities.map(describeRule).join('; ')}`,
    },
  };
}

/** Sigstore bundles referring to `digest` (any predicate). */
export async function referrerBundles(registry: OciRegistry, ref: ImageRef, digest: string): Promise<Bundle[]> {
  const bundles: Bundle[] = [];
  for (const referrer of await registry.referrers(ref, digest)) {
    if (referrer.artifactType !== BUNDLE) continue;
    const manifest = await registry.manifest(ref, referrer.digest);
    for (const layer of manifest.json.layers ?? []) {
      if (layer.mediaType !== BUNDLE) continue;
      bundles.push(JSON.parse((await registry.blob(ref, layer.digest)).toString('utf8')) as Bundle);
    }
  }
  return bundles;
}

/** Bundles whose statement is cosign's signature predicate (attestations are read by provenance.ts). */
export async function bundleSignatures(
  registry: OciRegistry,
  ref: ImageRef,
  digest: string,
  signers: Signers,
): Promise<SignatureFinding[]> {
  const findings: SignatureFinding[] = [];
  for (const bundle of await referrerBundles(registry, ref, digest)) {
    const opened = openBundle(bundle, signers);
    if (!opened) {
      findings.push({ format: 'bundle', failure: 'signature', problem: 'bundle without a DSSE envelope' });
      continue;
    }
    if (opened.statement.predicateType !== COSIGN_SIGN_PREDICATE) continue;
    findings.push({ format: 'bundle', ...opened.finding, ...(opened.subjectDigest ? { signedDigest: opened.subjectDigest } : {}) });
  }
  return findings;
}

export type SignatureVerdict =
  | { ok: true; verified: SignatureFinding[] }
  | {
      ok: false;
      kind: 'NoSignature' | 'SignatureInvalid' | 'DigestMismatch' | 'IdentityMismatch' | 'CertificateInvalid' | 'TransparencyLogInvalid';
      message: string;
    };

const KIND_OF_FAILURE = { identity: 'IdentityMismatch', certificate: 'CertificateInvalid', tlog: 'TransparencyLogInvalid' } as const;

const signerOf = (f: SignatureFinding) => (f.keyId ? `key ${f.keyId}` : f.identity ? describeIdentity(f.identity) : 'an unknown signer');

/**
 * Pure: what the findings mean for an image of `digest`. `trustedSigners` describes the policy
 * for messages. The most specific failure wins: a trusted signature for another digest, then a
 * keyless signature from a disallowed identity, a bad certificate, a missing log entry.
 */
export function judgeSignatures(digest: string, findings: SignatureFinding[], trustedSigners: string[]): SignatureVerdict {
  const verified = findings.filter((f) => f.trusted && f.signedDigest === digest);
  if (verified.length > 0) return { ok: true, verified };
  if (findings.length === 0) return { ok: false, kind: 'NoSignature', message: `no cosign signature found for ${digest}` };
  const forOther = findings.find((f) => f.trusted && f.signedDigest !== digest);
  if (forOther) {
    return {
      ok: false,
      kind: 'DigestMismatch',
      message: `a ${forOther.format} signature by ${signerOf(forOther)} is for ${forOther.signedDigest ?? 'no digest'}, not for ${digest}`,
    };
  }
  for (const failure of ['identity', 'certificate', 'tlog'] as const) {
    const found = findings.filter((f) => f.failure === failure);
    if (found.length > 0) {
      return {
        ok: false,
        kind: KIND_OF_FAILURE[failure],
        message: `keyless signature refused for ${digest}: ${found.map((f) => f.problem).join('; ')}`,
      };
    }
  }
  const problems = findings.flatMap((f) => (f.problem ? [f.problem] : []));
  return {
    ok: false,
    kind: 'SignatureInvalid',
    message: `${findings.length} signature(s) found for ${digest}, none verifies with ${trustedSigners.join(', ') || 'no trusted signer'}${problems.length ? ` (${problems.join('; ')})` : ''}`,
  };
}
