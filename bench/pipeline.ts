/**
 * npm run bench:pipeline — on the local stack:
 *  1. a 3-step canary (25/50/75 %, no bake) of a 4-replica service, run RUNS times: orchestration
 *     overhead per step (step wall time minus the model-load wait of its new canary pod) and the
 *     Kubernetes API requests the worker makes per step;
 *  2. the time from creating a pod that cannot fit to the wait activity reporting
 *     Insufficient nvidia.com/gpu, DETECT_RUNS times (it includes SCHEDULER_SETTLE_MS, 5 s: a
 *     refusal must stand that long, so a stale scheduler cache cannot fail a step).
 * Prints a table; the last line is one JSON object.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { randomBytes } from 'node:crypto';
import { waitForRevision } from '../activities/kubernetes/wait-ready';
import { followRelease, startRelease } from '../client/releases';
import { parseDuration } from '../core/duration';
import type { ServiceSpecInput } from '../core/service-spec';
import { JsonLogger } from '../worker/logger';
import { benchSpec, median, report, round, startBenchWorker } from './support';

const RUNS = Number(process.env.RUNS ?? 3);
const DETECT_RUNS = Number(process.env.DETECT_RUNS ?? 10);
const LOAD_DELAY = '2s';

async function main(): Promise<void> {
  let requests = 0;
  const bench = await startBenchWorker('pipeline', { onKubeRequest: () => requests++ });
  const { worker, taskQueue, client, kube } = bench;

  const stepOverheadMs: number[] = [];
  const stepRequests: number[] = [];
  const promotionRequests: number[] = [];
  await worker.runUntil(async () => {
    for (let run = 0; run < RUNS; run++) {
      const namespace = `bench-${randomBytes(3).toString('hex')}`;
      await kube.core.createNamespace({ body: { metadata: { name: namespace } } });
      const spec = (version: string): ServiceSpecInput =>
        benchSpec(namespace, version, {
          gpu: { pool: 'l4', perReplica: 1 },
          replicas: 4,
          container: { env: { SIM_MODEL_LOAD_DELAY: LOAD_DELAY } },
          rollout: { steps: [{ weight: 25 }, { weight: 50 }, { weight: 75 }] },
        });
      await (await startRelease(client, spec('v1'), { taskQueue })).result();
      const handle = await startRelease(client, spec('v2'), { taskQueue });
      // Attribute time and requests to the step the status shows.
      const marks: { step: number; phase: string; at: number; requests: number }[] = [];
      const result = await followRelease(
        handle,
        (st) => {
          const key = st.phase === 'promoting' || st.phase === 'succeeded' ? 99 : (st.step?.index ?? 0);
          if (marks.length === 0 || marks[marks.length - 1]!.step !== key)
            marks.push({ step: key, phase: st.phase, at: Date.now(), requests });
        },
        20,
      );
      const end = { at: Date.now(), requests };
      if (result.outcome !== 'promoted') throw new Error(`bench release ended ${result.outcome}`);
      for (let i = 0; i < marks.length; i++) {
        const m = marks[i]!;
        const next = marks[i + 1] ?? { ...end, step: 100 };
        if (m.step >= 1 && m.step <= 3) {
          stepOverheadMs.push(next.at - m.at - parseDuration(LOAD_DELAY)!);
          stepRequests.push(next.requests - m.requests);
        } else if (m.step === 99) {
          promotionRequests.push(next.requests - m.requests);
        }
      }
      await kube.core.deleteNamespace({ name: namespace });
    }
  });
  await bench.close();

  // Pod creation → Insufficient nvidia.com/gpu reported by the wait activity.
  const detectMs: number[] = [];
  const namespace = `bench-detect-${randomBytes(3).toString('hex')}`;
  await kube.core.createNamespace({ body: { metadata: { name: namespace } } });
  const activityEnv = new MockActivityEnvironment(undefined, { logger: new JsonLogger('ERROR', () => {}) }); // the failures are the point
  for (let i = 0; i < DETECT_RUNS; i++) {
    const name = `too-big-${i}`;
    const created = Date.now();
    await kube.core.createNamespacedPod({
      namespace,
      body: {
        metadata: { name, labels: { bench: name } },
        spec: {
          nodeSelector: { pool: 'a100' },
          tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists' }],
          containers: [{ name: 'c', image: 'x', resources: { limits: { 'nvidia.com/gpu': '16' } } }],
        },
      },
    });
    const err = await activityEnv
      .run(waitForRevision, kube, {
        namespace,
        selector: `bench=${name}`,
        replicas: 1,
        budgetMs: 60_000,
        gpuResource: 'nvidia.com/gpu',
        what: name,
      })
      .catch((e: Error) => e);
    if (!(err instanceof Error) || !/Insufficient nvidia\.com\/gpu/.test(err.message))
      throw new Error(`expected an Insufficient GPU failure, got ${String(err)}`);
    detectMs.push(Date.now() - created);
  }
  await kube.core.deleteNamespace({ name: namespace });

  const figures = {
    runs: RUNS,
    stepsPerRun: 3,
    overheadPerStepMsMedian: round(median(stepOverheadMs), 0),
    overheadPerStepMsMax: round(Math.max(...stepOverheadMs), 0),
    kubeRequestsPerStepMedian: median(stepRequests),
    kubeRequestsPerStepMax: Math.max(...stepRequests),
    kubeRequestsPromotionMedian: median(promotionRequests),
    insufficientGpuDetectMsMedian: round(median(detectMs), 0),
    insufficientGpuDetectMsMax: round(Math.max(...detectMs), 0),
    detectRuns: DETECT_RUNS,
    modelLoadDelay: LOAD_DELAY,
  };
  report(
    'bench:pipeline (3-step canary, no bake, 4 replicas on pool l4; model load 2 s subtracted)',
    [
      ['orchestration overhead per step, median / max (ms)', `${figures.overheadPerStepMsMedian} / ${figures.overheadPerStepMsMax}`],
      ['Kubernetes API requests per step, median / max', `${figures.kubeRequestsPerStepMedian} / ${figures.kubeRequestsPerStepMax}`],
      ['Kubernetes API requests for the promotion, median', figures.kubeRequestsPromotionMedian],
      [
        `pod created → Insufficient nvidia.com/gpu detected, median / max (ms, ${DETECT_RUNS} runs)`,
        `${figures.insufficientGpuDetectMsMedian} / ${figures.insufficientGpuDetectMsMax}`,
      ],
    ],
    figures,
  );
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    console.error(`bench:pipeline failed: ${err.message}`);
    process.exit(1);
  },
);
