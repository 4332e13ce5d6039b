/**
 * SLSA provenance attestations made with `cosign attest`: in the legacy `sha256-<hex>.att` tag
 * (one DSSE envelope per layer) or as sigstore bundle referrers. One must be signed by a
 * trusted key, name this digest as its subject, and satisfy the policy.
 */
import type { ImageRef } from '../../core/image-ref';
import { SLSA_PREDICATES, checkProvenance, provenanceFacts, type ProvenanceFacts, type ProvenancePolicy } from '../../core/provenance-policy';
import { DSSE_ENVELOPE, bundleEnvelopes, openDsse, type DsseEnvelope, type TrustedKey } from './cosign';
import type { OciRegistry } from './oci-registry';

export type ProvenanceVerdict =
  | { ok: true; facts: ProvenanceFacts; predicateType: string; keyId: string }
  | { ok: false; kind: 'MissingAttestation' | 'ProvenanceMismatch'; message: string };

async function legacyEnvelopes(registry: OciRegistry, ref: ImageRef, digest: string): Promise<DsseEnvelope[]> {
  const manifest = await registry.optionalManifest(ref, `${digest.replace(':', '-')}.att`);
  const envelopes: DsseEnvelope[] = [];
  for (const layer of manifest?.json.layers ?? []) {
    if (layer.mediaType === DSSE_ENVELOPE) envelopes.push(JSON.parse((await registry.blob(ref, layer.digest)).toString('utf8')) as DsseEnvelope);
  }
  return envelopes;
}

export async function verifyProvenance(registry: OciRegistry, ref: ImageRef, digest: string, keys: TrustedKey[], policy: ProvenancePolicy): Promise<ProvenanceVerdict> {
  const envelopes = [...(await legacyEnvelopes(registry, ref, digest)), ...(await bundleEnvelopes(registry, ref, digest)).filter((e): e is DsseEnvelope => !!e)];
  const problems: string[] = [];
  let seen = 0;
  for (const env of envelopes) {
    const { key, statement, subjectDigest } = openDsse(env, keys);
    if (!statement.predicateType || !SLSA_PREDICATES.includes(statement.predicateType)) continue;
    seen++;
    if (!key) {
      problems.push('a provenance attestation not signed by a trusted key');
      continue;
    }
    if (subjectDigest !== digest) {
      problems.push(`a provenance attestation for ${subjectDigest ?? 'no digest'}`);
      continue;
    }
    const facts = provenanceFacts(statement.predicateType, statement.predicate);
    const mismatch = checkProvenance(facts, policy);
    if (mismatch.length === 0) return { ok: true, facts, predicateType: statement.predicateType, keyId: key.id };
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
