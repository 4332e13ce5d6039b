import { CreateBucketCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { WorkflowFailedError } from '@temporalio/client';
import { randomBytes } from 'node:crypto';
import { postJson, serviceEndpoint } from '../../activities/model-service/endpoint';
import { modelStoreAt, uploadWeights } from '../../activities/model-store/weights';
import { startDrill } from '../../client/drills';
import { startRelease } from '../../client/releases';
import { startRestore } from '../../client/restores';
import type { RestoreRequestInput } from '../../core/restore/request';
import type { RestoreResult } from '../../core/restore/types';
import { createTestNamespace, deleteNamespace } from '../support/kube';
import { useReleaseHarness } from '../support/harness';
import { testStack } from '../support/stack';
import { createS3Secret, modelDir, s3Admin, s3Connection, s3Service } from '../support/s3-model';
import { startTestWorker, type TestWorker } from '../support/worker-in-process';

// A service whose weights are in S3, backed up, then lost — its Deployments and its weights —
// and restored into production: the newest backup, weights written back where it loads them,
// its pods Ready and answering as before. Refused over a serving service without --replace, and
// over weights that are not the backup's.
describe('restore into production after a loss', () => {
  const h = useReleaseHarness('rst', 'file');
  const suffix = randomBytes(3).toString('hex');
  const models = `models-${suffix}`;
  const backups = `backups-${suffix}`;
  const source = `s3://${models}/glm/v1`;
  const conn = s3Connection;
  const admin = s3Admin;
  const store = { kind: 's3' as const, bucket: backups, prefix: 'prod' };
  let elsewhere: string | undefined;
  let worker: TestWorker;

  const answer = async (namespace: string) => {
    const ep = serviceEndpoint({ urlTemplate: testStack().modelWorld!.routerUrl, hostTemplate: '{service}.{namespace}' }, 'llm', namespace);
    const res = await postJson(
      ep,
      '/v1/completions',
      { model: 'glm-r', prompt: 'What is 17 * 23?', max_tokens: 12, temperature: 0 },
      10_000,
    );
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    expect(res.statusCode).toBe(200);
    return (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { choices: { text: string }[] }).choices[0]!.text;
  };
  const restore = async (over: Partial<RestoreRequestInput> = {}) =>
    (await (
      await startRestore(worker.client, { namespace: h.ns, service: 'llm', backupStore: store, ...over }, { taskQueue: worker.taskQueue })
    ).result()) as RestoreResult;
  const refusal = async (over: Partial<RestoreRequestInput>) => {
    const err = (await restore(over).catch((e: unknown) => e)) as WorkflowFailedError;
    expect(err).toBeInstanceOf(WorkflowFailedError);
    return err.cause?.message ?? '';
  };
  const deployments = async (namespace: string) =>
    (await h.kube.apps.listNamespacedDeployment({ namespace, labelSelector: 'app.kubernetes.io/name=llm' })).items.map(
      (d) => d.metadata!.name!,
    );
  let before: string;
  let backupId: string;

  beforeAll(async () => {
    worker = await startTestWorker('it-rst', { AUTOGLM_BACKUP_KEY: randomBytes(32).toString('base64') });
    await admin().send(new CreateBucketCommand({ Bucket: models }));
    await admin().send(new CreateBucketCommand({ Bucket: backups }));
    await uploadWeights(modelStoreAt(source, conn()), modelDir('v1'));
    await createS3Secret(h.kube, h.ns);
    const spec = s3Service(h.ns, 'glm-r', source);
    expect((await (await startRelease(worker.client, spec, { taskQueue: worker.taskQueue })).result()).outcome).toBe('promoted');
    before = await answer(h.ns);
    // A drill takes (and verifies) the backup restored below.
    const drill = await (
      await startDrill(worker.client, { namespace: h.ns, service: 'llm', backupStore: store }, { taskQueue: worker.taskQueue })
    ).result();
    backupId = drill.backup.backupId;
  });
  afterAll(async () => {
    if (elsewhere) await deleteNamespace(h.kube, elsewhere);
    await worker?.stop();
  });

  it('refuses to restore over the serving service, naming the way out', async () => {
    expect(await refusal({})).toMatch(
      new RegExp(`${h.ns}/llm is serving \\(1 ready pod of llm-[a-z0-9-]+\\): restore over it with --replace`),
    );
  });

  it('restores the newest backup after the Deployments and the weights are lost; the weights go back where it loads them', async () => {
    for (const name of await deployments(h.ns)) await h.kube.apps.deleteNamespacedDeployment({ name, namespace: h.ns });
    await modelStoreAt(source, conn()).delete('');
    const r = await restore();
    expect(r).toMatchObject({ backupId, targetNamespace: h.ns, weights: { target: source, copied: true, files: 2 } });
    expect(r.rtoMs).toBeGreaterThan(0);
    expect((await deployments(h.ns)).length).toBeGreaterThan(0);
    expect(await answer(h.ns)).toBe(before);
  });

  it('restores over the serving service with replace, leaving unchanged weights where they are', async () => {
    const r = await restore({ replace: true, backupId });
    expect(r.weights).toMatchObject({ target: source, copied: false });
    expect(await answer(h.ns)).toBe(before);
  });

  it('refuses to write over other weights; restores into another namespace with them elsewhere', async () => {
    await uploadWeights(modelStoreAt(source, conn()), modelDir('v2'));
    elsewhere = await createTestNamespace(h.kube, 'rst-to');
    expect(await refusal({ toNamespace: elsewhere })).toMatch(new RegExp(`${source} holds other weights .*--weights-to`));
    const to = `s3://${models}/restored/${suffix}`;
    const r = await restore({ toNamespace: elsewhere, weightsTo: to });
    expect(r).toMatchObject({ targetNamespace: elsewhere, weights: { target: to, copied: true } });
    expect(await answer(elsewhere)).toBe(before);
    const listed = (await admin().send(new ListObjectsV2Command({ Bucket: models, Prefix: `restored/${suffix}/` }))).Contents ?? [];
    expect(listed.map((o) => o.Key!.split('/').pop()).sort()).toEqual([
      'autoglm-weights.json',
      'config.json',
      'model-00001-of-00001.safetensors',
    ]);
  });

  it('fails clearly on a backup that is not there', async () => {
    expect(await refusal({ backupId: '20200101T000000Z-none', replace: true })).toMatch(/no backup at .*20200101T000000Z-none/);
  });
});
