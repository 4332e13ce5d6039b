import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TemporalTlsError, temporalTlsFromEnv } from '../../security/temporal-tls';
import { loadWorkerConfig, workerTemporalTls } from '../../worker/config';

describe('TLS to Temporal', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tls-'));
  const file = (name: string, text: string) => (writeFileSync(join(dir, name), text), join(dir, name));
  const crt = file('c.crt', 'CERT'),
    key = file('c.key', 'KEY'),
    ca = file('ca.crt', 'CA');

  it('is plain gRPC unless something asks for TLS', () => {
    expect(temporalTlsFromEnv({})).toBeUndefined();
    expect(temporalTlsFromEnv({ TEMPORAL_TLS: 'false' })).toBeUndefined();
    expect(temporalTlsFromEnv({ TEMPORAL_TLS: 'true' })).toEqual({});
    expect(temporalTlsFromEnv({ TEMPORAL_TLS_SERVER_NAME: 'temporal.internal' })).toEqual({ serverNameOverride: 'temporal.internal' });
  });

  it('reads the client pair and the CA from their files, for the worker and the CLI alike', () => {
    const expected = { serverRootCACertificate: Buffer.from('CA'), clientCertPair: { crt: Buffer.from('CERT'), key: Buffer.from('KEY') } };
    expect(temporalTlsFromEnv({ TEMPORAL_TLS_CERT: crt, TEMPORAL_TLS_KEY: key, TEMPORAL_TLS_CA: ca })).toEqual(expected);
    expect(workerTemporalTls(loadWorkerConfig({ temporalTlsCert: crt, temporalTlsKey: key }, { TEMPORAL_TLS_CA: ca }))).toEqual(expected);
  });

  it('names a file it cannot read, and refuses half a pair', () => {
    expect(() => temporalTlsFromEnv({ TEMPORAL_TLS_CERT: join(dir, 'nope.crt'), TEMPORAL_TLS_KEY: key })).toThrow(
      new TemporalTlsError(`cannot read the Temporal TLS certificate ${join(dir, 'nope.crt')}: ENOENT`),
    );
    expect(() => temporalTlsFromEnv({ TEMPORAL_TLS_KEY: key })).toThrow(/TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together/);
  });
});
