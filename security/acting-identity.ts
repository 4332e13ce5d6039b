/**
 * Who an operator action is recorded as. With mTLS to Temporal, the subject of the client
 * certificate the connection authenticates with (`cert:<CN>`): an operator cannot record another
 * name, and a name typed with --approver / --by must match it. Without mTLS nothing proves who
 * typed the command, so the name is recorded as given, marked `unverified:`.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';

export class IdentityMismatchError extends Error {}

/** `cert:<CN>` of the client certificate in TEMPORAL_TLS_CERT, if any. */
export function certificateIdentity(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const file = env.TEMPORAL_TLS_CERT;
  if (!file) return undefined;
  const subject = new X509Certificate(readFileSync(file)).subject; // "CN=alice\nO=…"
  const cn = /^CN=(.+)$/m.exec(subject)?.[1]?.trim();
  return `cert:${cn ?? subject.replace(/\n/g, ',')}`;
}

/** The identity to record for an action; `claimed` is the name the operator typed, if any. */
export function actingIdentity(claimed: string | undefined, fallback: string, env: NodeJS.ProcessEnv = process.env): string {
  const verified = certificateIdentity(env);
  if (verified) {
    if (claimed && claimed !== verified && `cert:${claimed}` !== verified)
      throw new IdentityMismatchError(`"${claimed}" is not who your client certificate says you are (${verified})`);
    return verified;
  }
  return `unverified:${claimed ?? fallback}`;
}
