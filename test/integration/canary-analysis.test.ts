import { WorkflowFailedError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import { createHash } from 'node:crypto';
import { startRelease } from '../../client/releases';
import { ErrorType } from '../../core/errors';
import type { ServiceSpecInput } from '../../core/service-spec';
import { readServiceState } from '../../activities/kubernetes/service-state';
import { useReleaseHarness } from '../support/harness';
import { startTestWorker } from '../support/worker-in-process';

// Canary analysis end to end: simulated vLLM servers scraped by the stack's Prometheus, load
// from the project's load generator through the Service, faults switched on inside the canary.
describe('canary analysis and automatic rollback on the local stack', () => {
  const h = useReleaseHarness('ana', 'file');
  const spec = (version: string, env: Record<string, string> = {}, over: Partial<ServiceSpecInput> = {}): ServiceSpecInput => ({
    service: 'llm',
    namespace: h.ns,
    version,
    image: `registry.local/autoglm/model-server@sha256:${createHash('sha256').update(version).digest('hex')}`,
    model: { name: 'open-autoglm-7b', loadBudget: '2m' },
    gpu: { pool: 'l4', perReplica: 2 },
    replicas: 2,
    server: { probePeriod: '1s' }, // Ready within a second of loading (the default 5 s would pace every test)
    container: { env: { SIM_MODEL_LOAD_DELAY: '1s', SIM_TTFT_MS: '40', SIM_TOKENS_PER_SECOND: '400', ...env } },
    rollout: { steps: [{ weight: 50, bake: '20s' }] },
    analysis: { interval: '3s', window: '20s', minRequests: 10, noDataBudget: '20s' },
    loadTest: { mode: 'poisson', rate: 10, promptTokens: { mean: 32, stddev: 8 }, outputTokens: { mean: 16, stddev: 4 } },
    ...over,
  });
  const release = async (s: ServiceSpecInput, worker = h.worker) =>
    (await startRelease(worker.client, s, { taskQueue: worker.taskQueue })).result();
  const refusal = async (p: Promise<unknown>) => {
    const err = await p.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    return (err as WorkflowFailedError).cause as ApplicationFailure;
  };
  const servingVersion = async () => {
    const st = await readServiceState(h.kube, h.ns, 'llm');
    return st.revisions.find((r) => r.revision === st.stableRevision)?.version;
  };

  beforeAll(async () => {
    expect((await release(spec('v1'))).outcome).toBe('promoted'); // initial: no canary step
  });

  it('promotes a healthy canary, with the load test and every check as evidence', async () => {
    const result = await release(spec('v2'));
    expect(result.outcome).toBe('promoted');
    const { analysis, loadTests } = result.status;
    expect(analysis?.decision.action).toBe('continue');
    expect(analysis?.checks.find((c) => c.name === 'P95 latency')).toMatchObject({ verdict: 'pass', threshold: 2000 });
    expect(analysis?.checks.find((c) => c.name === 'canary vs baseline: ttft')?.stats?.p).toBeGreaterThan(0);
    expect(loadTests?.[0]?.summary.completed).toBeGreaterThan(100);
    expect(loadTests?.[0]?.summary.ttft.p50).toBeGreaterThan(0);
    expect(loadTests?.[0]?.markdown).toMatch(/\| TTFT \|/);
    expect(await servingVersion()).toBe('v2');
  });

  it.each([
    ['latency', { SIM_FAULT_AFTER: '6s', SIM_FAULT_TTFT_MS: '2600' }, /P95 latency \d+ ms > 2000 ms/],
    ['errors', { SIM_FAULT_AFTER: '6s', SIM_FAULT_ERROR_RATE: '0.5' }, /error rate \d+\.\d+% > 5\.00%/],
  ])('rolls back a canary whose %s degrade after it started, at once and saying why', async (_what, fault, reason) => {
    const started = Date.now();
    // Load straight at the canary: a least-request balancer steers around a slow canary, starving its checks.
    const toCanary = { ...spec('x').loadTest!, target: 'canary' as const };
    const err = await refusal(
      release(spec(`v3-${_what}`, fault, { rollout: { steps: [{ weight: 50, bake: '2m' }] }, loadTest: toCanary })),
    );
    expect(`${err.type}: ${err.message}`).toMatch(new RegExp(`^${ErrorType.AnalysisFailed}: .*${reason.source}`));
    expect(Date.now() - started).toBeLessThan(90_000); // well before the 2 min bake ended
    expect(await servingVersion()).toBe('v2');
  });

  it('rolls back a canary that answers golden prompts differently at temperature 0', async () => {
    const err = await refusal(
      release(
        spec(
          'v4',
          { SIM_ANSWER_SALT: 'retrained' },
          { analysis: { goldenPrompts: ['Open the settings app and turn on dark mode', 'Search for a coffee shop nearby'] } },
        ),
      ),
    );
    expect(err.type).toBe(ErrorType.AnalysisFailed);
    expect(err.message).toMatch(/2 of 2 golden prompts answered differently/);
    expect(await servingVersion()).toBe('v2');
  });

  it('does not promote when Prometheus cannot be reached: waits out the budget, then rolls back', async () => {
    const blind = await startTestWorker('it-ana-blind', { PROMETHEUS_URL: 'http://127.0.0.1:9' });
    try {
      const err = await refusal(release(spec('v5', {}, { loadTest: undefined }), blind));
      expect(err.type).toBe(ErrorType.AnalysisInconclusive);
      expect(err.message).toMatch(/no verdict for 20s at step 1: Prometheus could not be queried/);
      expect(await servingVersion()).toBe('v2');
    } finally {
      await blind.stop();
    }
  });
});
