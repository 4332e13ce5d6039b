import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { startRelease } from '../../client/releases';
import type { ServiceSpecInput } from '../../core/service-spec';
import { isAlive } from '../../infra/dev/stack/daemon';
import { stackUp } from '../../infra/dev/stack/stack';
import { promoteUpdate, statusQuery } from '../../workflows/messages';
import { eventually } from '../support/kube';
import { useReleaseHarness } from '../support/harness';
import { cli } from '../support/run-entry';
import { TEST_STACK, testStack } from '../support/stack';

// The Temporal dev server stopped for 30 s and started again on its database file, with a
// release at its gate and `release watch` following it: the watch says it reconnects and ends
// with the release's real end; the worker reconnects by itself and the release completes.
describe('a Temporal outage mid-release', () => {
  const h = useReleaseHarness('outage', 'file');

  it('is ridden out by the watching CLI and the worker', async () => {
    const spec = (version: string): ServiceSpecInput => ({
      service: 'llm',
      namespace: h.ns,
      version,
      image: `registry.local/m@sha256:${createHash('sha256').update(version).digest('hex')}`,
      model: { name: 'm' },
      gpu: { pool: 'l4', perReplica: 2 },
      replicas: 1,
      server: { probePeriod: '1s', preStopDelay: '1s' }, // Ready a second after loading, gone a second after stopping (the 5 s defaults would pace every test)
      container: { env: { SIM_MODEL_LOAD_DELAY: '1s' } },
      rollout: { steps: [{ replicas: 1, gate: 'manual' }] },
    });
    // A first release goes straight to its pods (no canary steps); the second stops at its gate.
    await (await startRelease(h.worker.client, spec('v1'), { taskQueue: h.worker.taskQueue })).result();
    const handle = await startRelease(h.worker.client, spec('v2'), { taskQueue: h.worker.taskQueue });
    await eventually(
      'at the gate',
      async () => ((await handle.query(statusQuery)).phase === 'awaiting-promotion' ? true : undefined),
      60_000,
    );
    const env = { TEMPORAL_ADDRESS: testStack().temporal.address, AUTOGLM_TASK_QUEUE: h.worker.taskQueue };
    // The outage starts once the watch has printed the release's state (a cold start of the CLI takes seconds).
    let following!: () => void;
    const printed = new Promise<void>((r) => (following = r));
    const watch = cli(['release', 'watch', '-s', 'llm', '-n', h.ns], env, (out) => out.trim() && following());
    await printed;

    const { pid } = testStack().temporal;
    process.kill(pid, 'SIGTERM');
    await eventually('Temporal stopped', async () => (isAlive(pid) ? undefined : true), 30_000);
    // Longer than the gRPC client's own retries of an unavailable server (10 attempts, about 15–18 s), which hide a shorter outage.
    await sleep(30_000);
    await stackUp(TEST_STACK); // the same address and database file
    expect(testStack().temporal.pid).not.toBe(pid);

    // The worker, left alone, polls again: the release answers and takes the promotion.
    await eventually('the release answers again', () => handle.query(statusQuery).catch(() => undefined), 60_000);
    await handle.executeUpdate(promoteUpdate, { args: [{ approver: 'ci' }] });
    const watched = await watch;
    expect(watched.err).toMatch(/Temporal unreachable \(.*\); reconnecting in \d+ s/);
    expect(watched.code).toBe(0);
    expect(watched.out).toMatch(/promoted: .*\/llm v2/);
  });
});
