import { Runtime } from '@temporalio/worker';
import { createHash, randomBytes } from 'node:crypto';
import { startRelease } from '../../client/releases';
import { workerWithClient } from '../../worker/in-process';
import { JsonLogger } from '../../worker/logger';
import { createTestNamespace, deleteNamespace, testKube } from '../support/kube';
import { makePki, startMtlsProxy, type MtlsPki } from '../support/mtls-proxy';
import { testStack, testStackEnv } from '../support/stack';
import { cli } from '../support/run-entry';

// The worker, its client and the CLI reach Temporal over mutual TLS when told to, with the
// variables the temporal CLI uses; a client without a certificate from the CA gets nowhere.
describe('mTLS to Temporal', () => {
  let pki: MtlsPki;
  let proxy: Awaited<ReturnType<typeof startMtlsProxy>>;
  let ns: string;
  let tlsEnv: Record<string, string>;
  beforeAll(async () => {
    pki = makePki();
    proxy = await startMtlsProxy(pki, testStack().temporal.address);
    ns = await createTestNamespace(testKube(), 'mtls');
    tlsEnv = {
      TEMPORAL_ADDRESS: proxy.address,
      TEMPORAL_TLS_CA: pki.caCert,
      TEMPORAL_TLS_SERVER_NAME: pki.serverName,
      TEMPORAL_TLS_CERT: pki.client.cert,
      TEMPORAL_TLS_KEY: pki.client.key,
    };
  });
  afterAll(async () => {
    await proxy?.close();
    if (ns) await deleteNamespace(testKube(), ns);
  });

  it('runs a release with the worker and client connected through mTLS only', async () => {
    try {
      Runtime.install({ logger: new JsonLogger('WARN') });
    } catch {
      // already installed in this process
    }
    const taskQueue = `it-mtls-${randomBytes(3).toString('hex')}`;
    const { worker, client, close } = await workerWithClient(
      { taskQueue, shutdownGraceMs: '2s' },
      { ...process.env, ...testStackEnv(), ...tlsEnv },
    );
    try {
      await worker.runUntil(async () => {
        const result = await (
          await startRelease(
            client,
            {
              service: 'llm',
              namespace: ns,
              version: 'v1',
              image: `registry.local/m@sha256:${createHash('sha256').update('mtls').digest('hex')}`,
              model: { name: 'm' },
              gpu: { pool: 'l4', perReplica: 1 },
              replicas: 1,
              server: { probePeriod: '1s', preStopDelay: '1s' }, // Ready a second after loading, gone a second after stopping (the 5 s defaults would pace every test)
              container: { env: { SIM_MODEL_LOAD_DELAY: '1s' } },
              rollout: { steps: [{ weight: 50 }] },
            },
            { taskQueue },
          )
        ).result();
        expect(result.outcome).toBe('promoted');
        // The CLI, configured like the temporal CLI, reads it through the same front (the worker answers the query).
        const st = await cli(['release', 'status', '-s', 'llm', '-n', ns, '--json'], { ...tlsEnv, AUTOGLM_TASK_QUEUE: taskQueue });
        expect(st.err).toBe('');
        expect(st.code).toBe(0);
        expect(JSON.parse(st.out)).toMatchObject({ phase: 'succeeded', version: 'v1' });
      });
    } finally {
      await close();
    }
  });

  it('is refused without a client certificate from the CA', async () => {
    const before = proxy.handshakesRefused();
    const stranger = await cli(['release', 'status', '-s', 'llm', '-n', ns], {
      ...tlsEnv,
      TEMPORAL_TLS_CERT: pki.stranger.cert,
      TEMPORAL_TLS_KEY: pki.stranger.key,
    });
    expect(stranger.code).toBe(4);
    expect(stranger.err).toMatch(/cannot reach Temporal at 127\.0\.0\.1:\d+/);
    const none = await cli(['release', 'status', '-s', 'llm', '-n', ns], { ...tlsEnv, TEMPORAL_TLS_CERT: '', TEMPORAL_TLS_KEY: '' });
    expect(none.code).toBe(4);
    expect(proxy.handshakesRefused()).toBeGreaterThanOrEqual(before + 2);
  });

  it('refuses half a certificate pair in one line (exit 2)', async () => {
    const r = await cli(['release', 'status', '-s', 'llm', '-n', ns], { ...tlsEnv, TEMPORAL_TLS_KEY: '' });
    expect(r.code).toBe(2);
    expect(r.err.trim()).toBe(
      'autoglm-deploy: invalid Temporal TLS settings: certFile: TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together',
    );
  });
});
