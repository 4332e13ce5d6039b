/**
 * npm run bench:scale — many releases at once on the local stack (AUTOGLM_STACK, default `bench`):
 *  1. RELEASES (200) services of their own, first releases then canary releases of all of them at
 *     once, on one worker process: wall time, workflow-task and activity schedule-to-start
 *     latencies (the SDK's histograms), Kubernetes API requests per release, the worker's peak RSS
 *     and Temporal's;
 *  2. RELEASES first releases on WORKERS (3) worker processes sharing one task queue, one killed
 *     with kill -9 when half have ended: every release completes, none is lost or doubled (one
 *     Deployment and one revision-history entry per service), and how long recovery took.
 * The GPU pool is NODES (100) kwok nodes of 8 GPUs, added for the run and removed after it. The
 * worker's concurrency settings (AUTOGLM_MAX_ACTIVITIES, …) are taken from the environment and
 * printed. Prints a table; the last line is one JSON object.
 */
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { randomBytes } from 'node:crypto';
import { connectKube, type Kube } from '../activities/kubernetes/client';
import { readRevisionHistory } from '../activities/kubernetes/revisions';
import { startRelease } from '../client/releases';
import type { ServiceSpecInput } from '../core/service-spec';
import { freePort } from '../infra/dev/stack/ports';
import { stackUp } from '../infra/dev/stack/stack';
import { stackEnv } from '../infra/dev/stack/state';
import { startWorkerProcess, type WorkerProcess } from '../test/support/worker-process';
import { prebuiltWorkflowBundle } from '../test/support/workflow-bundle';
import { benchSpec, median, report, round } from './support';
import {
  SCALE_NAMESPACE_LABEL,
  SCALE_POOL,
  addScalePool,
  removeLeftovers,
  counter,
  histogramQuantile,
  removeScalePool,
  rssMiB,
  scrape,
} from './scale-world';

const RELEASES = Number(process.env.RELEASES ?? 200);
const NODES = Number(process.env.NODES ?? 100);
const WORKERS = Number(process.env.WORKERS ?? 3);
const CONCURRENCY_ENV = ['AUTOGLM_MAX_ACTIVITIES', 'AUTOGLM_MAX_WORKFLOW_TASKS', 'AUTOGLM_STICKY_CACHE_SIZE'] as const;

const secondsSince = (t: number) => round((Date.now() - t) / 1000);
const service = (i: number) => `llm-${String(i).padStart(3, '0')}`;

/** Service i: one replica of one GPU; a first release deploys it, the next is a 50 % canary (one pod beside one). */
function scaleSpec(namespace: string, i: number, version: string): ServiceSpecInput {
  return {
    ...benchSpec(namespace, version, { rollout: { steps: [{ weight: 50 }] } }),
    service: service(i),
    gpu: { pool: SCALE_POOL, perReplica: 1, queueBudget: '30m' },
    replicas: 1,
    container: { env: { SIM_MODEL_LOAD_DELAY: '1s' } },
  };
}

async function workers(count: number, env: Record<string, string>): Promise<{ procs: WorkerProcess[]; metrics: string[] }> {
  const metrics: string[] = [];
  const procs: WorkerProcess[] = [];
  for (let i = 0; i < count; i++) {
    metrics.push(`127.0.0.1:${await freePort()}`);
    const bundle = await prebuiltWorkflowBundle(); // as the worker image runs: no webpack at start
    procs.push(await startWorkerProcess({ ...env, AUTOGLM_METRICS_ADDRESS: metrics[i]!, AUTOGLM_WORKFLOW_BUNDLE: bundle }, 180_000));
  }
  return { procs, metrics };
}

/** Every service's spec at `version`. */
const allSpecs = (namespace: string, version: string) => Array.from({ length: RELEASES }, (_, i) => scaleSpec(namespace, i, version));

/** An outcome, said on stderr as it comes when it is not a promotion (a long run is read while it runs). */
function said(workflowId: string, outcome: string): string {
  if (outcome !== 'promoted') console.error(`${new Date().toISOString()} ${workflowId}: ${outcome}`);
  return outcome;
}

