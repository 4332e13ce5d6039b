import type { WorkflowHandle } from '@temporalio/client';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { releaseHandle, startRelease } from '../../client/releases';
import { startDrill } from '../../client/drills';
import { startRollback } from '../../client/rollbacks';
import type { ReleaseStatus } from '../../core/release/types';
import { publishImage } from '../../infra/dev/image/publish';
import { abortUpdate, drillStatusQuery, statusQuery } from '../../workflows/messages';
import { FaultProxy } from '../support/fault-proxy';
import { eventually } from '../support/kube';
import { testStack } from '../support/stack';
import { effects, githubStatuses, spec, useCrashWorld, type Run } from './crash-world';

// The worker process is killed with SIGKILL while a release (or rollback) is in a given phase,
// two runs at once (one per GPU pool), and a new worker process is started: every run reaches
// the end it would have reached, with nothing doubled. The figures are printed for the closing note.
describe('a worker killed with kill -9, per phase', () => {
  const world = useCrashWorld('kill');
  const { ctx } = world;
  const figures: string[] = [];
  afterAll(() => console.log(`worker kill figures:\n${figures.join('\n')}`));

  const release = (s: ReturnType<typeof spec>) =>
    startRelease(ctx.client, s, {
      taskQueue: ctx.taskQueue,
      requestedBy: 'reliability',
      github: { owner: 'zai-org', repo: 'Open-AutoGLM', ref: `${s.namespace}-${s.version}` },
    });
  const status = (h: WorkflowHandle) => h.query(statusQuery).catch(() => undefined);
  /** A pending activity of this type that a worker has picked up (so the kill loses an attempt under way). */
  const running = async (h: WorkflowHandle, activity: string) =>
    (await h.describe()).raw.pendingActivities?.some((a) => a.activityType?.name === activity && a.lastWorkerIdentity);

  /** Waits until every run is at the phase, kills the worker, and returns how long the runs took to end after it. */
  async function killWhen(phase: string, runs: Run[], atPhase: (run: Run) => Promise<boolean | undefined>, ends: Promise<unknown>[]) {
    await Promise.all(runs.map((r) => eventually(`${r.ns} at ${phase}`, async () => ((await atPhase(r)) ? true : undefined), 120_000)));
    const restartS = await world.crash();
    const killedAt = Date.now();
    await Promise.all(ends.map((e) => e.catch(() => undefined)));
    figures.push(
      `${phase}: ${runs.length} runs, new worker in ${restartS.toFixed(1)} s, all ended ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill`,
    );
  }

  /** `refs`: GitHub deployments expected per release ref (an on-call rollback reports one more for the ref it puts back). */
  async function expectClean(run: Run, deployments: string[], history: string[], refs: string[] | Record<string, number>) {
    expect(await effects(ctx.kube, run.ns)).toEqual({ deployments, history });
    const counts = Array.isArray(refs) ? Object.fromEntries(refs.map((r) => [r, 1])) : refs;
    for (const [ref, count] of Object.entries(counts)) {
      const gh = githubStatuses(ctx.github, `${run.ns}-${ref}`);
      expect({ ref, deployments: gh.deployments, repeated: gh.repeated }).toEqual({ ref, deployments: count, repeated: [] });
    }
  }

  it('during image verification: the verification is made again and the release promoted, nothing deployed twice', async () => {
    // Verification lasts a fraction of a second on loopback: through the fault proxy with 600 ms
    // each way it lasts seconds, long enough to be caught under way.
    const registry = new FaultProxy();
    await registry.start();
    try {
      const listen = await registry.proxy('registry', testStack().registry.host);
      await registry.addToxic('registry', 'slow-down', { type: 'latency', attributes: { latency: 600 } });
      await registry.addToxic('registry', 'slow-up', { type: 'latency', stream: 'upstream', attributes: { latency: 600 } });
      const runs = await world.runs();
      const handles = await Promise.all(
        runs.map(async (r) => {
          const image = await publishImage(testStack(), { repository: `kill/${r.ns}`, tag: 'v1', sign: ['legacy'] });
          const signed = {
            image: image.tagged.replace(testStack().registry.host, listen),
            supplyChain: { cosignKeys: [readFileSync(image.publicKeyPath, 'utf8')] },
          };
          return { h: await release({ ...spec(r, 'v1'), ...signed }), digest: image.digest };
        }),
      );
      const results = handles.map(({ h }) => h.result());
      await killWhen('image verification', runs, (r) => running(releaseHandle(ctx.client, r.ns, 'llm'), 'verifyImage'), results);
      for (const [i, r] of runs.entries()) {
        expect(await results[i]).toMatchObject({ outcome: 'promoted', status: { image: { digest: handles[i]!.digest } } });
        await expectClean(r, ['v1'], ['v1:release'], ['v1']);
      }
    } finally {
      await registry.stop();
    }
  });

  it('during the canary pod wait: the wait is taken up again and the release promoted', async () => {
    const runs = await world.runs();
    await Promise.all(runs.map(async (r) => (await release(spec(r, 'v1'))).result()));
    const handles = await Promise.all(runs.map((r) => release(spec(r, 'v2', { loadDelay: '12s' }))));
    const results = handles.map((h) => h.result());
    await killWhen('pod wait', runs, (r) => running(releaseHandle(ctx.client, r.ns, 'llm'), 'waitForRevision'), results);
    for (const [i, r] of runs.entries()) {
      expect(await results[i]).toMatchObject({ outcome: 'promoted', version: 'v2' });
      await expectClean(r, ['v2'], ['v2:release', 'v1:release'], ['v1', 'v2']);
    }
  });

  it('during a bake with analysis and load: the observation and the load test resume, and the release is promoted', async () => {
    const runs = await world.runs();
    await Promise.all(runs.map(async (r) => (await release(spec(r, 'v1'))).result()));
    const baking = (r: Run) =>
      spec(r, 'v2', {
        rollout: { steps: [{ weight: 50, bake: '30s' }] },
        analysis: { interval: '3s', window: '20s', minRequests: 10, noDataBudget: '30s' },
        loadTest: { mode: 'poisson', rate: 8, promptTokens: { mean: 32, stddev: 8 }, outputTokens: { mean: 16, stddev: 4 } },
      });
    const handles = await Promise.all(runs.map((r) => release(baking(r))));
    const results = handles.map((h) => h.result());
    const observing = async (r: Run) => {
      const st: ReleaseStatus | undefined = await status(releaseHandle(ctx.client, r.ns, 'llm'));
      return st?.observer ? running(ctx.client.workflow.getHandle(st.observer), 'runLoadTest') : false;
    };
    // Ten seconds into the bake: load under way, analyses made.
    await Promise.all(runs.map((r) => eventually(`${r.ns} baking`, async () => ((await observing(r)) ? true : undefined), 120_000)));
    await new Promise((r) => setTimeout(r, 10_000));
    await killWhen('bake with analysis', runs, observing, results);
    for (const [i, r] of runs.entries()) {
      const result = (await results[i])!;
      expect(result).toMatchObject({ outcome: 'promoted', status: { analysis: { decision: { action: 'continue' } } } });
      // One report for the step's load, taken up from its heartbeat rather than started again.
      expect(result.status.loadTests).toHaveLength(1);
      expect(result.status.loadTests![0]!.summary.completed).toBeGreaterThan(100);
      await expectClean(r, ['v2'], ['v2:release', 'v1:release'], ['v1', 'v2']);
    }
  });

  it('during the promotion: the canary grows to full size once and the old revision goes', async () => {
    const runs = await world.runs();
    await Promise.all(runs.map(async (r) => (await release(spec(r, 'v1', { replicas: 2 }))).result()));
    const handles = await Promise.all(
      runs.map((r) => release(spec(r, 'v2', { replicas: 2, loadDelay: '10s', rollout: { steps: [{ replicas: 1 }] } }))),
    );
    const results = handles.map((h) => h.result());
    const promoting = async (r: Run) => {
      const h = releaseHandle(ctx.client, r.ns, 'llm');
      return (await status(h))?.phase === 'promoting' && (await running(h, 'waitForRevision'));
    };
    await killWhen('promotion', runs, promoting, results);
    for (const [i, r] of runs.entries()) {
      expect(await results[i]).toMatchObject({ outcome: 'promoted', status: { replicas: { canary: { ready: 2 } } } });
      await expectClean(r, ['v2'], ['v2:release', 'v1:release'], ['v1', 'v2']);
    }
  });

  it("during an abort's rollback: the stable is restored once and the canary is gone", async () => {
    const runs = await world.runs();
    // Full pools: the canary swaps a stable pod out, so the rollback waits for the stable to load again.
    const full = (r: Run, version: string, over: Parameters<typeof spec>[2] = {}) =>
      spec(r, version, { replicas: 2, gpu: { pool: r.pool, perReplica: r.nodeGpus }, loadDelay: '10s', ...over });
    await Promise.all(runs.map(async (r) => (await release(full(r, 'v1'))).result()));
    const handles = await Promise.all(
      runs.map((r) => release(full(r, 'v2', { loadDelay: '1s', rollout: { allowSwap: true, steps: [{ weight: 50, gate: 'manual' }] } }))),
    );
    const results = handles.map((h) => h.result());
    await Promise.all(
      handles.map((h) =>
        eventually('at the gate', async () => ((await status(h))?.phase === 'awaiting-promotion' ? true : undefined), 120_000),
      ),
    );
    await Promise.all(handles.map((h) => h.executeUpdate(abortUpdate, { args: [{ reason: 'reliability test', by: 'ci' }] })));
    const restoring = async (r: Run) => {
      const h = releaseHandle(ctx.client, r.ns, 'llm');
      return (await status(h))?.phase === 'rolling-back' && (await running(h, 'waitForRevision'));
    };
    await killWhen("abort's rollback", runs, restoring, results);
    for (const [i, r] of runs.entries()) {
      expect(await results[i]).toMatchObject({ outcome: 'rolled-back', status: { replicas: { stable: { ready: 2 } } } });
      await expectClean(r, ['v1'], ['v1:release'], ['v1', 'v2']);
    }
  });

  it('during an on-call rollback: the previous revision is redeployed once and recorded once', async () => {
    const runs = await world.runs();
    await Promise.all(
      runs.map(async (r) => {
        await (await release(spec(r, 'v1', { loadDelay: '10s' }))).result();
        await (await release(spec(r, 'v2'))).result();
      }),
    );
    const handles = await Promise.all(
      runs.map((r) =>
        startRollback(
          ctx.client,
          { namespace: r.ns, service: 'llm', reason: 'reliability test', requestedBy: 'ci' },
          { taskQueue: ctx.taskQueue },
        ),
      ),
    );
    const results = handles.map((h) => h.result());
    await killWhen('on-call rollback', runs, (r) => running(releaseHandle(ctx.client, r.ns, 'llm'), 'waitForRevision'), results);
    for (const [i, r] of runs.entries()) {
      expect(await results[i]).toMatchObject({ outcome: 'rolled-back', release: { outcome: 'promoted', version: 'v1' } });
      await expectClean(r, ['v1'], ['v1:rollback', 'v2:release', 'v1:release'], { v1: 2, v2: 1 });
    }
  });

  it("during a drill's restore: the restored copy is verified once, reported once and removed; the backup is not made again", async () => {
    const runs = await world.runs();
    const stores = runs.map(() => mkdtempSync(join(tmpdir(), 'kill-drill-')));
    const models = runs.map(() => {
      const dir = mkdtempSync(join(tmpdir(), 'kill-models-'));
      writeFileSync(join(dir, 'model-00001-of-00001.safetensors'), Buffer.alloc(256 * 1024, 7));
      return dir;
    });
    // The restored pods load for 10 s: the drill is caught while it waits for them.
    await Promise.all(runs.map(async (r) => (await release(spec(r, 'v1', { loadDelay: '10s' }))).result()));
    const handles = await Promise.all(
      runs.map((r, i) =>
        startDrill(
          ctx.client,
          {
            namespace: r.ns,
            service: 'llm',
            modelStore: { path: models[i]! },
            backupStore: { path: stores[i]! },
            github: { owner: 'zai-org', repo: 'Open-AutoGLM' },
          },
          { taskQueue: ctx.taskQueue },
        ),
      ),
    );
    const results = handles.map((h) => h.result());
    const restoring = async (i: number) =>
      (await handles[i]!.query(drillStatusQuery)).phase === 'verifying' && (await running(handles[i]!, 'waitForRevision'));
    await killWhen("drill's restore", runs, (r) => restoring(runs.indexOf(r)), results);
    for (const [i, r] of runs.entries()) {
      const result = await results[i]!;
      expect(result.outcome).toBe('passed');
      expect(readdirSync(join(stores[i]!, r.ns, 'llm'))).toEqual([result.backup.backupId]);
      expect(ctx.github.issues.filter((issue) => String(issue.title).includes(`${r.ns}/llm`))).toHaveLength(1);
      const isolated = result.status.isolatedNamespace;
      await eventually(`${isolated} removed`, async () =>
        (await ctx.kube.core.readNamespace({ name: isolated }).then(
          (n) => n.metadata?.deletionTimestamp !== undefined,
          () => true,
        ))
          ? true
          : undefined,
      );
      await expectClean(r, ['v1'], ['v1:release'], []);
    }
  });
});
