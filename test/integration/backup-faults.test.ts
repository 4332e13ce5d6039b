import { CreateBucketCommand, DeleteObjectsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { WorkflowFailedError } from '@temporalio/client';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { modelStoreAt, uploadWeights } from '../../activities/model-store/weights';
import { startDrill } from '../../client/drills';
import { startRelease } from '../../client/releases';
import type { DrillResult } from '../../core/drill/types';
import { stackUp } from '../../infra/dev/stack/stack';
import { drillStatusQuery } from '../../workflows/messages';
import { eventually } from '../support/kube';
import { useReleaseHarness } from '../support/harness';
import { createS3Secret, modelDir, s3Admin, s3Connection, s3Service } from '../support/s3-model';
import { TEST_STACK, testStack } from '../support/stack';
import { startTestWorker, type TestWorker } from '../support/worker-in-process';

// Faults on the real object store: SeaweedFS killed in the middle of a backup (the activity is
// retried once it is back and resumes, copying only what it had not), and a backup deleted while
// a restore reads it (the drill fails, naming it, and leaves nothing behind).
describe('backups and restores when the object store fails', () => {
  const h = useReleaseHarness('bkf', 'file');
  let worker: TestWorker;
  const suffix = randomBytes(3).toString('hex');
  const models = `models-${suffix}`;
  const backups = `backups-${suffix}`;
  const source = `s3://${models}/glm/v1`;
  const FILES = 16;
  const store = { kind: 's3' as const, bucket: backups };
  const keys = async (bucket: string, prefix: string) =>
    ((await s3Admin().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))).Contents ?? []).map((o) => o.Key!);

  beforeAll(async () => {
    worker = await startTestWorker('it-bkf', { AUTOGLM_BACKUP_KEY: randomBytes(32).toString('base64') });
    for (const Bucket of [models, backups]) await s3Admin().send(new CreateBucketCommand({ Bucket }));
    await uploadWeights(
      modelStoreAt(source, s3Connection()),
      modelDir(
        'v1',
        Array.from({ length: FILES }, () => 16),
      ),
    );
    await createS3Secret(h.kube, h.ns);
    const release = await (await startRelease(worker.client, s3Service(h.ns, 'glm-f', source), { taskQueue: worker.taskQueue })).result();
    expect(release.outcome).toBe('promoted');
  });
  afterAll(() => worker?.stop());

  let taken: DrillResult;

  it('resumes a backup SeaweedFS died in the middle of, once it is back', async () => {
    const handle = await startDrill(
      worker.client,
      { namespace: h.ns, service: 'llm', backupStore: store },
      { taskQueue: worker.taskQueue },
    );
    let copiedBeforeKill = 0;
    for (;;) {
      copiedBeforeKill = (await keys(backups, 'weights/sha256/')).length;
      if (copiedBeforeKill > 0) break;
      await sleep(10);
    }
    process.kill(testStack().s3!.pid, 'SIGKILL');
    await sleep(3_000); // the backup's requests fail meanwhile, and its retries
    expect((await handle.query(drillStatusQuery)).phase).toBe('backing-up');
    await stackUp(TEST_STACK); // SeaweedFS again, same data and address
    taken = (await handle.result()) as DrillResult;
    expect(taken.outcome).toBe('passed');
    const w = taken.backup.weights!;
    expect(copiedBeforeKill).toBeLessThan(FILES + 1);
    expect(w.copied! + w.reused!).toBe(FILES + 1);
    expect(w.reused).toBeGreaterThanOrEqual(1); // what the attempt before the kill had copied
    expect(await keys(backups, 'weights/sha256/')).toHaveLength(FILES + 1);
  });

  it('fails a restore whose backup is deleted while it reads it, leaving nothing behind', async () => {
    const handle = await startDrill(
      worker.client,
      { namespace: h.ns, service: 'llm', backupStore: store, restoreBackup: taken.backup.backupId },
      { taskQueue: worker.taskQueue },
    );
    await eventually(
      'the restore to start',
      async () => ((await handle.query(drillStatusQuery)).phase === 'restoring' ? true : undefined),
      30_000,
    );
    const gone = [...(await keys(backups, `${h.ns}/llm/${taken.backup.backupId}/`)), ...(await keys(backups, 'weights/'))];
    await s3Admin().send(new DeleteObjectsCommand({ Bucket: backups, Delete: { Objects: gone.map((Key) => ({ Key })) } }));
    const err = (await handle.result().catch((e: unknown) => e)) as WorkflowFailedError;
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(err.cause?.message).toMatch(/no backup at .*manifest missing|does not exist|does not match its checksum/);
    const st = await handle.query(drillStatusQuery);
    expect(st.phase).toBe('failed');
    // Never created, or going (a drill does not wait for its namespace to drain).
    const ns = await h.kube.core.readNamespace({ name: st.isolatedNamespace }).catch(() => undefined);
    expect(ns === undefined || !!ns.metadata?.deletionTimestamp).toBe(true);
    await eventually(
      'no restored weights',
      async () => ((await keys(models, 'autoglm-restores/')).length === 0 ? true : undefined),
      30_000,
    );
  });
});
