/**
 * npm run bench:drill — disaster-recovery drills on the local stack, RUNS times: a released
 * service (1 replica, the simulated server loading its model in SIM_MODEL_LOAD_DELAY), one Secret,
 * and a model store of FILES × FILE_MIB MiB of random bytes. Each drill takes a new backup; every
 * other one, a model file is rewritten while the drill runs, so its RPO is not zero. Prints backup
 * size and time, restore time, RTO and RPO; the last line is one JSON object.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDrill } from '../client/drills';
import { startRelease } from '../client/releases';
import { drillStatusQuery } from '../workflows/messages';
import type { DrillResult } from '../core/drill/types';
import { median, report, round, startBenchWorker } from './support';

const RUNS = Number(process.env.RUNS ?? 4);
const FILES = Number(process.env.FILES ?? 4);
const FILE_MIB = Number(process.env.FILE_MIB ?? 64);
const LOAD_DELAY = process.env.SIM_MODEL_LOAD_DELAY ?? '2s';

async function main(): Promise<void> {
  process.env.AUTOGLM_BACKUP_KEY ??= randomBytes(32).toString('base64');
  const bench = await startBenchWorker('drill');
  const { client, kube, taskQueue } = bench;
  const namespace = `bench-dr-${randomBytes(3).toString('hex')}`;
  const store = mkdtempSync(join(tmpdir(), 'bench-backups-'));
  const models = mkdtempSync(join(tmpdir(), 'bench-models-'));
  for (let i = 0; i < FILES; i++) writeFileSync(join(models, `model-${i}.safetensors`), randomBytes(FILE_MIB * 2 ** 20));
  await kube.core.createNamespace({ body: { metadata: { name: namespace } } });
  const runs: { rtoMs: number; rpoMs: number; backupMs: number; bytes: number; changed: boolean }[] = [];
  await bench.worker.runUntil(async () => {
    await (
      await startRelease(
        client,
        {
          service: 'llm',
          namespace,
          version: 'v1',
          image: `registry.local/m@sha256:${'d'.repeat(64)}`,
          model: { name: 'glm' },
          gpu: { pool: 'l4', perReplica: 1 },
          replicas: 1,
          container: { env: { SIM_MODEL_LOAD_DELAY: LOAD_DELAY } },
          rollout: { steps: [{ weight: 50 }] },
        },
        { taskQueue },
      )
    ).result();
    await kube.core.createNamespacedSecret({
      namespace,
      body: { metadata: { name: 'llm-token', labels: { 'app.kubernetes.io/name': 'llm' } }, stringData: { token: 'bench' } },
    });
    for (let run = 0; run < RUNS; run++) {
      const changed = run % 2 === 1;
      const handle = await startDrill(
        client,
        { namespace, service: 'llm', modelStore: { path: models }, backupStore: { path: store } },
        { taskQueue },
      );
      if (changed) {
        // Once the backup is taken, the source changes: that change is what a disaster now would lose.
        while ((await handle.query(drillStatusQuery)).phase === 'backing-up') await sleep(50);
        await sleep(1000);
        writeFileSync(join(models, 'model-0.safetensors'), randomBytes(FILE_MIB * 2 ** 20));
      }
      const r = (await handle.result()) as DrillResult;
      runs.push({ rtoMs: r.figures.rtoMs, rpoMs: r.figures.rpoMs, backupMs: r.backup.durationMs, bytes: r.backup.bytes, changed });
      console.log(
        `  drill ${run + 1}/${RUNS}: ${r.outcome}, backup ${(r.backup.bytes / 2 ** 20).toFixed(0)} MiB in ${(r.backup.durationMs / 1000).toFixed(2)} s, RTO ${(r.figures.rtoMs / 1000).toFixed(2)} s, RPO ${(r.figures.rpoMs / 1000).toFixed(2)} s${changed ? ' (source changed after the backup)' : ''}`,
      );
    }
  });
  await kube.core.deleteNamespace({ name: namespace });
  rmSync(store, { recursive: true, force: true });
  rmSync(models, { recursive: true, force: true });
  await bench.close();

  const of = (k: 'rtoMs' | 'rpoMs' | 'backupMs', changed?: boolean) =>
    runs.filter((r) => changed === undefined || r.changed === changed).map((r) => r[k]);
  const mib = runs[0]!.bytes / 2 ** 20;
  const figures = {
    runs: runs.length,
    modelStoreMiB: round(mib),
    modelLoadDelay: LOAD_DELAY,
    backupMsMedian: round(median(of('backupMs')), 0),
    backupMiBPerS: round(mib / (median(of('backupMs')) / 1000)),
    rtoMsMedian: round(median(of('rtoMs')), 0),
    rtoMsMax: round(Math.max(...of('rtoMs')), 0),
    rpoMsUnchanged: round(Math.max(...of('rpoMs', false)), 0),
    rpoMsChangedMedian: runs.some((r) => r.changed) ? round(median(of('rpoMs', true)), 0) : null,
  };
  report(
    'bench:drill (backup → isolated restore → verified serving)',
    [
      ['drills', figures.runs],
      ['model store / simulated model load', `${figures.modelStoreMiB} MiB in ${FILES} files / ${LOAD_DELAY}`],
      ['backup time, median (throughput)', `${figures.backupMsMedian} ms (${figures.backupMiBPerS} MiB/s)`],
      ['RTO (restore start → serving): median / max', `${figures.rtoMsMedian} / ${figures.rtoMsMax} ms`],
      ['RPO: source unchanged / changed ~1 s after the backup', `${figures.rpoMsUnchanged} / ${figures.rpoMsChangedMedian ?? '-'} ms`],
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
