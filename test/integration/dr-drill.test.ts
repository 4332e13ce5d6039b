import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { WorkflowFailedError } from '@temporalio/client';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toWire } from '../../activities/kubernetes/wire';
import { applyObjects } from '../../activities/kubernetes/apply';
import { createDrillSchedule, listDrillSchedules, startDrill } from '../../client/drills';
import { startRelease } from '../../client/releases';
import type { DrillSpecInput } from '../../core/drill/spec';
import { renderDeployment } from '../../core/manifests';
import { ServiceSpec, type ServiceSpecInput } from '../../core/service-spec';
import type { DrillResult } from '../../core/drill/types';
import { drillStatusQuery } from '../../workflows/messages';
import { useGitHubWorker } from '../support/github/use-emulator';
import { eventually } from '../support/kube';
import { useReleaseHarness } from '../support/harness';
import { testStack } from '../support/stack';

// Disaster-recovery drills on the real stack: backup of a released service (objects, a Secret,
// a model store directory) → restore into an isolated namespace → verified → RTO/RPO → GitHub
// issue → the copy removed, also after a corrupt backup and a cancellation.
describe('disaster-recovery drills', () => {
  const SECRET_VALUE = `sk-${randomBytes(12).toString('hex')}`;
  const gh = useGitHubWorker('it-dr', (g) => ({ GITHUB_TOKEN: g.token, AUTOGLM_BACKUP_KEY: randomBytes(32).toString('base64') }));
  const { github } = gh;
  const h = useReleaseHarness('dr', 'file');
  const store = mkdtempSync(join(tmpdir(), 'autoglm-backups-'));
  const models = mkdtempSync(join(tmpdir(), 'autoglm-models-'));
  const spec = (): ServiceSpecInput => ({
    service: 'llm',
    namespace: h.ns,
    version: 'v1',
    image: `registry.local/m@sha256:${createHash('sha256').update('dr').digest('hex')}`,
    model: { name: 'glm-dr' },
    gpu: { pool: 'l4', perReplica: 1 },
    replicas: 1,
    server: { probePeriod: '1s', preStopDelay: '1s' }, // Ready a second after loading, gone a second after stopping (the 5 s defaults would pace every test)
    container: { env: { SIM_MODEL_LOAD_DELAY: '1s' } },
    rollout: { steps: [{ weight: 50 }] },
  });
  const drill = (over: Partial<DrillSpecInput> = {}): DrillSpecInput => ({
    namespace: h.ns,
    service: 'llm',
    modelStore: { path: models },
    backupStore: { path: store },
    github: { owner: 'zai-org', repo: 'Open-AutoGLM' },
    ...over,
  });
  const namespaceGone = (name: string) =>
    eventually(
      `namespace ${name} gone`,
      async () =>
        (await h.kube.core.readNamespace({ name }).then(
          () => true,
          () => false,
        ))
          ? undefined
          : true,
      90_000,
    );

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) writeFileSync(join(models, `model-0000${i}-of-00003.safetensors`), randomBytes(512 * 1024));
    writeFileSync(join(models, 'config.json'), JSON.stringify({ architectures: ['GlmForCausalLM'] }));
    await (await startRelease(gh.worker.client, spec(), { taskQueue: gh.worker.taskQueue })).result();
    await h.kube.core.createNamespacedSecret({
      namespace: h.ns,
      body: { metadata: { name: 'llm-api-key', labels: { 'app.kubernetes.io/name': 'llm' } }, stringData: { key: SECRET_VALUE } },
    });
  });

  let backupId: string;

  it('runs on a schedule, restores into isolation, reports RTO and RPO, and cleans up', async () => {
    const schedule = await createDrillSchedule(gh.worker.client, drill(), { every: '24h' }, { taskQueue: gh.worker.taskQueue });
    try {
      await schedule.trigger();
      const started = await eventually(
        'the schedule starts a drill',
        async () => (await schedule.describe()).info.recentActions[0]?.action.workflow,
        30_000,
      );
      const result = (await gh.worker.client.workflow.getHandle(started.workflowId, started.firstExecutionRunId).result()) as DrillResult;
      expect(result.outcome).toBe('passed');
      expect(result.figures.rtoMs).toBeGreaterThan(0);
      expect(result.figures.rtoMs).toBeLessThan(5 * 60_000);
      expect(result.figures.rpoMs).toBe(0); // nothing changed after the backup
      expect(result.backup).toMatchObject({ files: 4, taken: true });
      expect(result.backup.bytes).toBe(3 * 512 * 1024 + readFileSync(join(models, 'config.json')).length);
      expect(result.golden).toEqual({ compared: 2, mismatches: 0 });
      backupId = result.backup.backupId;
      // The Secret is in the backup, sealed: its value appears nowhere in clear.
      const objects = readFileSync(join(store, h.ns, 'llm', backupId, 'objects.json'), 'utf8');
      expect(objects).toContain('"llm-api-key"');
      expect(objects).not.toContain(SECRET_VALUE);
      expect(objects).not.toContain(Buffer.from(SECRET_VALUE).toString('base64'));
      // Cleaned up, and reported.
      await namespaceGone(result.status.isolatedNamespace);
      expect(existsSync(`${models}.dr-${result.status.isolatedNamespace.slice(-8)}`)).toBe(false);
      const [issue] = github.issues;
      expect(issue).toMatchObject({ title: `DR drill passed: ${h.ns}/llm`, labels: [{ name: 'dr-drill' }] });
      expect(issue!.body).toMatch(/RTO \(restore start → serving\) \| [\d.]+ s — target 300\.0 s ✅/);
      // Paused and listed through the client, as the CLI does.
      await schedule.pause('drill test');
      const listed = await eventually(
        'the list shows it paused',
        async () => (await listDrillSchedules(gh.worker.client)).find((x) => x.scheduleId === schedule.scheduleId && x.paused),
        30_000,
      );
      expect(listed).toMatchObject({ note: 'drill test' });
    } finally {
      await schedule.delete();
    }
  });

  it('fails a drill of a corrupt backup with the reason, leaving nothing behind', async () => {
    const shard = join(store, h.ns, 'llm', backupId, 'model', 'model-00001-of-00003.safetensors');
    const bytes = readFileSync(shard);
    bytes[1000] = bytes[1000]! ^ 0xff;
    writeFileSync(shard, bytes);
    const handle = await startDrill(gh.worker.client, drill({ restoreBackup: backupId }), { taskQueue: gh.worker.taskQueue });
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause?.message).toMatch(
      /backup .* is corrupt: model file model-00001-of-00003.safetensors: checksum/,
    );
    const st = await handle.query(drillStatusQuery);
    expect(st.phase).toBe('failed');
    expect(
      await h.kube.core.readNamespace({ name: st.isolatedNamespace }).then(
        () => true,
        () => false,
      ),
    ).toBe(false); // never created
    expect(existsSync(`${models}.dr-${st.isolatedNamespace.slice(-8)}`)).toBe(false);
    expect(github.issues.at(-1)).toMatchObject({ title: `DR drill failed: ${h.ns}/llm` });
  });

  it('refuses a model store path that does not exist, naming it, instead of backing up no files', async () => {
    const missing = join(models, 'no-such-dir');
    const handle = await startDrill(gh.worker.client, drill({ modelStore: { path: missing } }), { taskQueue: gh.worker.taskQueue });
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause?.message).toContain(`the model store ${missing} does not exist`);
    expect((await handle.query(drillStatusQuery)).backup).toBeUndefined(); // nothing was taken
  });

  it('keeps backups in an S3 bucket (SeaweedFS), restored and verified from there; a missing bucket fails at once, named', async () => {
    const s3 = testStack().s3!;
    const admin = new S3Client({
      endpoint: s3.endpoint,
      region: s3.region,
      forcePathStyle: true,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    });
    const bucket = `dr-${randomBytes(3).toString('hex')}`;
    await admin.send(new CreateBucketCommand({ Bucket: bucket }));
    const inS3 = drill({ backupStore: { kind: 's3', bucket, prefix: 'drills' } });
    const result = (await (await startDrill(gh.worker.client, inS3, { taskQueue: gh.worker.taskQueue })).result()) as DrillResult;
    expect(result).toMatchObject({ outcome: 'passed', backup: { files: 4, taken: true }, golden: { compared: 2, mismatches: 0 } });
    const listed = await admin.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `drills/${h.ns}/llm/${result.backup.backupId}/` }));
    const keys = (listed.Contents ?? []).map((o) => o.Key!.split('/').slice(4).join('/'));
    expect(keys).toEqual(expect.arrayContaining(['manifest.json', 'manifest.sha256', 'objects.json', 'model/config.json']));
    expect(keys.filter((k) => k.endsWith('.safetensors'))).toHaveLength(3);

    const gone = `${bucket}-gone`;
    const handle = await startDrill(gh.worker.client, drill({ backupStore: { kind: 's3', bucket: gone } }), {
      taskQueue: gh.worker.taskQueue,
    });
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause?.message).toContain(`bucket "${gone}" does not exist`);
    expect((await handle.query(drillStatusQuery)).backup).toBeUndefined(); // nothing was taken
  });

  it('cleans up after a cancellation', async () => {
    // A service whose model takes minutes to load: the drill is cancelled while it waits.
    const slow = ServiceSpec.parse({ ...spec(), service: 'slow', container: { env: { SIM_MODEL_LOAD_DELAY: '10m' } } });
    await applyObjects(h.kube, [renderDeployment(slow, 1)]);
    const handle = await startDrill(gh.worker.client, drill({ service: 'slow', modelStore: undefined }), {
      taskQueue: gh.worker.taskQueue,
    });
    const st = await eventually(
      'restored pods waiting',
      async () => ((await handle.query(drillStatusQuery)).phase === 'verifying' ? handle.query(drillStatusQuery) : undefined),
      60_000,
    );
    expect((await h.kube.core.readNamespace({ name: st.isolatedNamespace })).metadata?.labels).toMatchObject({
      'autoglm.dev/dr-drill': 'true',
    });
    // Isolated as stored by the API server: only its own pods and the worker's namespaces (an empty `from` would admit everyone).
    const isolation = toWire(
      await h.kube.objects.read({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'dr-drill-isolation', namespace: st.isolatedNamespace },
      }),
    ) as unknown as { spec: { ingress: { from?: unknown[] }[] } };
    expect(isolation.spec.ingress).toEqual([
      { from: [{ podSelector: {} }, { namespaceSelector: { matchLabels: { 'autoglm.dev/dr-access': 'true' } } }] },
    ]);
    await handle.cancel();
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    await namespaceGone(st.isolatedNamespace);
    expect(github.issues.at(-1)).toMatchObject({ title: `DR drill failed: ${h.ns}/slow` });
  });
});
