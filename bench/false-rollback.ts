/**
 * npm run bench:false-rollback — how often the default analysis would roll back a HEALTHY canary.
 * v1 (stable) and v2 (canary, 50 %, held at a manual gate) run the same simulated server with
 * realistic noise: log-normal TTFT (σ 0.35) and inter-token gaps (σ 0.2), 0.2 % background
 * errors. Poisson load (10 req/s) goes through the service; after a minute of warm-up (one
 * analysis window), ANALYSES rounds of the default analysis run every INTERVAL ms, each the same
 * activity a release runs. Rounds overlap in their windows, so they are not independent trials.
 * Prints a table; the last line is one JSON object.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { runLoad } from '../activities/model-service/loadgen/run';
import { LoadStats } from '../activities/model-service/loadgen/stats';
import { serviceEndpoint } from '../activities/model-service/endpoint';
import { createMetricsActivities } from '../activities/metrics';
import { startRelease } from '../client/releases';
import { AnalysisSpec, LoadProfile } from '../core/analysis/spec';
import { Slos, type ServiceSpecInput } from '../core/service-spec';
import { stackEnv } from '../infra/dev/stack/state';
import { abortUpdate, statusQuery } from '../workflows/messages';
import { benchSpec, report, startBenchWorker } from './support';

const ANALYSES = Number(process.env.ANALYSES ?? 120);
const INTERVAL_MS = Number(process.env.INTERVAL_MS ?? 2000);
const WARMUP_MS = 60_000;

async function main(): Promise<void> {
  const bench = await startBenchWorker('false-rollback');
  const { client, kube, taskQueue, stack } = bench;
  const namespace = `bench-fr-${randomBytes(3).toString('hex')}`;
  await kube.core.createNamespace({ body: { metadata: { name: namespace } } });
  const noise = { SIM_MODEL_LOAD_DELAY: '2s', SIM_TTFT_SIGMA: '0.35', SIM_ITL_SIGMA: '0.2', SIM_ERROR_RATE: '0.002' };
  const spec = (version: string): ServiceSpecInput =>
    benchSpec(namespace, version, {
      container: { env: noise },
      rollout: { steps: [{ weight: 50, gate: 'manual' }] },
    });
  const analysis = AnalysisSpec.parse({});
  const slos = Slos.parse({});
  const { analyzeCanary } = createMetricsActivities({ source: { kind: 'prometheus', url: stack.prometheus!.url } });
  const env = stackEnv(stack);
  const endpoint = serviceEndpoint({ urlTemplate: env.AUTOGLM_SERVICE_URL!, hostTemplate: env.AUTOGLM_SERVICE_HOST! }, 'llm', namespace);

  const decisions = { continue: 0, hold: 0, rollback: 0 };
  const failedChecks: Record<string, number> = {};
  const holdReasons: Record<string, number> = {};
  await bench.worker.runUntil(async () => {
    const v1 = await (await startRelease(client, spec('v1'), { taskQueue })).result();
    const handle = await startRelease(client, spec('v2'), { taskQueue });
    let st;
    while ((st = await handle.query(statusQuery)).phase !== 'awaiting-promotion') await sleep(250);
    const stop = new AbortController();
    const stats = new LoadStats({});
    const load = runLoad({
      endpoint,
      model: 'm',
      profile: LoadProfile.parse({ rate: 10, promptTokens: { mean: 64, stddev: 16 }, outputTokens: { mean: 24, stddev: 8 } }),
      fromMs: 0,
      toMs: 3_600_000,
      seed: 7,
      stats,
      signal: stop.signal,
    });
    console.log(`  canary ${st.replicas.canary.revision} beside stable ${v1.revision}; warming up for ${WARMUP_MS / 1000} s`);
    await sleep(WARMUP_MS);
    for (let i = 0; i < ANALYSES; i++) {
      const started = Date.now();
      const r = await analyzeCanary({
        namespace,
        service: 'llm',
        canaryRevision: st.replicas.canary.revision!,
        stableRevision: v1.revision,
        slos,
        analysis,
      });
      decisions[r.decision.action]++;
      for (const c of r.checks) {
        if (c.verdict === 'fail') failedChecks[c.name] = (failedChecks[c.name] ?? 0) + 1;
        if (c.verdict === 'nodata' || c.verdict === 'marginal') holdReasons[c.name] = (holdReasons[c.name] ?? 0) + 1;
      }
      if ((i + 1) % 20 === 0) console.log(`  ${i + 1}/${ANALYSES}: ${JSON.stringify(decisions)}`);
      await sleep(Math.max(0, INTERVAL_MS - (Date.now() - started)));
    }
    stop.abort();
    await load;
    const summary = stats.summary();
    console.log(
      `  load: ${summary.completed} requests, ${summary.requestsPerSecond.toFixed(1)} req/s, errors ${JSON.stringify(summary.errors)}`,
    );
    await handle.executeUpdate(abortUpdate, { args: [{ reason: 'benchmark over', by: 'bench' }] });
    await handle.result();
  });
  await kube.core.deleteNamespace({ name: namespace });
  await bench.close();

  const figures = {
    analyses: ANALYSES,
    intervalMs: INTERVAL_MS,
    falseRollbacks: decisions.rollback,
    falseRollbackRate: decisions.rollback / ANALYSES,
    holds: decisions.hold,
    passes: decisions.continue,
    failedChecks,
    holdReasons,
  };
  report(
    'bench:false-rollback (healthy noisy canary vs stable, default analysis)',
    [
      ['analyses (every ms)', `${ANALYSES} (${INTERVAL_MS})`],
      ['would roll back (false rollbacks)', `${decisions.rollback} (${((100 * decisions.rollback) / ANALYSES).toFixed(1)} %)`],
      ['would hold / pass', `${decisions.hold} / ${decisions.continue}`],
      ['checks that failed', JSON.stringify(failedChecks)],
      ['checks that held', JSON.stringify(holdReasons)],
    ],
    figures,
  );
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    console.error(`bench:false-rollback failed: ${err.message}`);
    process.exit(1);
  },
);
