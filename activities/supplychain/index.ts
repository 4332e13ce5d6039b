import { ApplicationFailure } from '@temporalio/activity';
import { ErrorType } from '../../core/errors';
import { describeRule, type KeylessIdentity } from '../../core/identity-policy';
import { parseImageRef, pinnedReference } from '../../core/image-ref';
import type { ProvenancePolicy } from '../../core/provenance-policy';
import type { VerifiedImage, Violation } from '../../core/verified-image';
import { bundleSignatures, judgeSignatures, legacySignatures, loadKeys, type Signers, type TrustedKey } from './cosign';
import { loadTrustMaterial } from './keyless';
import { OciRegistry, RegistryError, type RegistryOptions } from './oci-registry';
import { verifyProvenance } from './provenance';

export type Enforcement = 'enforce' | 'warn';

export interface VerifyImageInput {
  image: string;
  /** PEM public keys; with none and no keyless identities, the image is pinned by digest but signatures are not required. */
  cosignKeys: string[];
  /** Keyless signers allowed (certificate identity and OIDC issuer), checked under the worker's trusted root. */
  keyless?: KeylessIdentity[];
  /** When set, a SLSA provenance attestation satisfying it is required too. */
  provenance?: ProvenancePolicy;
  /** enforce (default): a failed check fails the activity. warn: failed checks are returned as violations and the pinned image is deployed. */
  enforcement?: Enforcement;
}

export interface SupplyChainOptions extends RegistryOptions {
  /** sigstore trusted_root.json for keyless bundles (Fulcio CAs, Rekor and CT log keys). */
  trustedRootPath?: string;
}

function registryFailure(err: unknown): Error {
  if (!(err instanceof RegistryError)) return err as Error;
  switch (err.kind) {
    case 'not-found':
      return ApplicationFailure.nonRetryable(err.message, ErrorType.ImageNotFound);
    case 'unauthorized':
      return ApplicationFailure.nonRetryable(err.message, ErrorType.RegistryUnauthorized);
    case 'digest-mismatch':
      return ApplicationFailure.nonRetryable(err.message, ErrorType.DigestMismatch);
    case 'unavailable':
      return ApplicationFailure.retryable(err.message, ErrorType.RegistryUnavailable);
  }
}

function signersFor(input: VerifyImageInput, opts: SupplyChainOptions): Signers {
  let keys: TrustedKey[];
  try {
    keys = loadKeys(input.cosignKeys);
  } catch (err) {
    throw ApplicationFailure.nonRetryable(`a cosign public key cannot be read: ${(err as Error).message}`, ErrorType.InvalidConfig);
  }
  const identities = input.keyless ?? [];
  if (identities.length === 0) return { keys };
  if (!opts.trustedRootPath) {
    throw ApplicationFailure.nonRetryable(
      'the policy allows keyless signers, but the worker has no sigstore trusted root (AUTOGLM_SIGSTORE_TRUSTED_ROOT)',
      ErrorType.InvalidConfig,
    );
  }
  try {
    return { keys, keyless: { identities, trust: loadTrustMaterial(opts.trustedRootPath) } };
  } catch (err) {
    throw ApplicationFailure.nonRetryable(
      `the sigstore trusted root ${opts.trustedRootPath} cannot be read: ${(err as Error).message}`,
      ErrorType.InvalidConfig,
    );
  }
}

/** Activities that talk to OCI registries: digest pinning and signature checks before anything is deployed. */
export const createSupplyChainActivities = (opts: SupplyChainOptions = {}) => ({
  async verifyImage(input: VerifyImageInput): Promise<VerifiedImage> {
    const ref = parseImageRef(input.image);
    if (!ref) throw ApplicationFailure.nonRetryable(`not an image reference: ${input.image}`, ErrorType.InvalidInput);
    const signers = signersFor(input, opts);
    const registry = new OciRegistry(opts);
    try {
      // By digest when given (the content must hash to it), else what the tag points at now.
      const { digest } = await registry.manifest(ref, ref.digest ?? ref.tag ?? 'latest');
      const reference = pinnedReference(ref, digest);
      const result: VerifiedImage = { reference, digest, signatures: [] };
      if (signers.keys.length === 0 && !signers.keyless) return result;
      const violations: Violation[] = [];
      const refuse = (type: ErrorType, message: string) => {
        if (input.enforcement === 'warn') violations.push({ type, message: `${reference}: ${message}` });
        else throw ApplicationFailure.nonRetryable(`${reference}: ${message}`, type);
      };

      const findings = [
        ...(await legacySignatures(registry, ref, digest, signers.keys)),
        ...(await bundleSignatures(registry, ref, digest, signers)),
      ];
      const trusted = [...signers.keys.map((k) => `key ${k.id}`), ...(signers.keyless?.identities.map(describeRule) ?? [])];
      const verdict = judgeSignatures(digest, findings, trusted);
      if (verdict.ok) {
        result.signatures = verdict.verified.map(({ format, keyId, identity }) => ({
          format,
          ...(keyId ? { keyId } : {}),
          ...(identity ? { identity } : {}),
        }));
      } else {
        refuse(ErrorType[verdict.kind], verdict.message);
      }
      if (input.provenance) {
        const prov = await verifyProvenance(registry, ref, digest, signers, {
          ...input.provenance,
          builders: input.provenance.builders ?? [],
        });
        if (prov.ok) result.provenance = prov.facts;
        else refuse(ErrorType[prov.kind], prov.message);
      }
      return violations.length > 0 ? { ...result, violations } : result;
    } catch (err) {
      throw registryFailure(err);
    }
  },
});

export type SupplyChainActivities = ReturnType<typeof createSupplyChainActivities>;
