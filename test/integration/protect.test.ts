import { CreateBucketCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { randomBytes } from 'node:crypto';
import { backupPrefix, readBackup } from '../../activities/backup/archive';
import { S3Store } from '../../activities/backup/s3-store';
import { unseal, type SealedData } from '../../activities/backup/secrets';
import { modelStoreAt, uploadWeights } from '../../activities/model-store/weights';
import { startDrill } from '../../client/drills';
import { protectionStatus, startProtection, stopProtection } from '../../client/protection';
import { startRelease } from '../../client/releases';
import type { DrillResult } from '../../core/drill/types';
import type { ProtectSpecInput } from '../../core/protect/spec';
import type { ProtectStatus } from '../../core/protect/types';
import { freePort } from '../../infra/dev/stack/ports';
import { aesKeyFrom } from '../../security/aes-key';
import { eventually } from '../support/kube';
import { useReleaseHarness } from '../support/harness';
import { testStack, testStackEnv } from '../support/stack';
import { createS3Secret, modelDir, s3Admin, s3Connection, s3Service } from '../support/s3-model';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';

// Continuous protection by the real worker process: a backup at once, then one per change
// (debounced), each verified; RPO exported on the worker's metrics; a backup taken by one worker
// process is restored by another; weights changed in S3 are backed up too.
describe('continuous protection of a service', () => {
  const h = useReleaseHarness('prot', 'file');
  const suffix = randomBytes(3).toString('hex');
  const models = `models-${suffix}`;
  const backups = `backups-${suffix}`;
  const source = `s3://${models}/glm/v1`;
  const backupKey = randomBytes(32).toString('base64');
  const tq = (name: string) => `it-prot-${name}-${suffix}`;
  const conn = s3Connection;
  const admin = s3Admin;
  const store = () => S3Store.connect(conn(), backups, 'protect');
  let watcher: WorkerProcess;
  let restorer: WorkerProcess | undefined;
  let connection: Connection;
  let client: Client;
  let metricsUrl: string;
  let handle: Awaited<ReturnType<typeof startProtection>>;

  const protection = (over: Partial<ProtectSpecInput> = {}): ProtectSpecInput => ({
    namespace: h.ns,
    service: 'llm',
    backupStore: { kind: 's3', bucket: backups, prefix: 'protect' },
    debounce: '2s',
    maxDelay: '10s',
    pollInterval: '500ms',
    ...over,
  });
  const status = () => protectionStatus(client, h.ns, 'llm');
  const settled = (pred: (s: ProtectStatus) => boolean) =>
    eventually('protection to settle', async () => {
      const s = await status();
      return s.phase === 'watching' && pred(s) ? s : undefined;
    });
  const patchSecret = (token: string) =>
    h.kube.core.replaceNamespacedSecret({
      namespace: h.ns,
      name: 'llm-token',
      body: { metadata: { name: 'llm-token', labels: { 'app.kubernetes.io/name': 'llm' } }, stringData: { token } },
    });
  const secretIn = async (backupId: string) => {
    const { objects } = await readBackup({ store: store(), prefix: backupPrefix(h.ns, 'llm', backupId) });
    const s = (objects as { kind: string; metadata: { name: string }; sealedData?: SealedData }[]).find(
      (o) => o.kind === 'Secret' && o.metadata.name === 'llm-token',
    );
    // Sealed as the API server keeps it: base64.
    return Buffer.from(unseal([aesKeyFrom(backupKey)], s!.sealedData!, `${h.ns}/llm-token`).token!, 'base64').toString('utf8');
  };
  const metric = async (name: string) => {
    const text = await (await fetch(metricsUrl)).text();
    const line = text.split('\n').find((l) => l.startsWith(name) && l.includes(`service_namespace="${h.ns}"`));
    return line ? Number(line.split(' ').pop()) : undefined;
  };

  beforeAll(async () => {
    await admin().send(new CreateBucketCommand({ Bucket: models }));
    await admin().send(new CreateBucketCommand({ Bucket: backups }));
    await uploadWeights(modelStoreAt(source, conn()), modelDir('v1'));
    await createS3Secret(h.kube, h.ns);
    await h.kube.core.createNamespacedSecret({
      namespace: h.ns,
      body: { metadata: { name: 'llm-token', labels: { 'app.kubernetes.io/name': 'llm' } }, stringData: { token: 'first' } },
    });
    const spec = s3Service(h.ns, 'glm-p', source);
    expect((await (await startRelease(h.worker.client, spec, { taskQueue: h.worker.taskQueue })).result()).outcome).toBe('promoted');
    const port = await freePort();
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
    watcher = await startWorkerProcess({
      ...testStackEnv(),
      AUTOGLM_TASK_QUEUE: tq('a'),
      AUTOGLM_BACKUP_KEY: backupKey,
      AUTOGLM_METRICS_ADDRESS: `127.0.0.1:${port}`,
    });
    connection = await Connection.connect({ address: testStack().temporal.address });
    client = new Client({ connection });
  });
  afterAll(async () => {
    if (client) await stopProtection(client, h.ns, 'llm').catch(() => undefined);
    await watcher?.stop();
    await restorer?.stop();
    await connection?.close();
  });

  it('backs the service up at once, verified; starting it again finds the one running', async () => {
    handle = await startProtection(client, protection(), { taskQueue: tq('a') });
    const s = await settled((x) => x.state.backups === 1);
    const keys = ((await admin().send(new ListObjectsV2Command({ Bucket: backups, Prefix: 'protect/' }))).Contents ?? []).map((o) => o.Key);
    expect(keys).toContain(`protect/${h.ns}/llm/${s.state.last!.backupId}/verified.json`);
    expect(keys.filter((k) => k!.startsWith('protect/weights/sha256/'))).toHaveLength(2);
    const again = await startProtection(client, protection(), { taskQueue: tq('a') });
    expect(again.firstExecutionRunId).toBe(handle.firstExecutionRunId);
    expect(await metric('autoglm_protect_protected_through')).toBeCloseTo(s.state.last!.observedAt / 1000, 2);
  });

  it('backs up a burst of changes once, after they settle, within seconds, with the last value', async () => {
    const before = await status();
    for (let i = 1; i <= 5; i++) {
      await patchSecret(`rotated-${i}`);
      await new Promise((r) => setTimeout(r, 300));
    }
    const s = await settled((x) => x.state.recent.length === 1);
    expect(s.state.backups).toBe(before.state.backups + 1);
    expect(s.rpo.maxMs).toBeGreaterThan(2_000); // the debounce
    expect(s.rpo.maxMs).toBeLessThan(15_000);
    expect(await secretIn(s.state.last!.backupId)).toBe('rotated-5');
  });

  it('exports the change as exposed until a verified backup holds it', async () => {
    const throughBefore = (await metric('autoglm_protect_protected_through'))!;
    await patchSecret('exposed');
    const exposed = await eventually(
      'the change to be exported as exposed',
      async () => {
        const v = await metric('autoglm_protect_exposed_since');
        return v && v > throughBefore ? v : undefined;
      },
      10_000,
    );
    expect(exposed * 1000).toBeLessThanOrEqual(Date.now());
    const s = await settled((x) => x.state.recent.length === 2);
    expect(await metric('autoglm_protect_exposed_since')).toBe(0);
    expect(await metric('autoglm_protect_protected_through')).toBeGreaterThan(exposed);
    expect(await metric('autoglm_protect_rpo_count')).toBe(2);
    expect(await secretIn(s.state.last!.backupId)).toBe('exposed');
  });

  it('a backup one worker process took is restored and verified by another', async () => {
    restorer = await startWorkerProcess({ ...testStackEnv(), AUTOGLM_TASK_QUEUE: tq('b'), AUTOGLM_BACKUP_KEY: backupKey });
    const last = (await status()).state.last!;
    const drill = await startDrill(
      client,
      { namespace: h.ns, service: 'llm', backupStore: { kind: 's3', bucket: backups, prefix: 'protect' }, restoreBackup: last.backupId },
      { taskQueue: tq('b') },
    );
    const r = (await drill.result()) as DrillResult;
    expect(r).toMatchObject({
      outcome: 'passed',
      golden: { compared: 2, mismatches: 0 },
      backup: { backupId: last.backupId, taken: false },
    });
  });

  it('backs up new weights uploaded where the service loads them from', async () => {
    const before = await status();
    const uploaded = await uploadWeights(modelStoreAt(source, conn()), modelDir('v2'));
    const s = await settled((x) => x.state.backups === before.state.backups + 1);
    const { manifest } = await readBackup({ store: store(), prefix: backupPrefix(h.ns, 'llm', s.state.last!.backupId) });
    expect(manifest.weights?.digest).toBe(uploaded.digest);
  });

  it('stops when asked; its backups stay', async () => {
    const backupsNow = (await status()).state.backups;
    expect(await stopProtection(client, h.ns, 'llm')).toBe(true);
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    const listed = (await admin().send(new ListObjectsV2Command({ Bucket: backups, Prefix: `protect/${h.ns}/llm/` }))).Contents ?? [];
    expect(new Set(listed.map((o) => o.Key!.split('/')[3])).size).toBeGreaterThanOrEqual(backupsNow);
  });

  it('refuses to start on a bucket that does not exist, naming it', async () => {
    const other = await startProtection(client, protection({ service: 'llm', backupStore: { kind: 's3', bucket: `nope-${suffix}` } }), {
      taskQueue: tq('a'),
      update: true,
    });
    const err = (await other.result().catch((e: unknown) => e)) as WorkflowFailedError;
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(err.cause?.message).toMatch(new RegExp(`cannot start: .*bucket "nope-${suffix}" does not exist`));
  });
});
