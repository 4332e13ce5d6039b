import { Client, Connection } from '@temporalio/client';
import { createHash, randomBytes } from 'node:crypto';
import { startRelease } from '../../client/releases';
import type { Kube } from '../../activities/kubernetes/client';
import { createTestNamespace, deleteNamespace, testKube } from '../support/kube';
import { testStack } from '../support/stack';
import { startTestWorker, type TestWorker } from '../support/worker-in-process';

// With AUTOGLM_PAYLOAD_KEY, what Temporal stores is sealed: the raw history, read without the
// key, holds no value of the release (here a token in the spec's env) in clear.
describe('encrypted workflow history', () => {
  const MARKER = `hf_${randomBytes(10).toString('hex')}`;
  let kube: Kube;
  let ns: string;
  let worker: TestWorker;
  beforeAll(async () => {
    kube = testKube();
    ns = await createTestNamespace(kube, 'enc');
    worker = await startTestWorker('it-enc', { AUTOGLM_PAYLOAD_KEY: randomBytes(32).toString('base64') });
  });
  afterAll(async () => {
    await worker?.stop();
    await deleteNamespace(kube, ns);
  });

  it("stores every payload sealed, and the project's clients read them", async () => {
    const handle = await startRelease(
      worker.client,
      {
        service: 'llm',
        namespace: ns,
        version: 'v1',
        image: `registry.local/m@sha256:${createHash('sha256').update(ns).digest('hex')}`,
        model: { name: 'm' },
        gpu: { pool: 'l4', perReplica: 1 },
        replicas: 1,
        server: { probePeriod: '1s', preStopDelay: '1s' }, // Ready a second after loading, gone a second after stopping (the 5 s defaults would pace every test)
        container: { env: { SIM_MODEL_LOAD_DELAY: '1s', HF_TOKEN: MARKER } },
        rollout: { steps: [{ weight: 50 }] },
      },
      { taskQueue: worker.taskQueue, requestedBy: `alice ${MARKER}` },
    );
    const result = await handle.result();
    expect(result).toMatchObject({ outcome: 'promoted', version: 'v1' }); // decoded by the client's codec

    const connection = await Connection.connect({ address: testStack().temporal.address });
    try {
      const raw = await new Client({ connection }).workflow.getHandle(handle.workflowId, handle.firstExecutionRunId).fetchHistory();
      const payloads: { metadata?: Record<string, Uint8Array>; data?: Uint8Array }[] = [];
      const where: string[] = [];
      const walk = (v: unknown, path: string): void => {
        if (!v || typeof v !== 'object') return;
        if (Array.isArray(v)) return v.forEach((x, i) => walk(x, `${path}[${i}]`));
        const o = v as Record<string, unknown>;
        if (o.metadata && typeof o.metadata === 'object' && 'encoding' in (o.metadata as object) && o.data) {
          payloads.push(o as never);
          where.push(path);
        } else Object.entries(o).forEach(([k, x]) => walk(x, `${path}.${k}`));
      };
      walk(raw.events, 'events');
      // Temporal's own bookkeeping stays readable to the server: patch ids (markers, TemporalChangeVersion).
      const plain = where.filter((w, i) => Buffer.from(payloads[i]!.metadata!.encoding!).toString() !== 'binary/encrypted');
      expect(plain.every((w) => /markerRecordedEventAttributes\.details\.patch-data|TemporalChangeVersion/.test(w))).toBe(true);
      expect(payloads.length - plain.length).toBeGreaterThan(10); // input, activity inputs and results, the result
      const everything = payloads.map((p) => Buffer.from(p.data!).toString('latin1')).join('\n') + JSON.stringify(raw.events);
      expect(everything).not.toContain(MARKER);
      expect(everything).not.toContain('alice');
    } finally {
      await connection.close();
    }
  });
});
