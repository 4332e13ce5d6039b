import { MockActivityEnvironment } from '@temporalio/testing';
import { createGpuLedgerActivities } from '../../activities/temporal/gpu-ledger';
import { gpuLedgerId, type GpuReservation } from '../../core/gpu-reservations';
import { startTestWorker, type TestWorker } from '../support/worker-in-process';

// A pool's ledger continues as new as its history grows; releases go on reserving through it.
// On the real Temporal server, with the project's worker running the ledger workflow.
describe('the GPU ledger across its runs', () => {
  let worker: TestWorker;
  beforeAll(async () => {
    worker = await startTestWorker('it-ledger');
  });
  afterAll(() => worker?.stop());

  const reservation = (holder: string, gpus: number): GpuReservation => ({
    holder,
    runId: `${holder}-run`,
    service: `ns/${holder}`,
    version: 'v1',
    gpus,
    since: new Date(0).toISOString(),
  });

  it('reserves, gives back and reads through the current run after the ledger has continued as new', async () => {
    const pool = 'ledger-test';
    const env = new MockActivityEnvironment({ taskQueue: worker.taskQueue });
    const ledger = createGpuLedgerActivities(async () => worker.client);
    const call = <A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> => env.run(fn, ...args) as Promise<R>;
    // A ledger that continues as new after every second change.
    const started = await worker.client.workflow.start('gpuPoolLedger', {
      workflowId: gpuLedgerId(worker.taskQueue, pool),
      taskQueue: worker.taskQueue,
      args: [{ pool, changesPerRun: 2 }],
    });

    let version = (await call(ledger.readGpuLedger, { pool, pruneGone: false })).version;
    expect(await call(ledger.reserveGpus, { pool, reservation: reservation('a', 2), readVersion: version })).toEqual({ ok: true });
    await call(ledger.releaseGpus, { pool, holder: 'a', runId: 'a-run' });
    // Two changes: the ledger has continued as new (or is about to; the reads below reach the new run either way).
    for (const holder of ['b', 'c', 'd']) {
      version = (await call(ledger.readGpuLedger, { pool, pruneGone: false })).version;
      expect(await call(ledger.reserveGpus, { pool, reservation: reservation(holder, 1), readVersion: version })).toEqual({ ok: true });
    }
    const read = await call(ledger.readGpuLedger, { pool, pruneGone: false });
    expect(read.reservations.map((r) => `${r.holder}:${r.gpus}`)).toEqual(['b:1', 'c:1', 'd:1']);
    const current = await worker.client.workflow.getHandle(started.workflowId).describe();
    expect(current.runId).not.toBe(started.firstExecutionRunId); // it did continue as new
    await worker.client.workflow.getHandle(started.workflowId).terminate('test over');
  });
});
