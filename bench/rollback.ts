/**
 * npm run bench:rollback — time from fault onset in a canary to canary traffic weight 0, with the
 * default analysis settings (a check every 5 s over the last minute), RUNS times (default 10,
 * alternating a latency fault and an error fault). The simulated canary server turns faulty
 * SIM_FAULT_AFTER after its container started (the pod's containerStatuses startedAt, which the
 * simulator counts from too); the weight is read from the release's status query every 100 ms.
 * Load: the default load profile (Poisson, 5 req/s) sent to the canary's Service.
 * Prints a table beside Prometheus' scrape interval; the last line is one JSON object.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { startRelease } from '../client/releases';
import { LoadProfile } from '../core/analysis/spec';
import type { ServiceSpecInput } from '../core/service-spec';
import { statusQuery } from '../workflows/messages';
import { benchSpec, median, report, round, startBenchWorker } from './support';

const RUNS = Number(process.env.RUNS ?? 10);
const FAULT_AFTER_S = 15;
const FAULTS = {
  latency: { SIM_FAULT_TTFT_MS: '3000' },
  errors: { SIM_FAULT_ERROR_RATE: '0.5' },
} as const;

async function main(): Promise<void> {
  const bench = await startBenchWorker('rollback');
  const { client, kube, taskQueue, stack } = bench;
  const namespace = `bench-rb-${randomBytes(3).toString('hex')}`;
  await kube.core.createNamespace({ body: { metadata: { name: namespace } } });
  const spec = (version: string, env: Record<string, string> = {}): ServiceSpecInput =>
    benchSpec(namespace, version, {
      container: { env: { SIM_MODEL_LOAD_DELAY: '2s', ...env } },
      rollout: { steps: [{ weight: 50, bake: '5m' }] },
      loadTest: { ...LoadProfile.parse({}), target: 'canary' },
    });
  const config = (await (await fetch(`${stack.prometheus!.url}/api/v1/status/config`)).json()) as { data: { yaml: string } };
  const scrapeInterval = /scrape_interval: (\S+)/.exec(config.data.yaml)?.[1] ?? '?';

  const delays: { kind: keyof typeof FAULTS; ms: number; reason: string }[] = [];
  await bench.worker.runUntil(async () => {
    await (await startRelease(client, spec('v1'), { taskQueue })).result();
    for (let run = 0; run < RUNS; run++) {
      const kind = run % 2 === 0 ? 'latency' : 'errors';
      const handle = await startRelease(client, spec(`f${run}`, { SIM_FAULT_AFTER: `${FAULT_AFTER_S}s`, ...FAULTS[kind] }), { taskQueue });
      let startedAt: number | undefined;
      let sawCanary = false;
      let zeroAt: number | undefined;
      const outcome = handle.result().then(
        () => 'promoted',
        (e: Error & { cause?: Error }) => e.cause?.message ?? e.message,
      );
      let done = false;
      void outcome.finally(() => (done = true));
      while (!done && zeroAt === undefined) {
        const st = await handle.query(statusQuery).catch(() => undefined);
        if (st && st.weights.canary > 0) sawCanary = true;
        if (st && sawCanary && st.weights.canary === 0) zeroAt = Date.now();
        const revision = st?.replicas.canary.revision;
        if (revision && startedAt === undefined) {
          const pods = await kube.core.listNamespacedPod({ namespace, labelSelector: `autoglm.dev/revision=${revision}` });
          const t = pods.items[0]?.status?.containerStatuses?.[0]?.state?.running?.startedAt;
          if (t) startedAt = new Date(t).getTime();
        }
        await sleep(100);
      }
      const reason = await outcome;
      if (zeroAt === undefined || startedAt === undefined) throw new Error(`run ${run}: no rollback observed (${reason})`);
      const ms = zeroAt - (startedAt + FAULT_AFTER_S * 1000);
      delays.push({ kind, ms, reason });
      console.log(`  run ${run + 1}/${RUNS} (${kind}): weight 0 after ${(ms / 1000).toFixed(1)} s — ${reason}`);
    }
  });
  await kube.core.deleteNamespace({ name: namespace });
  await bench.close();

  const all = delays.map((d) => d.ms);
  const of = (k: string) => delays.filter((d) => d.kind === k).map((d) => d.ms);
  const figures = {
    runs: delays.length,
    scrapeInterval,
    analysisInterval: '5s',
    analysisWindow: '1m',
    faultToWeightZeroMsMedian: round(median(all), 0),
    faultToWeightZeroMsMax: round(Math.max(...all), 0),
    latencyFaultMsMedian: round(median(of('latency')), 0),
    errorFaultMsMedian: round(median(of('errors')), 0),
  };
  report(
    'bench:rollback (fault onset in the canary → canary weight 0; default analysis settings)',
    [
      ['runs (latency / error faults alternating)', figures.runs],
      ['Prometheus scrape interval / analysis interval / window', `${scrapeInterval} / 5s / 1m`],
      ['fault → weight 0: median / max (ms)', `${figures.faultToWeightZeroMsMedian} / ${figures.faultToWeightZeroMsMax}`],
      ['median by fault: latency (TTFT 3 s) / errors (50 %)', `${figures.latencyFaultMsMedian} / ${figures.errorFaultMsMedian}`],
    ],
    figures,
  );
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    console.error(`bench:rollback failed: ${err.message}`);
    process.exit(1);
  },
);
