/**
 * TLS / mTLS to the Temporal frontend, shared by the worker, its activities' client, the CLI and
 * the webhook receiver. The variables are the ones the `temporal` CLI reads, so one environment
 * serves both: TEMPORAL_TLS_CERT / TEMPORAL_TLS_KEY (client certificate pair, PEM files),
 * TEMPORAL_TLS_CA (the server's CA; unset: the system's), TEMPORAL_TLS_SERVER_NAME (SNI and the
 * name checked), TEMPORAL_TLS=true (TLS without a client certificate).
 */
import type { TLSConfig } from '@temporalio/client';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { describeIssues } from '../core/validation';

/** Each setting alone (the worker's config takes them as its own fields). */
export const TemporalTlsFields = z.object({
  tls: z.enum(['true', 'false', '1', '0']).optional(),
  certFile: z.string().min(1).optional(),
  keyFile: z.string().min(1).optional(),
  caFile: z.string().min(1).optional(),
  serverName: z.string().min(1).optional(),
});
export const TLS_PAIR_MESSAGE = 'TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together';
export const TemporalTlsSettings = TemporalTlsFields.refine((s) => !!s.certFile === !!s.keyFile, {
  message: TLS_PAIR_MESSAGE,
  path: ['certFile'],
});
export type TemporalTlsSettings = z.infer<typeof TemporalTlsSettings>;

export const TEMPORAL_TLS_ENV = {
  tls: 'TEMPORAL_TLS',
  certFile: 'TEMPORAL_TLS_CERT',
  keyFile: 'TEMPORAL_TLS_KEY',
  caFile: 'TEMPORAL_TLS_CA',
  serverName: 'TEMPORAL_TLS_SERVER_NAME',
} as const;

export class TemporalTlsError extends Error {
  override name = 'TemporalTlsError';
}

const read = (file: string, what: string) => {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new TemporalTlsError(
      `cannot read the Temporal TLS ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
};

/** The connection's `tls` option: undefined for plain gRPC, else the files read now (a missing one fails at start-up). */
export function temporalTls(s: TemporalTlsSettings): TLSConfig | undefined {
  const on = s.tls === 'true' || s.tls === '1' || !!s.certFile || !!s.caFile || !!s.serverName;
  if (!on) return undefined;
  return {
    ...(s.serverName ? { serverNameOverride: s.serverName } : {}),
    ...(s.caFile ? { serverRootCACertificate: read(s.caFile, 'CA') } : {}),
    ...(s.certFile ? { clientCertPair: { crt: read(s.certFile, 'certificate'), key: read(s.keyFile!, 'key') } } : {}),
  };
}

/** From the environment (the CLI and the webhook receiver). */
export function temporalTlsFromEnv(env: NodeJS.ProcessEnv = process.env): TLSConfig | undefined {
  const raw = Object.fromEntries(Object.entries(TEMPORAL_TLS_ENV).map(([k, name]) => [k, env[name] || undefined]));
  const parsed = TemporalTlsSettings.safeParse(raw);
  if (!parsed.success) throw new TemporalTlsError(`invalid Temporal TLS settings: ${describeIssues(parsed.error)}`);
  return temporalTls(parsed.data);
}
