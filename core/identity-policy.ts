/**
 * Keyless signing policy: which certificate identities (the Fulcio certificate's subject
 * alternative name, e.g. a GitHub Actions workflow ref or an e-mail) issued on whose OIDC token
 * (the issuer extension) may sign. Pure.
 */
export interface KeylessIdentity {
  /** OIDC issuer, exact, e.g. https://token.actions.githubusercontent.com */
  issuer: string;
  /** Exact subject (SAN). */
  subject?: string;
  /** A regular expression the whole subject must match (anchored here, whatever the pattern says). */
  subjectRegExp?: string;
}

export interface CertificateIdentity {
  subject?: string;
  issuer?: string;
}

const anchored = (pattern: string) => new RegExp(`^(?:${pattern})$`);

export function identityAllowed(identity: CertificateIdentity, allowed: readonly KeylessIdentity[]): boolean {
  return allowed.some(
    (rule) =>
      identity.issuer === rule.issuer &&
      identity.subject !== undefined &&
      (rule.subject !== undefined
        ? identity.subject === rule.subject
        : rule.subjectRegExp !== undefined && anchored(rule.subjectRegExp).test(identity.subject)),
  );
}

export const describeIdentity = (identity: CertificateIdentity) =>
  `${identity.subject ?? '(no subject)'} issued by ${identity.issuer ?? '(no issuer)'}`;

export const describeRule = (rule: KeylessIdentity) => `${rule.subject ?? `/${rule.subjectRegExp ?? ''}/`} issued by ${rule.issuer}`;
