import type { Client, WorkflowHandle } from '@temporalio/client';
import { Runtime } from '@temporalio/worker';
import { createHash, randomBytes } from 'node:crypto';
import { startRelease } from '../../client/releases';
import type { ServiceSpecInput } from '../../core/service-spec';
import { workerWithClient } from '../../worker/in-process';
import { JsonLogger } from '../../worker/logger';
import { promoteUpdate, statusQuery } from '../../workflows/messages';
import { createTestNamespace, deleteNamespace, eventually, testKube } from '../support/kube';
import { testStackEnv } from '../support/stack';

// Upgrading the worker mid-release with Worker Versioning: a release started on build A stays
// pinned to A and finishes there, while releases started after the upgrade run on build B.
describe('worker upgrade during a release (Worker Versioning)', () => {
  const h = { ns: '' };
  const deploymentName = `autoglm-it-${randomBytes(3).toString('hex')}`;
  const taskQueue = `it-upg-${randomBytes(3).toString('hex')}`;
  const workers: { stop: () => Promise<void> }[] = [];

  async function startBuild(buildId: string) {
    try {
      Runtime.install({ logger: new JsonLogger('WARN') });
    } catch {
      // already installed in this process
    }
    const { worker, client, close } = await workerWithClient(
      { taskQueue, buildId, deploymentName, shutdownGraceMs: '2s' },
      { ...process.env, ...testStackEnv() },
    );
    const running = worker.run();
    const handle = {
      client,
      stop: async () => {
        worker.shutdown();
        await running;
        await close();
      },
    };
    workers.push(handle);
    return handle;
  }
  /** What an operator does after the new build's workers are up: `temporal worker deployment set-current-version`. */
  const setCurrent = (client: Client, buildId: string) =>
    eventually(
      `build ${buildId} current`,
      () =>
        client.workflowService.setWorkerDeploymentCurrentVersion({ namespace: 'default', deploymentName, buildId, identity: 'it' }).then(
          () => true,
          () => undefined,
        ),
      30_000,
    );
  const buildsOf = async (handle: WorkflowHandle) => {
    const history = await handle.fetchHistory();
    return [
      ...new Set(
        history.events!.flatMap((e) => {
          const b = e.workflowTaskCompletedEventAttributes?.deploymentVersion?.buildId;
          return b ? [b] : [];
        }),
      ),
    ];
  };
  const pinnedTo = async (handle: WorkflowHandle) =>
    (await handle.describe()).raw.workflowExecutionInfo?.versioningInfo?.deploymentVersion?.buildId;

  beforeAll(async () => {
    h.ns = await createTestNamespace(testKube(), 'upg');
  });
  afterAll(async () => {
    for (const w of workers.reverse()) await w.stop();
    await deleteNamespace(testKube(), h.ns);
  });

  const spec = (service: string, version: string, steps: ServiceSpecInput['rollout']['steps']): ServiceSpecInput => ({
    service,
    namespace: h.ns,
    version,
    image: `registry.local/m@sha256:${createHash('sha256')
      .update(service + version)
      .digest('hex')}`,
    model: { name: 'm' },
    gpu: { pool: 'l4', perReplica: 1 },
    replicas: 1,
    server: { probePeriod: '1s', preStopDelay: '1s' }, // Ready a second after loading, gone a second after stopping (the 5 s defaults would pace every test)
    container: { env: { SIM_MODEL_LOAD_DELAY: '1s' } },
    rollout: { steps },
  });

  it('finishes the release in flight on the build that started it; new releases run on the new build', async () => {
    const a = await startBuild('build-a');
    await setCurrent(a.client, 'build-a');
    await (await startRelease(a.client, spec('llm', 'v1', [{ weight: 50 }]), { taskQueue })).result();
    const inFlight = await startRelease(a.client, spec('llm', 'v2', [{ weight: 50, gate: 'manual' }]), { taskQueue });
    await eventually(
      'v2 at its gate',
      async () => ((await inFlight.query(statusQuery)).phase === 'awaiting-promotion' ? true : undefined),
      60_000,
    );

    // The upgrade: build B's workers come up beside A's and B becomes current.
    const b = await startBuild('build-b');
    await setCurrent(b.client, 'build-b');

    const after = await startRelease(b.client, spec('other', 'v1', [{ weight: 50 }]), { taskQueue });
    expect((await after.result()).outcome).toBe('promoted');
    expect(await buildsOf(after)).toEqual(['build-b']);

    // The release in flight is still A's: promoted now, it finishes there, never replayed on B.
    expect(await pinnedTo(inFlight)).toBe('build-a');
    await inFlight.executeUpdate(promoteUpdate, { args: [{ approver: 'it' }] });
    const result = await inFlight.result();
    expect(result).toMatchObject({ outcome: 'promoted', version: 'v2' });
    expect(await buildsOf(inFlight)).toEqual(['build-a']);
    expect(await pinnedTo(inFlight)).toBe('build-a');
  });
});
