/**
 * npm run bench:protect — continuous protection under steady change: a service with its weights
 * in S3 (the stack's SeaweedFS) is protected (default debounce 5 s, maxDelay 20 s, poll 2 s) while
 * its configuration changes every INTERVAL_S (10) seconds for DURATION_S (300) seconds, a
 * ConfigMap and a Secret in turn. RPO per change, two ways: as the workflow measures it (the
 * change's recorded time → verified backup) and as this script sees it (its own clock at the
 * change → the first verified backup after it). Target: p99 < 60 s. The last line is one JSON object.
 */
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { modelStoreAt, uploadWeights } from '../activities/model-store/weights';
import { s3StreamingEnv } from '../core/model-weights';
import { protectionStatus, startProtection, stopProtection } from '../client/protection';
import { startRelease } from '../client/releases';
import { quantile } from '../core/median';
import { rpoFigures } from '../core/protect/rpo';
import { benchSpec, dropBuckets, report, round, startBenchWorker } from './support';

const INTERVAL_S = Number(process.env.INTERVAL_S ?? 10);
const DURATION_S = Number(process.env.DURATION_S ?? 300);
const MODEL_MIB = Number(process.env.MODEL_MIB ?? 64);
const TARGET_MS = 60_000;

async function main(): Promise<void> {
  process.env.AUTOGLM_BACKUP_KEY ??= randomBytes(32).toString('base64');
  const bench = await startBenchWorker('protect');
  const { client, kube, taskQueue, stack } = bench;
  const s3 = stack.s3!;
  const conn = {
    endpoint: s3.endpoint,
    region: s3.region,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  };
  const admin = new S3Client({ ...conn, forcePathStyle: true });
  const id = randomBytes(3).toString('hex');
  const [models, backups] = [`bench-models-${id}`, `bench-backups-${id}`];
  for (const Bucket of [models, backups]) await admin.send(new CreateBucketCommand({ Bucket }));
  const source = `s3://${models}/glm/v1`;
  const namespace = `bench-protect-${id}`;
  const dir = mkdtempSync(join(tmpdir(), 'bench-model-'));
  writeFileSync(join(dir, 'model.safetensors'), randomBytes(MODEL_MIB * 2 ** 20));
  writeFileSync(join(dir, 'config.json'), '{"architectures":["GlmForCausalLM"]}');
  await uploadWeights(modelStoreAt(source, conn), dir);
  rmSync(dir, { recursive: true, force: true });

  const labels = { 'app.kubernetes.io/name': 'llm' };
  const changes: number[] = [];
  let status: Awaited<ReturnType<typeof protectionStatus>> | undefined;
  await kube.core.createNamespace({ body: { metadata: { name: namespace } } });
  await bench.worker.runUntil(async () => {
    await kube.core.createNamespacedSecret({
      namespace,
      body: { metadata: { name: 'llm-s3', labels }, stringData: { id: s3.accessKeyId, secret: s3.secretAccessKey } },
    });
    await kube.core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'llm-config', labels }, data: { step: '0' } } });
    const release = await (
      await startRelease(
        client,
        benchSpec(namespace, 'v1', {
          model: { name: 'glm', source: { uri: source } },
          replicas: 1,
          gpu: { pool: 'l4', perReplica: 1 },
          container: {
            env: {
              ...s3StreamingEnv(s3.endpoint, s3.region, { secret: 'llm-s3', accessKeyId: 'id', secretAccessKey: 'secret' }),
            },
          },
          rollout: { steps: [{ weight: 50 }] },
        }),
        { taskQueue },
      )
    ).result();
    if (release.outcome !== 'promoted') throw new Error(`the release was ${release.outcome}`);
    await startProtection(client, { namespace, service: 'llm', backupStore: { kind: 's3', bucket: backups } }, { taskQueue });
    while (!(await protectionStatus(client, namespace, 'llm')).state.last) await sleep(200);
    console.log(`  protected; changing the configuration every ${INTERVAL_S} s for ${DURATION_S} s`);
    const end = Date.now() + DURATION_S * 1000;
    for (let i = 1; Date.now() < end; i++) {
      const at = Date.now();
      if (i % 2)
        await kube.core.replaceNamespacedConfigMap({
          namespace,
          name: 'llm-config',
          body: { metadata: { name: 'llm-config', labels }, data: { step: String(i) } },
        });
      else
        await kube.core.replaceNamespacedSecret({
          namespace,
          name: 'llm-s3',
          body: {
            metadata: { name: 'llm-s3', labels, annotations: { rotated: String(i) } },
            stringData: { id: s3.accessKeyId, secret: s3.secretAccessKey },
          },
        });
      changes.push(at);
      await sleep(Math.max(0, at + INTERVAL_S * 1000 - Date.now()));
    }
    // The last change's backup.
    const last = changes[changes.length - 1]!;
    for (let t = Date.now(); Date.now() - t < 120_000; await sleep(500)) {
      status = await protectionStatus(client, namespace, 'llm');
      if ((status.state.last?.verifiedAt ?? 0) > last && status.phase === 'watching') break;
    }
    await stopProtection(client, namespace, 'llm');
  });
  await kube.core.deleteNamespace({ name: namespace });
  await bench.close();
  await dropBuckets(admin, [models, backups]);

  const recent = status!.state.recent;
  const workflow = rpoFigures(
    recent.filter((c) => c.exposedAt >= changes[0]! - 1000),
    TARGET_MS,
  );
  const seen = changes.map((c) => {
    const v = recent.find((r) => r.verifiedAt >= c && r.exposedAt <= c + 1000);
    return v ? v.verifiedAt - c : Infinity;
  });
  const sorted = [...seen].sort((a, b) => a - b);
  const figures = {
    changes: changes.length,
    intervalS: INTERVAL_S,
    durationS: DURATION_S,
    backups: status!.state.backups,
    rpoP50Ms: Math.round(workflow.p50Ms),
    rpoP99Ms: Math.round(workflow.p99Ms),
    rpoMaxMs: workflow.maxMs,
    clientRpoP50Ms: Math.round(quantile(sorted, 0.5)),
    clientRpoP99Ms: Math.round(quantile(sorted, 0.99)),
    clientRpoMaxMs: sorted[sorted.length - 1]!,
    unprotected: seen.filter((x) => x === Infinity).length,
    overTarget: seen.filter((x) => x > TARGET_MS).length,
    targetMs: TARGET_MS,
  };
  report(
    'bench:protect (continuous protection: a config change every interval)',
    [
      ['changes / backups taken', `${figures.changes} / ${figures.backups}`],
      [
        'RPO p50 / p99 / max (workflow: recorded change → verified)',
        `${round(figures.rpoP50Ms / 1000)} / ${round(figures.rpoP99Ms / 1000)} / ${round(figures.rpoMaxMs / 1000)} s`,
      ],
      [
        'RPO p50 / p99 / max (this script: its change → verified)',
        `${round(figures.clientRpoP50Ms / 1000)} / ${round(figures.clientRpoP99Ms / 1000)} / ${round(figures.clientRpoMaxMs / 1000)} s`,
      ],
      ['changes never protected / over the 60 s target', `${figures.unprotected} / ${figures.overTarget}`],
    ],
    figures,
  );
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    console.error(`bench:protect failed: ${err.message}`);
    process.exit(1);
  },
);
