/**
 * npm run bench:drill — drills of a service whose weights are in S3 (the stack's SeaweedFS):
 * MODEL_MIB (default 2048) MiB of random safetensors in FILES files, uploaded with `model
 * upload`'s code, served by one replica streaming them at SIM_LOAD_BANDWIDTH.
 *   peer:    the AWS CLI (awscli from PyPI, pinned, in a venv in the cache) copies the same
 *            objects bucket to bucket (`aws s3 cp --recursive`, server-side copies), same run;
 *   drill 1: a full backup (every weight copied) → restore → verified serving: MiB/s, RTO;
 *   drill 2: nothing changed: the incremental backup's time (no weight copied), RTO, RPO 0;
 *   drill 3: the service's Secret changes 1 s after its backup: RPO.
 * The last line is one JSON object.
 */
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { modelStoreAt, uploadWeights } from '../activities/model-store/weights';
import { s3StreamingEnv } from '../core/model-weights';
import { startDrill } from '../client/drills';
import { startRelease } from '../client/releases';
import type { DrillResult } from '../core/drill/types';
import { CACHE_DIR } from '../infra/dev/stack/paths';
import { drillStatusQuery } from '../workflows/messages';
import { dropBuckets, report, round, startBenchWorker } from './support';

const run = promisify(execFile);
const MODEL_MIB = Number(process.env.MODEL_MIB ?? 2048);
const FILES = Number(process.env.FILES ?? 4);
const BANDWIDTH = process.env.SIM_LOAD_BANDWIDTH ?? '1Gi';
/** The peer tool, pinned; installed once into the cache. */
const AWSCLI = '1.46.3';

async function awsCli(): Promise<string> {
  const venv = join(CACHE_DIR, 'tools', `awscli-${AWSCLI}`);
  const aws = join(venv, 'bin', 'aws');
  if (!existsSync(aws)) {
    console.log(`installing awscli ${AWSCLI} (PyPI) into ${venv}`);
    await run('python3', ['-m', 'venv', venv]);
    await run(join(venv, 'bin', 'pip'), ['install', '--quiet', `awscli==${AWSCLI}`], { maxBuffer: 1 << 24 });
  }
  return aws;
}

