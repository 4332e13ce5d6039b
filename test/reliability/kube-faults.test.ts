import type { WorkflowHandle } from '@temporalio/client';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRelease } from '../../client/releases';
import { serviceName } from '../../core/manifests';
import { FaultProxy, apiServerOf, kubeconfigThrough } from '../support/fault-proxy';
import { createTestNamespace, deleteNamespace, eventually, testKube } from '../support/kube';
import { testStack } from '../support/stack';
import { startTestWorker, type TestWorker } from '../support/worker-in-process';
import { effects, spec, type Run } from './crash-world';

// Kubernetes API faults from a real fault proxy (Toxiproxy) between the worker and
// kube-apiserver: latency, reset connections, an outage, every connection (watches too) cut.
// The release converges or fails cleanly with its reason, and never leaves traffic on a canary
// it removed. The test's own checks go to the API server directly.
describe('Kubernetes API faults between the worker and kube-apiserver', () => {
  const proxy = new FaultProxy();
  const kube = testKube();
  const figures: string[] = [];
  let worker: TestWorker;
  let run: Run;

  beforeAll(async () => {
    await proxy.start();
    const { kubeconfig } = testStack().kubernetes;
    const listen = await proxy.proxy('kube', apiServerOf(kubeconfig));
    const proxied = kubeconfigThrough(kubeconfig, listen, mkdtempSync(join(tmpdir(), 'kube-faults-')));
    worker = await startTestWorker('rel-faults', { KUBECONFIG: proxied });
  });
  afterAll(async () => {
    await worker?.stop();
    await proxy.stop();
    console.log(`kube API fault figures:\n${figures.join('\n')}`);
  });
  beforeEach(async () => {
    run = { ns: await createTestNamespace(kube, 'faults'), pool: 'l4', nodeGpus: 4 };
  });
  afterEach(() => deleteNamespace(kube, run.ns));

  const release = (s: ReturnType<typeof spec>) => startRelease(worker.client, s, { taskQueue: worker.taskQueue });
  const waiting = async (h: WorkflowHandle) =>
    (await h.describe()).raw.pendingActivities?.some((a) => a.activityType?.name === 'waitForRevision' && a.lastWorkerIdentity)
      ? true
      : undefined;
  /** The Service clients reach selects exactly this version's pods. */
  const servedBy = async () =>
    (await kube.core.readNamespacedService({ namespace: run.ns, name: serviceName('llm', 'stable') })).spec?.selector;

  it('converges through 200 ms of latency on every request and answer', async () => {
    await (await release(spec(run, 'v1'))).result();
    await proxy.addToxic('kube', 'latency-down', { type: 'latency', attributes: { latency: 200, jitter: 50 } });
    await proxy.addToxic('kube', 'latency-up', { type: 'latency', stream: 'upstream', attributes: { latency: 200, jitter: 50 } });
    const started = Date.now();
    try {
      expect(await (await release(spec(run, 'v2'))).result()).toMatchObject({ outcome: 'promoted', version: 'v2' });
    } finally {
      await proxy.removeToxic('kube', 'latency-down');
      await proxy.removeToxic('kube', 'latency-up');
    }
    figures.push(`latency 2×200 ms: promoted in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(await effects(kube, run.ns)).toEqual({ deployments: ['v2'], history: ['v2:release', 'v1:release'] });
  });

  it('converges when every connection is reset for 8 s during the pod wait', async () => {
    await (await release(spec(run, 'v1'))).result();
    const v2 = await release(spec(run, 'v2', { loadDelay: '6s' }));
    await eventually('the canary wait running', () => waiting(v2), 60_000);
    await proxy.addToxic('kube', 'resets', { type: 'reset_peer', attributes: { timeout: 0 } });
    await new Promise((r) => setTimeout(r, 8_000));
    await proxy.removeToxic('kube', 'resets');
    const healed = Date.now();
    expect(await v2.result()).toMatchObject({ outcome: 'promoted', version: 'v2' });
    figures.push(`resets for 8 s: promoted ${((Date.now() - healed) / 1000).toFixed(1)} s after they stopped`);
    expect(await effects(kube, run.ns)).toEqual({ deployments: ['v2'], history: ['v2:release', 'v1:release'] });
  });

  it('converges when the API server cannot be reached for 15 s, and when every open connection (the watch too) is cut', async () => {
    await (await release(spec(run, 'v1'))).result();
    const v2 = await release(spec(run, 'v2', { loadDelay: '8s', replicas: 2, rollout: { steps: [{ replicas: 1 }] } }));
    await eventually('the canary wait running', () => waiting(v2), 60_000);
    // Cut: every connection closed, the next ones accepted at once.
    await proxy.setEnabled('kube', false);
    await proxy.setEnabled('kube', true);
    await eventually('the next wait running', async () => ((await v2.describe()).raw.pendingActivities?.length ? true : undefined));
    // Outage: refused for 15 s.
    await proxy.setEnabled('kube', false);
    await new Promise((r) => setTimeout(r, 15_000));
    await proxy.setEnabled('kube', true);
    const healed = Date.now();
    expect(await v2.result()).toMatchObject({ outcome: 'promoted', version: 'v2' });
    figures.push(`cut + 15 s outage: promoted ${((Date.now() - healed) / 1000).toFixed(1)} s after it ended`);
    expect(await effects(kube, run.ns)).toEqual({ deployments: ['v2'], history: ['v2:release', 'v1:release'] });
  });

  it('rolls back cleanly through resets, leaving traffic on the stable and no canary', async () => {
    await (await release(spec(run, 'v1'))).result();
    const before = await servedBy();
    // The canary never loads within its budget: the release fails and rolls back while connections are reset.
    const v2 = await release(spec(run, 'v2', { loadDelay: '60s', model: { name: 'm', loadBudget: '5s' } }));
    await eventually('the canary wait running', () => waiting(v2), 60_000);
    await proxy.addToxic('kube', 'flaky', { type: 'reset_peer', toxicity: 0.3, attributes: { timeout: 0 } });
    try {
      const err = await v2.result().catch((e: unknown) => e as Error);
      expect((err as Error).message).toMatch(/workflow execution failed/i);
      const cause = (err as { cause?: { message?: string; details?: [{ outcome?: string }] } }).cause;
      expect(cause?.message).toMatch(/^release rolled back: /);
      expect(cause?.details?.[0]).toMatchObject({ outcome: 'rolled-back' });
    } finally {
      await proxy.removeToxic('kube', 'flaky');
    }
    expect(await servedBy()).toEqual(before);
    expect(await effects(kube, run.ns)).toEqual({ deployments: ['v1'], history: ['v1:release'] });
  });
});
