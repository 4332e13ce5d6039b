/**
 * For the reliability suite: the project's worker as a real process (so `kill -9` is real),
 * reporting to the GitHub emulator, a client, namespaces per run, and the checks that a crash
 * doubled nothing: one Deployment per serving revision, one revision-history entry per change,
 * one GitHub deployment per release and one status per transition.
 */
import { Client, Connection } from '@temporalio/client';
import { createHash, randomBytes } from 'node:crypto';
import { historyConfigMapName } from '../../activities/kubernetes/revisions';
import type { Kube } from '../../activities/kubernetes/client';
import type { RevisionRecord } from '../../core/revision-history';
import type { ServiceSpecInput } from '../../core/service-spec';
import { GitHubEmulator } from '../support/github/emulator';
import { createTestNamespace, deleteNamespace, testKube } from '../support/kube';
import { testStack, testStackEnv } from '../support/stack';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';
import { prebuiltWorkflowBundle } from '../support/workflow-bundle';

/** Where a run's service lives: its own namespace, on its own pool (the two runs of a phase at once). */
export interface Run {
  ns: string;
  pool: 'l4' | 'a100';
  /** GPUs per node of the pool: a replica this size fills a node. */
  nodeGpus: number;
}

export function useCrashWorld(prefix: string) {
  const ctx = {
    github: new GitHubEmulator(),
    taskQueue: `rel-${prefix}-${randomBytes(3).toString('hex')}`,
    worker: undefined as unknown as WorkerProcess,
    client: undefined as unknown as Client,
    connection: undefined as unknown as Connection,
    kube: undefined as unknown as Kube,
    namespaces: [] as string[],
    bundle: '',
  };
  const env = () => ({
    ...testStackEnv(),
    GITHUB_API_URL: ctx.github.url,
    GITHUB_TOKEN: ctx.github.token,
    AUTOGLM_TASK_QUEUE: ctx.taskQueue,
    AUTOGLM_SHUTDOWN_GRACE: '2s',
    AUTOGLM_WORKFLOW_BUNDLE: ctx.bundle,
  });
  beforeAll(async () => {
    await ctx.github.start();
    ctx.bundle = await prebuiltWorkflowBundle();
    ctx.kube = testKube();
    ctx.worker = await startWorkerProcess(env());
    ctx.connection = await Connection.connect({ address: testStack().temporal.address });
    ctx.client = new Client({ connection: ctx.connection });
  }, 180_000);
  afterAll(async () => {
    await ctx.worker?.stop();
    await ctx.connection?.close();
    await ctx.github.stop();
    for (const ns of ctx.namespaces) await deleteNamespace(ctx.kube, ns);
  });
  afterEach(async () => {
    expect(ctx.github.violations).toEqual([]);
    // A phase's pods must not hold GPUs the next phase plans with.
    for (const ns of ctx.namespaces.splice(0)) await deleteNamespace(ctx.kube, ns);
  });

  return {
    ctx,
    /** The two runs of a phase: one on each pool, so they never compete for GPUs. */
    async runs(): Promise<[Run, Run]> {
      const made = await Promise.all([createTestNamespace(ctx.kube, prefix), createTestNamespace(ctx.kube, prefix)]);
      ctx.namespaces.push(...made);
      return [
        { ns: made[0], pool: 'l4', nodeGpus: 4 },
        { ns: made[1], pool: 'a100', nodeGpus: 8 },
      ];
    },
    /** SIGKILL, then a new worker process: resolves with the seconds until the new one polls. */
    async crash(): Promise<number> {
      const killedAt = Date.now();
      const exited = new Promise((r) => ctx.worker.child.once('exit', r));
      ctx.worker.child.kill('SIGKILL');
      await exited;
      ctx.worker = await startWorkerProcess(env());
      return (Date.now() - killedAt) / 1000;
    },
  };
}

export const spec = (run: Run, version: string, over: Partial<ServiceSpecInput> & { loadDelay?: string } = {}): ServiceSpecInput => {
  const { loadDelay = '1s', ...rest } = over;
  return {
    service: 'llm',
    namespace: run.ns,
    version,
    image: `registry.local/m@sha256:${createHash('sha256').update(version).digest('hex')}`,
    model: { name: 'm' },
    gpu: { pool: run.pool, perReplica: 1 },
    replicas: 1,
    server: { probePeriod: '1s', preStopDelay: '1s' }, // the phases' windows come from loadDelay, not the 5 s defaults
    container: { env: { SIM_MODEL_LOAD_DELAY: loadDelay } },
    rollout: { steps: [{ weight: 50 }] },
    ...rest,
  };
};

/** Versions of the Deployments in the namespace, and the revision history's versions and kinds, newest first. */
export async function effects(kube: Kube, ns: string) {
  const deployments = (await kube.apps.listNamespacedDeployment({ namespace: ns })).items.map(
    (d) => d.metadata!.labels!['app.kubernetes.io/version'],
  );
  const raw = await kube.core
    .readNamespacedConfigMap({ namespace: ns, name: historyConfigMapName('llm') })
    .then((cm) => cm.data?.['history.json'])
    .catch(() => undefined);
  const history = raw ? (JSON.parse(raw) as RevisionRecord[]).map((r) => `${r.version}:${r.kind}`) : [];
  return { deployments, history };
}

/** Per GitHub deployment of a ref: its statuses; a status repeated back to back would be a doubled effect. */
export function githubStatuses(github: GitHubEmulator, ref: string) {
  const deployments = github.deployments.filter((d) => d.ref === ref);
  const states = deployments.map((d) => github.statuses.get(d.id as number)!.map((s) => `${s.state}: ${s.description}`));
  const repeated = states.flatMap((list) => list.filter((s, i) => i > 0 && s === list[i - 1]));
  return { deployments: deployments.length, states, repeated };
}