/** Starts every release at once; resolves with each one's end (outcome) and the time it ended. */
async function releaseAll(client: Client, taskQueue: string, specs: ServiceSpecInput[]) {
  const handles: WorkflowHandle[] = [];
  for (const s of specs) handles.push(await startRelease(client, s, { taskQueue }));
  const ended: number[] = [];
  const outcomes = await Promise.all(
    handles.map((h) =>
      h.result().then(
        (r: { outcome: string }) => (ended.push(Date.now()), said(h.workflowId, r.outcome)),
        (e: Error & { cause?: Error }) => (ended.push(Date.now()), said(h.workflowId, `failed: ${e.cause?.message ?? e.message}`)),
      ),
    ),
  );
  return { outcomes, ended: ended.sort((a, b) => a - b) };
}

/** Each service: exactly its Deployments of `versions` and history entries `history`; the services that differ. */
async function doubledOrLost(kube: Kube, namespace: string, count: number, history: string[]): Promise<string[]> {
  const deployments = (await kube.apps.listNamespacedDeployment({ namespace })).items;
  const wrong: string[] = [];
  for (let i = 0; i < count; i++) {
    const mine = deployments.filter((d) => d.metadata?.labels?.['app.kubernetes.io/name'] === service(i));
    const recorded = (await readRevisionHistory(kube, namespace, service(i))).map((r) => `${r.version}:${r.kind}`);
    const want = history[0]!.split(':')[0];
    if (mine.length !== 1 || mine[0]!.metadata?.labels?.['app.kubernetes.io/version'] !== want || recorded.join() !== history.join())
      wrong.push(`${service(i)}: ${mine.length} deployments, history ${recorded.join(' ') || 'none'}`);
  }
  return wrong;
}

