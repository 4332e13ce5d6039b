import { ApplicationFailure } from '@temporalio/activity';
import { ErrorType } from '../../core/errors';
import { parseImageRef, pinnedReference } from '../../core/image-ref';
import { bundleSignatures, judgeSignatures, legacySignatures, loadKeys, type SignatureFinding } from './cosign';
import { OciRegistry, RegistryError, type RegistryOptions } from './oci-registry';
import { verifyProvenance } from './provenance';
import type { ProvenanceFacts, ProvenancePolicy } from '../../core/provenance-policy';

export interface VerifyImageInput {
  image: string;
  /** PEM public keys; none: the image is pinned by digest but signatures are not required. */
  cosignKeys: string[];
  /** When set, a SLSA provenance attestation satisfying it is required too. */
  provenance?: ProvenancePolicy;
}

export interface VerifiedImage {
  /** repository@sha256:…: what the release deploys. */
  reference: string;
  digest: string;
  signatures: Pick<SignatureFinding, 'format' | 'keyId'>[];
  provenance?: ProvenanceFacts;
}

function registryFailure(err: unknown): Error {
  if (!(err instanceof RegistryError)) return err as Error;
  switch (err.kind) {
    case 'not-found': return ApplicationFailure.nonRetryable(err.message, ErrorType.ImageNotFound);
    case 'unauthorized': return ApplicationFailure.nonRetryable(err.message, ErrorType.RegistryUnauthorized);
    case 'digest-mismatch': return ApplicationFailure.nonRetryable(err.message, ErrorType.DigestMismatch);
    case 'unavailable': return ApplicationFailure.retryable(err.message, ErrorType.RegistryUnavailable);
  }
}

/** Activities that talk to OCI registries: digest pinning and signature checks before anything is deployed. */
export const createSupplyChainActivities = (opts: RegistryOptions = {}) => ({
  async verifyImage(input: VerifyImageInput): Promise<VerifiedImage> {
    const ref = parseImageRef(input.image);
    if (!ref) throw ApplicationFailure.nonRetryable(`not an image reference: ${input.image}`, ErrorType.InvalidInput);
    let keys;
    try {
      keys = loadKeys(input.cosignKeys);
    } catch (err) {
      throw ApplicationFailure.nonRetryable(`a cosign public key cannot be read: ${(err as Error).message}`, ErrorType.InvalidConfig);
    }
    const registry = new OciRegistry(opts);
    try {
      // By digest when given (the content must hash to it), else what the tag points at now.
      const { digest } = await registry.manifest(ref, ref.digest ?? ref.tag ?? 'latest');
      const reference = pinnedReference(ref, digest);
      if (keys.length === 0) return { reference, digest, signatures: [] };
      const findings = [...(await legacySignatures(registry, ref, digest, keys)), ...(await bundleSignatures(registry, ref, digest, keys))];
      const verdict = judgeSignatures(digest, findings, keys.map((k) => k.id));
      if (!verdict.ok) throw ApplicationFailure.nonRetryable(`${reference}: ${verdict.message}`, ErrorType[verdict.kind]);
      const signatures = verdict.verified.map(({ format, keyId }) => ({ format, ...(keyId ? { keyId } : {}) }));
      if (!input.provenance) return { reference, digest, signatures };
      const prov = await verifyProvenance(registry, ref, digest, keys, { ...input.provenance, builders: input.provenance.builders ?? [] });
      if (!prov.ok) throw ApplicationFailure.nonRetryable(`${reference}: ${prov.message}`, ErrorType[prov.kind]);
      return { reference, digest, signatures, provenance: prov.facts };
    } catch (err) {
      throw registryFailure(err);
    }
  },
});

export type SupplyChainActivities = ReturnType<typeof createSupplyChainActivities>;