async function main(): Promise<void> {
  process.env.AUTOGLM_BACKUP_KEY ??= randomBytes(32).toString('base64');
  const aws = await awsCli();
  const bench = await startBenchWorker('drill');
  const { client, kube, taskQueue, stack } = bench;
  const s3 = stack.s3!;
  const credentials = { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey };
  const conn = { endpoint: s3.endpoint, region: s3.region, credentials };
  const admin = new S3Client({ ...conn, forcePathStyle: true });
  const id = randomBytes(3).toString('hex');
  const [models, backups, peer] = [`bench-models-${id}`, `bench-backups-${id}`, `bench-peer-${id}`];
  for (const Bucket of [models, backups, peer]) await admin.send(new CreateBucketCommand({ Bucket }));
  const source = `s3://${models}/glm/v1`;
  const namespace = `bench-dr-${id}`;

  const dir = mkdtempSync(join(tmpdir(), 'bench-model-'));
  for (let i = 0; i < FILES; i++)
    writeFileSync(join(dir, `model-0000${i + 1}-of-0000${FILES}.safetensors`), randomBytes((MODEL_MIB / FILES) * 2 ** 20));
  writeFileSync(join(dir, 'config.json'), '{"architectures":["GlmForCausalLM"]}');
  let t = Date.now();
  await uploadWeights(modelStoreAt(source, conn), dir);
  const uploadMs = Date.now() - t;
  rmSync(dir, { recursive: true, force: true });
  console.log(`  uploaded ${MODEL_MIB} MiB in ${(uploadMs / 1000).toFixed(1)} s`);

  const env = {
    ...process.env,
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    AWS_DEFAULT_REGION: s3.region,
  };
  t = Date.now();
  await run(aws, ['s3', 'cp', '--recursive', '--only-show-errors', '--endpoint-url', s3.endpoint, `${source}/`, `s3://${peer}/glm/v1/`], {
    env,
  });
  const peerMs = Date.now() - t;
  console.log(`  peer: aws s3 cp --recursive (server-side) in ${(peerMs / 1000).toFixed(1)} s`);

  await kube.core.createNamespace({ body: { metadata: { name: namespace } } });
  const drills: DrillResult[] = [];
  let changedRpoMs = 0;
  await bench.worker.runUntil(async () => {
    await kube.core.createNamespacedSecret({
      namespace,
      body: {
        metadata: { name: 'llm-s3', labels: { 'app.kubernetes.io/name': 'llm' } },
        stringData: { id: s3.accessKeyId, secret: s3.secretAccessKey },
      },
    });
    const release = await (
      await startRelease(
        client,
        {
          service: 'llm',
          namespace,
          version: 'v1',
          image: `registry.local/m@sha256:${'d'.repeat(64)}`,
          model: { name: 'glm', source: { uri: source }, loadBudget: '10m' },
          gpu: { pool: 'l4', perReplica: 1 },
          replicas: 1,
          container: {
            env: {
              ...s3StreamingEnv(s3.endpoint, s3.region, { secret: 'llm-s3', accessKeyId: 'id', secretAccessKey: 'secret' }),
              SIM_LOAD_BANDWIDTH: BANDWIDTH,
            },
          },
          rollout: { steps: [{ weight: 50 }] },
        },
        { taskQueue },
      )
    ).result();
    if (release.outcome !== 'promoted') throw new Error(`the release was ${release.outcome}`);
    for (let i = 0; i < 3; i++) {
      const handle = await startDrill(client, { namespace, service: 'llm', backupStore: { kind: 's3', bucket: backups } }, { taskQueue });
      if (i === 2) {
        // Once the backup is taken, the source changes: that change is what a disaster now would lose.
        while ((await handle.query(drillStatusQuery)).phase === 'backing-up') await sleep(50);
        await sleep(1000);
        await kube.core.replaceNamespacedSecret({
          namespace,
          name: 'llm-s3',
          body: {
            metadata: { name: 'llm-s3', labels: { 'app.kubernetes.io/name': 'llm' }, annotations: { rotated: new Date().toISOString() } },
            stringData: { id: s3.accessKeyId, secret: s3.secretAccessKey },
          },
        });
      }
      const r = (await handle.result()) as DrillResult;
      if (i === 2) changedRpoMs = r.figures.rpoMs;
      drills.push(r);
      const w = r.backup.weights!;
      console.log(
        `  drill ${i + 1}: ${r.outcome}, backup ${(r.backup.durationMs / 1000).toFixed(2)} s (${w.copied} weights copied, ${w.reused} reused), RTO ${(r.figures.rtoMs / 1000).toFixed(1)} s, RPO ${(r.figures.rpoMs / 1000).toFixed(2)} s`,
      );
    }
  });
  await kube.core.deleteNamespace({ name: namespace });
  await bench.close();
  await dropBuckets(admin, [models, backups, peer]);

  const [full, incremental] = drills;
  const figures = {
    modelMiB: MODEL_MIB,
    files: FILES,
    loadBandwidth: BANDWIDTH,
    uploadMiBPerS: round(MODEL_MIB / (uploadMs / 1000)),
    peerTool: `awscli ${AWSCLI} (aws s3 cp --recursive)`,
    peerCopyMs: peerMs,
    peerMiBPerS: round(MODEL_MIB / (peerMs / 1000)),
    fullBackupMs: full!.backup.durationMs,
    fullBackupMiBPerS: round(MODEL_MIB / (full!.backup.durationMs / 1000)),
    incrementalBackupMs: incremental!.backup.durationMs,
    incrementalCopied: incremental!.backup.weights!.copied,
    rtoMs: drills.map((d) => d.figures.rtoMs),
    rpoMsUnchanged: incremental!.figures.rpoMs,
    rpoMsChanged: changedRpoMs,
    outcomes: drills.map((d) => d.outcome),
  };
  report(
    'bench:drill (weights in S3: backup → isolated restore → verified serving)',
    [
      ['model (files) / simulated streaming bandwidth', `${MODEL_MIB} MiB (${FILES} + config) / ${BANDWIDTH}/s`],
      ['peer: aws s3 cp --recursive, bucket to bucket', `${peerMs} ms (${figures.peerMiBPerS} MiB/s)`],
      ['full backup (objects + every weight)', `${figures.fullBackupMs} ms (${figures.fullBackupMiBPerS} MiB/s)`],
      ['incremental backup, nothing changed (weights copied)', `${figures.incrementalBackupMs} ms (${figures.incrementalCopied})`],
      ['RTO (restore start → verified serving), per drill', figures.rtoMs.map((x) => `${(x / 1000).toFixed(1)} s`).join(' / ')],
      ['RPO: unchanged / Secret changed 1 s after the backup', `${figures.rpoMsUnchanged} / ${figures.rpoMsChanged} ms`],
    ],
    figures,
  );
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    console.error(`bench:drill failed: ${err.message}`);
    process.exit(1);
  },
);