async function main(): Promise<void> {
  const stack = await stackUp(process.env.AUTOGLM_STACK ?? 'bench');
  const kube = connectKube(stack.kubernetes!.kubeconfig);
  const connection = await Connection.connect({ address: stack.temporal!.address });
  const client = new Client({ connection });
  const concurrency = Object.fromEntries(CONCURRENCY_ENV.map((k) => [k, process.env[k] ?? 'SDK default']));
  const namespaces: string[] = [];
  const newNamespace = async () => {
    const name = `scale-${randomBytes(3).toString('hex')}`;
    await kube.core.createNamespace({ body: { metadata: { name, labels: SCALE_NAMESPACE_LABEL } } });
    namespaces.push(name);
    return name;
  };
  const leftovers = await removeLeftovers(kube);
  if (leftovers > 0) console.error(`removed ${leftovers} namespace(s) an earlier, killed run left`);
  await addScalePool(kube, NODES);
  try {
    // 1. One worker process.
    const ns1 = await newNamespace();
    const queue1 = `bench-scale-${randomBytes(3).toString('hex')}`;
    const one = await workers(1, { ...stackEnv(stack), AUTOGLM_TASK_QUEUE: queue1 });
    const t1 = Date.now();
    const first = await releaseAll(client, queue1, allSpecs(ns1, 'v1'));
    const firstWallS = secondsSince(t1);
    const requestsAfterFirst = counter(await scrape(one.metrics[0]!), 'autoglm_kubernetes_requests');
    const t2 = Date.now();
    const canaries = await releaseAll(client, queue1, allSpecs(ns1, 'v2'));
    const canaryWallS = secondsSince(t2);
    const samples = await scrape(one.metrics[0]!);
    const requestsTotal = counter(samples, 'autoglm_kubernetes_requests');
    const workerRss = rssMiB(one.procs[0]!.child.pid!);
    const temporalRss = rssMiB(stack.temporal!.pid);
    await one.procs[0]!.stop();
    const notPromoted1 = [...first.outcomes, ...canaries.outcomes].filter((o) => o !== 'promoted');
    const wrong1 = await doubledOrLost(kube, ns1, RELEASES, ['v2:release', 'v1:release']);

    // 2. Several workers on one queue, one killed mid-run.
    const ns2 = await newNamespace();
    const queue2 = `bench-scale-${randomBytes(3).toString('hex')}`;
    const many = await workers(WORKERS, { ...stackEnv(stack), AUTOGLM_TASK_QUEUE: queue2 });
    const t3 = Date.now();
    const run2 = releaseAll(client, queue2, allSpecs(ns2, 'v1'));
    // Kill when half the services have a Ready Deployment (the releases are then about half way).
    const half = Math.floor(RELEASES / 2);
    const done = async () =>
      (await kube.apps.listNamespacedDeployment({ namespace: ns2 })).items.filter((d) => d.status?.readyReplicas).length;
    while ((await done()) < half) await new Promise((r) => setTimeout(r, 500));
    many.procs[0]!.child.kill('SIGKILL');
    const killedAt = Date.now();
    const second = await run2;
    const secondWallS = secondsSince(t3);
    const afterKill = second.ended.filter((t) => t >= killedAt);
    const gaps = afterKill.map((t, i) => t - (i === 0 ? killedAt : afterKill[i - 1]!));
    const recoveryS = round(Math.max(0, ...gaps) / 1000);
    for (const p of many.procs.slice(1)) await p.stop();
    const notPromoted2 = second.outcomes.filter((o) => o !== 'promoted');
    const wrong2 = await doubledOrLost(kube, ns2, RELEASES, ['v1:release']);

    const stw = {
      p50: histogramQuantile(samples, 'temporal_workflow_task_schedule_to_start_latency', 0.5),
      p99: histogramQuantile(samples, 'temporal_workflow_task_schedule_to_start_latency', 0.99),
    };
    const sta99 = histogramQuantile(samples, 'temporal_activity_schedule_to_start_latency', 0.99);
    const perRelease = {
      first: round(requestsAfterFirst / RELEASES),
      canary: round((requestsTotal - requestsAfterFirst) / RELEASES),
    };
    const durations = (r: { ended: number[] }, t: number) => r.ended.map((e) => (e - t) / 1000);
    report(
      `bench:scale — ${RELEASES} releases, pool of ${NODES}×8 GPUs, concurrency ${JSON.stringify(concurrency)}`,
      [
        [`1 worker: ${RELEASES} first releases at once, wall (s)`, firstWallS],
        ['  median release end after start (s)', round(median(durations(first, t1)))],
        [`1 worker: ${RELEASES} canary releases at once, wall (s)`, canaryWallS],
        ['  median release end after start (s)', round(median(durations(canaries, t2)))],
        ['workflow task schedule-to-start p50 / p99 (ms)', `${stw.p50} / ${stw.p99}`],
        ['activity schedule-to-start p99 (ms)', String(sta99)],
        ['Kubernetes API requests per first / canary release', `${perRelease.first} / ${perRelease.canary}`],
        ['worker RSS now / peak (MiB)', `${workerRss.now} / ${workerRss.peak}`],
        ['Temporal dev server RSS now / peak (MiB)', `${temporalRss.now} / ${temporalRss.peak}`],
        ['not promoted, lost or doubled (1 worker)', `${notPromoted1.length}, ${wrong1.length}`],
        [`${WORKERS} workers, one killed at half: wall (s)`, secondWallS],
        ['  longest gap between release ends after the kill (s)', recoveryS],
        ['  not promoted, lost or doubled', `${notPromoted2.length}, ${wrong2.length}`],
      ],
      {
        bench: 'scale',
        releases: RELEASES,
        nodes: NODES,
        concurrency,
        oneWorker: {
          firstWallS,
          canaryWallS,
          workflowTaskScheduleToStartMs: stw,
          activityScheduleToStartP99Ms: sta99,
          kubeRequestsPerRelease: perRelease,
          workerRssMiB: workerRss,
          temporalRssMiB: temporalRss,
          notPromoted: notPromoted1.length,
          lostOrDoubled: wrong1.length,
        },
        killed: { workers: WORKERS, wallS: secondWallS, recoveryS, notPromoted: notPromoted2.length, lostOrDoubled: wrong2.length },
      },
    );
    for (const w of [...notPromoted1, ...notPromoted2, ...wrong1, ...wrong2].slice(0, 10)) console.error(`  ${w}`);
  } finally {
    for (const ns of namespaces) await kube.core.deleteNamespace({ name: ns }).catch(() => undefined);
    await removeScalePool(kube);
    await connection.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
