import { createHash } from 'node:crypto';
import { startRelease } from '../../client/releases';
import type { ServiceSpecInput } from '../../core/service-spec';
import { statusQuery } from '../../workflows/messages';
import { useReleaseHarness } from '../support/harness';
import { eventually } from '../support/kube';

// Two releases on the l4 pool (2 nodes × 4 GPUs) at once, through the pool's GPU ledger on the
// real stack: the second waits for the GPUs the first reserved and has not placed yet, instead of
// taking them (the first's promotion would then fail on Insufficient nvidia.com/gpu).
describe('GPU reservations between releases on one pool', () => {
  const h = useReleaseHarness('gpures', 'file');
  const spec = (service: string, version: string, over: Partial<ServiceSpecInput> = {}): ServiceSpecInput => ({
    service,
    namespace: h.ns,
    version,
    image: `registry.local/m@sha256:${createHash('sha256')
      .update(service + version)
      .digest('hex')}`,
    model: { name: 'm' },
    gpu: { pool: 'l4', perReplica: 2 },
    replicas: 1,
    server: { probePeriod: '1s', preStopDelay: '1s' }, // Ready a second after loading, gone a second after stopping (the 5 s defaults would pace every test)
    container: { env: { SIM_MODEL_LOAD_DELAY: '1s' } },
    rollout: { steps: [{ weight: 50 }] },
    ...over,
  });
  const release = (s: ServiceSpecInput) => startRelease(h.worker.client, s, { taskQueue: h.worker.taskQueue });

  it('queues the second release until the first has placed its pods, then promotes both', async () => {
    await Promise.all([(await release(spec('a', 'v1'))).result(), (await release(spec('b', 'v1'))).result()]);
    // a: 2 canary pods beside its stable at the peak (6 GPUs, 4 of them free now); b needs 2 more.
    const a = await release(
      spec('a', 'v2', { replicas: 2, rollout: { steps: [{ replicas: 1 }] }, container: { env: { SIM_MODEL_LOAD_DELAY: '6s' } } }),
    );
    await eventually('a planned', async () => ((await a.query(statusQuery)).plan ? true : undefined), 60_000);
    const b = await release(spec('b', 'v2'));
    const waiting = await eventually(
      'b waiting for GPUs',
      async () => {
        const st = await b.query(statusQuery);
        return st.lastReason?.startsWith('waiting for GPUs') ? st : undefined;
      },
      60_000,
    );
    expect(waiting.lastReason).toMatch(
      new RegExp(`^waiting for GPUs on pool l4: release:${h.ns}\\.a \\(v2\\) reserved 6 GPUs, [024] not placed yet$`),
    );
    expect(waiting.phase).toBe('planning');
    expect(await a.result()).toMatchObject({ outcome: 'promoted' });
    expect(await b.result()).toMatchObject({ outcome: 'promoted' });
  });
});
