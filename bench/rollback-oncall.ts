/**
 * npm run bench:rollback-oncall — an on-call rollback on the local stack, from the moment the
 * rollback is asked for (the client's start call) to 100 % of traffic on the previous revision
 * (the redeploying release's weights, read every 100 ms), RUNS times each of two situations:
 *   idle:    v1 then v2 promoted; roll back to v1.
 *   preempt: the same, plus v3 waiting at a manual gate (25 % canary); the rollback stops it
 *            first (v3's traffic back to v2 is timed too), then puts v1 back.
 * The model servers take SIM_MODEL_LOAD_DELAY to load (the previous revision's pods are gone
 * after a promotion, so a rollback loads the model again). Last line: one JSON object.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { startRelease } from '../client/releases';
import { followRollback, startRollback } from '../client/rollbacks';
import type { ServiceSpecInput } from '../core/service-spec';
import { statusQuery } from '../workflows/messages';
import { benchSpec, median, report, round, startBenchWorker } from './support';

const RUNS = Number(process.env.RUNS ?? 3);
const LOAD_DELAY = process.env.SIM_MODEL_LOAD_DELAY ?? '2s';

async function main(): Promise<void> {
  const bench = await startBenchWorker('rollback-oncall');
  const { client, kube, taskQueue } = bench;
  const results: { situation: 'idle' | 'preempt'; toFullTrafficMs: number; toPreemptedOffMs?: number; totalMs: number }[] = [];
  await bench.worker.runUntil(async () => {
    for (let run = 0; run < RUNS * 2; run++) {
      const situation = run % 2 === 0 ? 'idle' : 'preempt';
      const namespace = `bench-oc-${randomBytes(3).toString('hex')}`;
      await kube.core.createNamespace({ body: { metadata: { name: namespace } } });
      const spec = (version: string, steps: ServiceSpecInput['rollout']['steps'] = [{ weight: 50 }]): ServiceSpecInput =>
        benchSpec(namespace, version, {
          container: { env: { SIM_MODEL_LOAD_DELAY: LOAD_DELAY } },
          rollout: { steps },
        });
      await (await startRelease(client, spec('v1'), { taskQueue })).result();
      await (await startRelease(client, spec('v2'), { taskQueue })).result();
      let inFlight;
      if (situation === 'preempt') {
        inFlight = await startRelease(client, spec('v3', [{ weight: 25, gate: 'manual' }]), { taskQueue });
        while ((await inFlight.query(statusQuery)).phase !== 'awaiting-promotion') await sleep(100);
      }
      const t0 = Date.now();
      const handle = await startRollback(client, { namespace, service: 'llm', reason: 'bench', requestedBy: 'bench' }, { taskQueue });
      let fullAt: number | undefined;
      let preemptedOffAt: number | undefined;
      const watchPreempted = (async () => {
        if (!inFlight) return;
        for (;;) {
          const st = await inFlight.query(statusQuery).catch(() => undefined);
          if (!st || st.weights.canary === 0) return void (preemptedOffAt = Date.now());
          await sleep(50);
        }
      })();
      const result = await followRollback(
        client,
        handle,
        (p) => {
          if (fullAt === undefined && p.rollback.target?.version === 'v1' && p.release?.weights.canary === 100) fullAt = Date.now();
        },
        100,
      );
      await watchPreempted;
      const doneAt = Date.now();
      if (result.outcome !== 'rolled-back' || result.status.target?.version !== 'v1')
        throw new Error(`run ${run}: ${JSON.stringify(result.status)}`);
      fullAt ??= doneAt; // the last poll may come after the end: then the end bounds it
      results.push({
        situation,
        toFullTrafficMs: fullAt - t0,
        totalMs: doneAt - t0,
        ...(preemptedOffAt ? { toPreemptedOffMs: preemptedOffAt - t0 } : {}),
      });
      console.log(
        `  run ${run + 1}/${RUNS * 2} (${situation}): 100 % on v1 after ${((fullAt - t0) / 1000).toFixed(1)} s${preemptedOffAt ? `, v3's canary off after ${((preemptedOffAt - t0) / 1000).toFixed(1)} s` : ''}`,
      );
      await kube.core.deleteNamespace({ name: namespace });
    }
  });
  await bench.close();

  const of = (s: string, k: 'toFullTrafficMs' | 'totalMs' | 'toPreemptedOffMs') =>
    results.filter((r) => r.situation === s).map((r) => r[k] ?? 0);
  const figures = {
    runs: results.length,
    modelLoadDelay: LOAD_DELAY,
    idleToFullTrafficMsMedian: round(median(of('idle', 'toFullTrafficMs')), 0),
    idleToFullTrafficMsMax: round(Math.max(...of('idle', 'toFullTrafficMs')), 0),
    preemptToFullTrafficMsMedian: round(median(of('preempt', 'toFullTrafficMs')), 0),
    preemptToFullTrafficMsMax: round(Math.max(...of('preempt', 'toFullTrafficMs')), 0),
    preemptedCanaryOffMsMedian: round(median(of('preempt', 'toPreemptedOffMs')), 0),
  };
  report(
    'bench:rollback-oncall (rollback asked → 100 % traffic on the previous revision)',
    [
      ['runs (idle / preempting a release at its gate, alternating)', figures.runs],
      ['model load delay of the simulated server', LOAD_DELAY],
      ['idle: median / max (ms)', `${figures.idleToFullTrafficMsMedian} / ${figures.idleToFullTrafficMsMax}`],
      ['preempt: median / max (ms)', `${figures.preemptToFullTrafficMsMedian} / ${figures.preemptToFullTrafficMsMax}`],
      ["preempt: the in-flight canary's traffic off, median (ms)", figures.preemptedCanaryOffMsMedian],
    ],
    figures,
  );
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    console.error(`bench:rollback-oncall failed: ${err.message}`);
    process.exit(1);
  },
);
