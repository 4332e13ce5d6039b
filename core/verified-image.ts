/** What supply-chain verification says of an image: the pinned reference deployed and the evidence behind it. */
import type { ErrorType } from './errors';
import type { CertificateIdentity } from './identity-policy';
import type { ProvenanceFacts } from './provenance-policy';

export interface Violation {
  type: ErrorType;
  message: string;
}

export interface VerifiedImage {
  /** repository@sha256:…: what the release deploys. */
  reference: string;
  digest: string;
  signatures: { format: 'legacy' | 'bundle'; keyId?: string; identity?: CertificateIdentity }[];
  provenance?: ProvenanceFacts;
  /** Only under `warn`: the checks that failed. */
  violations?: Violation[];
}
