/**
 * Runs releases on the local stack whose histories become replay fixtures, then records them:
 *   AUTOGLM_STACK=test npm run history:record-runs
 *  - a canary with a bake observed by the analysis and a load test (its own child workflow), on a
 *    pool with GPU reservations: the release, its step observer and the pool's ledger;
 *  - a second service queued behind it for GPUs on a full pool, then released.
 * Covers the patches a plain release takes (bake-in-child, gpu-reservations, canary-analysis,
 * load-settle-covers-outage, stable-gone-before-delete, ledger-prune-when-blocked).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { startRelease } from '../client/releases';
import { gpuLedgerId } from '../core/gpu-reservations';
import type { ServiceSpecInput } from '../core/service-spec';
import { statusQuery } from '../workflows/messages';
import { benchSpec, startBenchWorker } from '../bench/support';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const bench = await startBenchWorker('record');
  const { worker, taskQueue, client, kube } = bench;
  const record = (workflowId: string, name: string, runId?: string) =>
    execFileSync('npx', ['tsx', 'scripts/record-history.ts', workflowId, name, ...(runId ? [runId] : [])], {
      stdio: 'inherit',
      env: { ...process.env, TEMPORAL_ADDRESS: bench.stack.temporal!.address },
    });
  const namespaces = [`rec-${randomBytes(3).toString('hex')}`, `rec-${randomBytes(3).toString('hex')}`];
  const [first, second] = namespaces as [string, string];
  for (const name of namespaces)
    await kube.core.createNamespace({ body: { metadata: { name, labels: { 'autoglm.dev/record': 'true' } } } });
  const server = { probePeriod: '1s', preStopDelay: '1s' };
  const observed = (ns: string, version: string): ServiceSpecInput =>
    benchSpec(ns, version, {
      gpu: { pool: 'a100', perReplica: 8 },
      replicas: 1,
      server,
      container: { env: { SIM_MODEL_LOAD_DELAY: '1s' } },
      rollout: { steps: [{ weight: 50, bake: '8s' }] },
      analysis: { interval: '2s', window: '20s', minRequests: 5, noDataBudget: '30s' },
      loadTest: { mode: 'poisson', rate: 5, promptTokens: { mean: 32, stddev: 8 }, outputTokens: { mean: 16, stddev: 4 } },
    });
  const queued: ServiceSpecInput = benchSpec(second, 'v1', {
    gpu: { pool: 'a100', perReplica: 8, queueBudget: '3m' },
    replicas: 1,
    server,
    container: { env: { SIM_MODEL_LOAD_DELAY: '1s' } },
    rollout: { steps: [{ weight: 100 }] },
    analysis: { enabled: false },
  });
  try {
    await worker.runUntil(async () => {
      await (await startRelease(client, observed(first, 'v1'), { taskQueue })).result();
      // v2 surges beside v1 and reserves all 16 GPUs of pool a100: the second service waits for them.
      const canary = await startRelease(client, observed(first, 'v2'), { taskQueue });
      while ((await canary.query(statusQuery)).phase !== 'canary') await sleep(250);
      const waiting = await startRelease(client, queued, { taskQueue });
      console.log('canary', (await canary.result()).outcome, '· queued', (await waiting.result()).outcome);
      record(canary.workflowId, 'release-pipeline.bake-in-child-promoted', canary.firstExecutionRunId);
      for await (const w of client.workflow.list({
        query: `WorkflowType='observeCanaryStep' AND WorkflowId STARTS_WITH '${canary.workflowId}'`,
      })) {
        record(w.workflowId, 'observe-canary-step.passed', w.runId);
        break;
      }
      record(waiting.workflowId, 'release-pipeline.queued-for-gpus', waiting.firstExecutionRunId);
      record(gpuLedgerId(taskQueue, 'a100'), 'gpu-pool-ledger.reserved-queued-given-back');
    });
  } finally {
    for (const name of namespaces) await kube.core.deleteNamespace({ name }).catch(() => undefined);
    await bench.close();
  }
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    console.error(`record-release-runs: ${err.stack ?? err.message}`);
    process.exit(1);
  },
);
