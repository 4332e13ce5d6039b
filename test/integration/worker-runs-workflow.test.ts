import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { randomBytes } from 'node:crypto';
import { ErrorType } from '../../core/errors';
import type { PoolCapacity } from '../../core/gpu-capacity';
import { freePort } from '../../infra/dev/stack/ports';
import { startRelease } from '../../client/releases';
import { createTestNamespace, deleteNamespace, eventually, testKube } from '../support/kube';
import { testStack, testStackEnv } from '../support/stack';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';

// The project's worker process, configured only by environment, runs a workflow on the real
// Temporal dev server; its activity reads the real kube-apiserver.
describe('worker process on the Temporal dev server', () => {
  const taskQueue = `it-worker-${randomBytes(3).toString('hex')}`;
  let worker: WorkerProcess;
  let connection: Connection;
  let client: Client;
  let metricsUrl: string;

  beforeAll(async () => {
    const port = await freePort();
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
    worker = await startWorkerProcess({
      ...testStackEnv(),
      AUTOGLM_TASK_QUEUE: taskQueue,
      AUTOGLM_SHUTDOWN_GRACE: '5s',
      AUTOGLM_METRICS_ADDRESS: `127.0.0.1:${port}`,
    });
    connection = await Connection.connect({ address: testStack().temporal.address });
    client = new Client({ connection });
  });

  afterAll(async () => {
    await worker?.stop();
    await connection?.close();
  });

  const run = (input: unknown) =>
    client.workflow.execute('inspectGpuPools', { taskQueue, workflowId: `it-inspect-${randomBytes(4).toString('hex')}`, args: [input] });

  it('reports the capacity of both GPU pools of the stack', async () => {
    const pools = (await run({ pools: ['a100', 'l4'] })) as PoolCapacity[];
    const byName = Object.fromEntries(pools.map((p) => [p.pool, p]));
    expect(byName.a100!.allocatable).toBe(16);
    expect(byName.a100!.nodes.map((n) => n.allocatable)).toEqual([8, 8]);
    expect(byName.l4!.allocatable).toBe(8);
    expect(byName.l4!.largestFreeOnOneNode).toBeLessThanOrEqual(4);
  });

  it('fails without retrying when the pool does not exist', async () => {
    const err = await run({ pools: ['h100'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause?.cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe(ErrorType.GpuPoolNotFound);
    expect((cause as ApplicationFailure).message).toContain('h100');
  });

  it('refuses invalid input with a typed failure naming the field', async () => {
    const err = (await run({ pools: [] }).catch((e: unknown) => e)) as WorkflowFailedError;
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err.cause as ApplicationFailure).type).toBe(ErrorType.InvalidInput);
    expect(err.cause?.message).toMatch(/pools: name at least one pool/);
  });

  it("exports the SDK's and the pipeline's metrics for Prometheus", async () => {
    const kube = testKube();
    const ns = await createTestNamespace(kube, 'metrics');
    try {
      const release = await startRelease(
        client,
        {
          service: 'llm',
          namespace: ns,
          version: 'v1',
          image: `registry.local/m@sha256:${'e'.repeat(64)}`,
          environment: 'staging',
          model: { name: 'm' },
          gpu: { pool: 'l4', perReplica: 1 },
          replicas: 1,
          server: { probePeriod: '1s', preStopDelay: '1s' }, // Ready a second after loading, gone a second after stopping (the 5 s defaults would pace every test)
          container: { env: { SIM_MODEL_LOAD_DELAY: '1s' } },
          rollout: { steps: [{ weight: 50 }] },
        },
        { taskQueue },
      );
      expect(await release.result()).toMatchObject({ outcome: 'promoted' });
      const text = await eventually(
        'the release counted',
        async () => {
          const t = await (await fetch(metricsUrl)).text();
          return /autoglm_releases\{[^}]*outcome="promoted"/.test(t) ? t : undefined;
        },
        30_000,
      );
      expect(text).toMatch(/autoglm_releases\{[^}]*environment="staging"[^}]*\} 1/);
      expect(text).toMatch(/autoglm_release_phase_duration_bucket\{[^}]*phase="deploying"/);
      expect(text).toMatch(/temporal_workflow_completed\{/); // the SDK's own
    } finally {
      await deleteNamespace(kube, ns);
    }
  });

  it('shuts down gracefully on SIGTERM', async () => {
    const code = await worker.stop();
    expect(code).toBe(0);
    expect(worker.output()).toContain('"worker stopped"');
  });
});
