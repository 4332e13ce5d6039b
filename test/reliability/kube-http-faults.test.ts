import { startRelease } from '../../client/releases';
import { serviceName } from '../../core/manifests';
import { seededRandom } from '../../core/random';
import { KubeFaultFront, type FaultRule } from '../support/kube-fault-front';
import { createTestNamespace, deleteNamespace, testKube } from '../support/kube';
import { testStack } from '../support/stack';
import { startTestWorker, type TestWorker } from '../support/worker-in-process';
import { effects, spec, type Run } from './crash-world';

// The Kubernetes API's own "try again" answers, from an HTTP fault front between the worker and
// kube-apiserver (test/support/kube-fault-front.ts): 429 throttling with Retry-After, 500 and
// 503, and 409 conflicts on the revision history's read-modify-write. The release converges or
// rolls back cleanly, and never leaves traffic on a canary it removed.
describe('Kubernetes API answers 429, 5xx and 409', () => {
  const kube = testKube();
  const front = new KubeFaultFront(testStack().kubernetes.kubeconfig);
  const figures: string[] = [];
  let worker: TestWorker;
  let run: Run;

  beforeAll(async () => {
    await front.start();
    worker = await startTestWorker('rel-http-faults', { KUBECONFIG: front.kubeconfigFile() });
  });
  afterAll(async () => {
    await worker?.stop();
    await front.stop();
    console.log(`kube API answer figures:\n${figures.join('\n')}`);
  });
  beforeEach(async () => {
    run = { ns: await createTestNamespace(kube, 'http-faults'), pool: 'l4', nodeGpus: 4 };
  });
  afterEach(async () => {
    front.clear();
    front.injected.clear();
    await deleteNamespace(kube, run.ns);
  });

  const release = (s: ReturnType<typeof spec>) => startRelease(worker.client, s, { taskQueue: worker.taskQueue });
  /** A share of requests answered by the front, drawn from a seeded generator (the same draws every run). */
  const throttledAndFailing = (seed: number, shares: { throttled: number; unavailable: number; failing: number }): FaultRule => {
    const draw = seededRandom(seed);
    return () => {
      const x = draw();
      if (x < shares.throttled) return { code: 429, retryAfter: 1 };
      if (x < shares.throttled + shares.unavailable) return { code: 503, retryAfter: 1 };
      if (x < shares.throttled + shares.unavailable + shares.failing) return { code: 500 };
      return undefined;
    };
  };
  const summary = () =>
    [...front.injected.entries()]
      .sort(([a], [b]) => a - b)
      .map(([code, n]) => `${n}×${code}`)
      .join(', ');

  it('converges when a quarter of requests are throttled (429) and some fail (503 with Retry-After, 500)', async () => {
    await (await release(spec(run, 'v1'))).result();
    front.inject(throttledAndFailing(22, { throttled: 0.2, unavailable: 0.05, failing: 0.03 }));
    const started = Date.now();
    const v2 = await release(spec(run, 'v2', { replicas: 2, rollout: { steps: [{ replicas: 1 }] } }));
    expect(await v2.result()).toMatchObject({ outcome: 'promoted', version: 'v2' });
    front.clear();
    expect(front.injected.get(429)).toBeGreaterThan(0);
    figures.push(`429/503/500 on about 28 % of requests (${summary()}): promoted in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(await effects(kube, run.ns)).toEqual({ deployments: ['v2'], history: ['v2:release', 'v1:release'] });
  });

  it('records each revision once when its history write first meets a conflict (409)', async () => {
    // As a concurrent writer of the revision history would: every other update of a ConfigMap conflicts.
    let updates = 0;
    front.inject((r) => (r.method === 'PUT' && /\/configmaps\//.test(r.path) && updates++ % 2 === 0 ? { code: 409 } : undefined));
    await (await release(spec(run, 'v1'))).result();
    const v2 = await release(spec(run, 'v2'));
    expect(await v2.result()).toMatchObject({ outcome: 'promoted', version: 'v2' });
    expect(front.injected.get(409)).toBeGreaterThan(0);
    figures.push(`409 on every other revision-history update (${summary()}): each revision recorded once`);
    expect(await effects(kube, run.ns)).toEqual({ deployments: ['v2'], history: ['v2:release', 'v1:release'] });
  });

  it('rolls back cleanly under throttling and failures, leaving traffic on the stable and no canary', async () => {
    await (await release(spec(run, 'v1'))).result();
    const before = (await kube.core.readNamespacedService({ namespace: run.ns, name: serviceName('llm', 'stable') })).spec?.selector;
    front.inject(throttledAndFailing(7, { throttled: 0.2, unavailable: 0.05, failing: 0.03 }));
    // The canary never loads within its budget: the release fails and rolls back under the faults.
    const v2 = await release(spec(run, 'v2', { loadDelay: '60s', model: { name: 'm', loadBudget: '5s' } }));
    const err = (await v2.result().catch((e: unknown) => e)) as { cause?: { message?: string; details?: [{ outcome?: string }] } };
    front.clear();
    expect(err.cause?.message).toMatch(/^release rolled back: /);
    expect(err.cause?.details?.[0]).toMatchObject({ outcome: 'rolled-back' });
    figures.push(`rollback under 429/503/500 (${summary()}): rolled back, stable Service unchanged`);
    expect((await kube.core.readNamespacedService({ namespace: run.ns, name: serviceName('llm', 'stable') })).spec?.selector).toEqual(
      before,
    );
    expect(await effects(kube, run.ns)).toEqual({ deployments: ['v1'], history: ['v1:release'] });
  });
});
