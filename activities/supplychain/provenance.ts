/**
 * SLSA provenance attestations made with `cosign attest`: in the legacy `sha256-<hex>.att` tag
 * (one DSSE envelope per layer, key-signed) or as sigstore bundle referrers (key-signed or
 * keyless). One must be signed by a trusted signer, name this digest as its subject, and satisfy
 * the policy.
 */
import type { ImageRef } from '../../core/image-ref';
import {
  SLSA_PREDICATES,
  checkProvenance,
  provenanceFacts,
  type ProvenanceFacts,
  type ProvenancePolicy,
} from '../../core/provenance-policy';
import { DSSE_ENVELOPE, openBundle, openDsse, referrerBundles, type DsseEnvelope, type OpenedBundle, type Signers } from './cosign';
import type { OciRegistry } from './oci-registry';

export type ProvenanceVerdict =
  | { ok: true; facts: ProvenanceFacts; predicateType: string; signer: OpenedBundle['finding'] }
  | { ok: false; kind: 'MissingAttestation' | 'ProvenanceMismatch'; message: string };

async function legacyEnvelopes(registry: OciRegistry, ref: ImageRef, digest: string): Promise<DsseEnvelope[]> {
  const manifest = await registry.optionalManifest(ref, `${digest.replace(':', '-')}.att`);
  const envelopes: DsseEnvelope[] = [];
  for (const layer of manifest?.json.layers ?? []) {
    if (layer.mediaType === DSSE_ENVELOPE)
      envelopes.push(JSON.parse((await registry.blob(ref, layer.digest)).toString('utf8')) as DsseEnvelope);
  }
  return envelopes;
}

export async function verifyProvenance(
  registry: OciRegistry,
  ref: ImageRef,
  digest: string,
  signers: Signers,
  policy: ProvenancePolicy,
): Promise<ProvenanceVerdict> {
  const opened: OpenedBundle[] = (await legacyEnvelopes(registry, ref, digest)).map((env) => {
    const { key, ...rest } = openDsse(env, signers.keys);
    return { ...rest, finding: key ? { keyId: key.id, trusted: true } : { failure: 'signature' } };
  });
  for (const bundle of await referrerBundles(registry, ref, digest)) {
    const o = openBundle(bundle, signers);
    if (o) opened.push(o);
  }
  const problems: string[] = [];
  let seen = 0;
  for (const { statement, subjectDigest, finding } of opened) {
    if (!statement.predicateType || !SLSA_PREDICATES.includes(statement.predicateType)) continue;
    seen++;
    if (!finding.trusted) {
      problems.push(`a provenance attestation not signed by a trusted signer${finding.problem ? ` (${finding.problem})` : ''}`);
      continue;
    }
    if (subjectDigest !== digest) {
      problems.push(`a provenance attestation for ${subjectDigest ?? 'no digest'}`);
      continue;
    }
    const facts = provenanceFacts(statement.predicateType, statement.predicate);
    const mismatch = checkProvenance(facts, policy);
    if (mismatch.length === 0) return { ok: true, facts, predicateType: statement.predicateType, signer: finding };
    problems.push(...mismatch);
  }
  if (seen === 0) return { ok: false, kind: 'MissingAttestation', message: `no SLSA provenance attestation found for ${digest}` };
  const signedAndOurs = problems.some((p) => !p.startsWith('a provenance attestation'));
  return {
    ok: false,
    kind: signedAndOurs ? 'ProvenanceMismatch' : 'MissingAttestation',
    message: `${signedAndOurs ? 'provenance does not satisfy the policy' : 'no usable provenance attestation'} for ${digest}: ${problems.join('; ')}`,
  };
}
