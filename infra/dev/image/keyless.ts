/**
 * Keyless signatures and attestations of images in the stack's registry, made by the stack's test
 * sigstore (infra/dev/sigstore) and attached as OCI referrers as cosign v3 does. Test and demo
 * tooling, not product code.
 */
import type { InTotoStatement, KeylessSignOptions, SigningIdentity, TestSigstore } from '../sigstore/test-sigstore';
import { COSIGN_SIGN_PREDICATE } from '../../../activities/supplychain/cosign';
import { attachBundle } from './referrer';

function statementFor(reference: string, predicateType: string, predicate: object, subjectDigest?: string): InTotoStatement {
  const [name, digest] = reference.split('@') as [string, string];
  const hex = (subjectDigest ?? digest).replace(/^sha256:/, '');
  return { _type: 'https://in-toto.io/Statement/v1', subject: [{ name, digest: { sha256: hex } }], predicateType, predicate };
}

export interface KeylessImageOptions extends KeylessSignOptions {
  /** Sign a statement about another digest (a signature copied from elsewhere). */
  subjectDigest?: string;
}

/** `cosign sign` with an OIDC identity, as a bundle referrer of `reference` (repository@sha256:…). */
export async function signImageKeyless(
  sigstore: TestSigstore,
  reference: string,
  identity: SigningIdentity,
  opts: KeylessImageOptions = {},
): Promise<void> {
  const bundle = await sigstore.signStatement(statementFor(reference, COSIGN_SIGN_PREDICATE, {}, opts.subjectDigest), identity, opts);
  await attachBundle(reference, bundle, COSIGN_SIGN_PREDICATE);
}

/** `cosign attest` with an OIDC identity: a keyless in-toto attestation (e.g. SLSA provenance) of the image. */
export async function attestImageKeyless(
  sigstore: TestSigstore,
  reference: string,
  predicateType: string,
  predicate: object,
  identity: SigningIdentity,
  opts: KeylessImageOptions = {},
): Promise<void> {
  const bundle = await sigstore.signStatement(statementFor(reference, predicateType, predicate, opts.subjectDigest), identity, opts);
  await attachBundle(reference, bundle, predicateType);
}
