import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { WorkflowFailedError } from '@temporalio/client';
import { randomBytes } from 'node:crypto';
import { modelStoreAt, uploadWeights } from '../../activities/model-store/weights';
import { startDrill } from '../../client/drills';
import { startRelease } from '../../client/releases';
import type { DrillSpecInput } from '../../core/drill/spec';
import type { DrillResult } from '../../core/drill/types';
import { drillStatusQuery } from '../../workflows/messages';
import { eventually } from '../support/kube';
import { useReleaseHarness } from '../support/harness';
import { createS3Secret, modelDir as modelDirOf, s3Admin, s3Connection, s3Service } from '../support/s3-model';
import { startTestWorker, type TestWorker } from '../support/worker-in-process';

// A service streaming its weights from S3 (SeaweedFS), drilled: its weights are backed up by
// checksum (once: a second backup copies nothing), restored to the drill's own prefix, and the
// restored pods load that copy, not the source's, which golden prompts prove after the source
// weights have changed. A flipped byte in a backed-up weight fails the drill, naming the file.
describe('disaster-recovery drills of weights in object storage', () => {
  const h = useReleaseHarness('drw', 'file');
  let worker: TestWorker;
  const admin = s3Admin;
  const conn = s3Connection;
  const suffix = randomBytes(3).toString('hex');
  const models = `models-${suffix}`;
  const backups = `backups-${suffix}`;
  const source = `s3://${models}/glm/v1`;
  const keysOf = async (bucket: string, prefix: string) =>
    ((await admin().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))).Contents ?? []).map((o) => o.Key!);
  const modelDir = (seed: string) => modelDirOf(seed, [2, 1]);
  const spec = () => s3Service(h.ns, 'glm-w', source, { SIM_LOAD_BANDWIDTH: '64Mi' });
  const drill = (over: Partial<DrillSpecInput> = {}): DrillSpecInput => ({
    namespace: h.ns,
    service: 'llm',
    backupStore: { kind: 's3', bucket: backups, prefix: 'drills' },
    ...over,
  });
  const run = async (d: DrillSpecInput) =>
    (await (await startDrill(worker.client, d, { taskQueue: worker.taskQueue })).result()) as DrillResult;

  beforeAll(async () => {
    worker = await startTestWorker('it-drw', { AUTOGLM_BACKUP_KEY: randomBytes(32).toString('base64') });
    await admin().send(new CreateBucketCommand({ Bucket: models }));
    await admin().send(new CreateBucketCommand({ Bucket: backups }));
    v1 = modelDir('v1');
    await uploadWeights(modelStoreAt(source, conn()), v1);
    await createS3Secret(h.kube, h.ns);
    const release = await (await startRelease(worker.client, spec(), { taskQueue: worker.taskQueue })).result();
    expect(release.outcome).toBe('promoted');
  });
  afterAll(() => worker?.stop());
  /** The weights the service's pods loaded. */
  let v1: string;

  let first: DrillResult;

  it('backs the weights up by checksum, restores them to its own prefix, and the restored pods answer as the source', async () => {
    first = await run(drill());
    expect(first).toMatchObject({ outcome: 'passed', golden: { compared: 2, mismatches: 0 } });
    expect(first.backup.weights).toMatchObject({ source, files: 3, copied: 3, reused: 0 });
    expect(first.backup.weights!.bytes).toBeGreaterThan(3 * 1024 * 1024);
    const blobs = await keysOf(backups, 'drills/weights/sha256/');
    expect(blobs).toHaveLength(3);
    // The drill's copy is gone with its namespace.
    expect(await keysOf(models, `autoglm-restores/${first.status.isolatedNamespace}/`)).toEqual([]);

    // Nothing changed: the next backup copies no weight again.
    const second = await run(drill({ retention: { keepLast: 5 } }));
    expect(second.backup.weights).toMatchObject({ files: 3, copied: 0, reused: 3 });
    expect(second.status.retention).toEqual({ kept: 2, removed: [], weightsRemoved: 0 });
    expect(await keysOf(backups, 'drills/weights/sha256/')).toHaveLength(3);
  });

  it('restores the backed-up weights, not what the source holds now', async () => {
    // New weights are uploaded where the service loads from; its running pods still serve the old ones.
    await uploadWeights(modelStoreAt(source, conn()), modelDir('v2'));
    const again = await run(drill({ restoreBackup: first.backup.backupId }));
    // Restored pods loading the source's new weights would answer otherwise.
    expect(again).toMatchObject({ outcome: 'passed', golden: { compared: 2, mismatches: 0 } });
  });

  it('fails on a flipped byte in a backed-up weight, naming it, and leaves nothing behind', async () => {
    const [key] = (await keysOf(backups, 'drills/weights/sha256/')).sort();
    const body = await (await admin().send(new GetObjectCommand({ Bucket: backups, Key: key! }))).Body!.transformToByteArray();
    const at = body.length >> 1; // inside any file, config.json too
    body[at] = body[at]! ^ 0xff;
    await admin().send(new PutObjectCommand({ Bucket: backups, Key: key!, Body: body }));
    const handle = await startDrill(worker.client, drill({ restoreBackup: first.backup.backupId }), { taskQueue: worker.taskQueue });
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause?.message).toMatch(
      new RegExp(`is corrupt: weights file \\S+ \\(${key!.replace('drills/', '')}\\) does not match its checksum`),
    );
    const st = await handle.query(drillStatusQuery);
    expect(st.phase).toBe('failed');
    const exists = await h.kube.core.readNamespace({ name: st.isolatedNamespace }).then(
      () => true,
      () => false,
    );
    expect(exists).toBe(false); // never created
    await eventually(
      'no restored weights',
      async () => ((await keysOf(models, 'autoglm-restores/')).length === 0 ? true : undefined),
      30_000,
    );
  });

  it('prunes by its retention policy after a verified drill, keeping the newest', async () => {
    const before = new Set((await keysOf(backups, `drills/${h.ns}/llm/`)).map((k) => k.split('/')[3]));
    expect(before.size).toBe(2);
    // The source holds again what the pods serve (a backup of other weights would not answer as they do).
    await uploadWeights(modelStoreAt(source, conn()), v1);
    const latest = await run(drill({ retention: { keepLast: 1 } }));
    // The damaged weight was removed when found: this backup copied it again.
    expect(latest.backup.weights).toMatchObject({ copied: 1, reused: 2 });
    expect(latest.status.retention).toMatchObject({ kept: 1 });
    expect([...latest.status.retention!.removed].sort()).toEqual([...before].sort());
    const after = new Set((await keysOf(backups, `drills/${h.ns}/llm/`)).map((k) => k.split('/')[3]));
    expect([...after]).toEqual([latest.backup.backupId]);
  });
});
