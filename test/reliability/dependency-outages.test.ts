import type { WorkflowHandle } from '@temporalio/client';
import { readFileSync } from 'node:fs';
import { startRelease } from '../../client/releases';
import type { ServiceSpecInput } from '../../core/service-spec';
import type { StepObservation } from '../../core/release/types';
import { publishImage, type PublishedImage } from '../../infra/dev/image/publish';
import { observationQuery, statusQuery } from '../../workflows/messages';
import { FaultProxy } from '../support/fault-proxy';
import { GitHubEmulator } from '../support/github/emulator';
import { createTestNamespace, deleteNamespace, eventually, testKube } from '../support/kube';
import { testStack } from '../support/stack';
import { startTestWorker, type TestWorker } from '../support/worker-in-process';
import { effects, githubStatuses, spec, type Run } from './crash-world';

// The systems a release depends on besides Kubernetes, each made unreachable in turn by the real
// fault proxy (Toxiproxy) between the worker and it: Prometheus (the analysis holds, then goes
// on), the OCI registry (verification is retried; nothing changes before it passes) and GitHub
// (told, not asked: the release goes on, and nothing is reported twice). The figures are printed
// for the closing note.
describe('Prometheus, the registry and GitHub unreachable in turn', () => {
  const proxy = new FaultProxy();
  const github = new GitHubEmulator();
  const kube = testKube();
  const figures: string[] = [];
  let worker: TestWorker;
  let registryThroughProxy: string;
  let run: Run;

  const hostOf = (url: string) => new URL(url).host;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  /** How long after `since` the promise settled, in seconds, for the figures. */
  const secondsSince = (since: number) => ((Date.now() - since) / 1000).toFixed(1);

  beforeAll(async () => {
    await proxy.start();
    await github.start();
    const stack = testStack();
    const prometheus = await proxy.proxy('prometheus', hostOf(stack.prometheus.url));
    registryThroughProxy = await proxy.proxy('registry', stack.registry.host);
    const gh = await proxy.proxy('github', hostOf(github.url));
    worker = await startTestWorker('rel-deps', {
      PROMETHEUS_URL: `http://${prometheus}`,
      GITHUB_API_URL: `http://${gh}`,
      GITHUB_TOKEN: github.token,
    });
  });
  afterAll(async () => {
    await worker?.stop();
    await proxy.stop();
    await github.stop();
    console.log(`dependency outage figures:\n${figures.join('\n')}`);
  });
  beforeEach(async () => {
    run = { ns: await createTestNamespace(kube, 'deps'), pool: 'l4', nodeGpus: 4 };
  });
  afterEach(async () => {
    expect(github.violations).toEqual([]);
    await deleteNamespace(kube, run.ns);
  });

  const release = (s: ServiceSpecInput, ref?: string) =>
    startRelease(worker.client, s, {
      taskQueue: worker.taskQueue,
      ...(ref ? { github: { owner: 'zai-org', repo: 'Open-AutoGLM', ref } } : {}),
    });
  /** The attempt number of a pending activity of this type, once it has failed at least once. */
  const retrying = async (h: WorkflowHandle, activity: string) => {
    const pending = (await h.describe()).raw.pendingActivities?.find((a) => a.activityType?.name === activity);
    return pending && (pending.attempt ?? 0) > 1 ? pending : undefined;
  };

  it('registry: verification is retried while it cannot be reached, nothing is deployed meanwhile, then the release goes on', async () => {
    const image: PublishedImage = await publishImage(testStack(), {
      repository: 'deps/outage',
      tag: 'v1',
      sign: ['legacy'],
      files: { 'etc/content': 'outage\n' },
    });
    const key = readFileSync(image.publicKeyPath, 'utf8');
    const viaProxy = image.tagged.replace(testStack().registry.host, registryThroughProxy);
    await proxy.setEnabled('registry', false);
    let healed = 0;
    try {
      const h = await release({ ...spec(run, 'v1'), image: viaProxy, supplyChain: { cosignKeys: [key] } });
      const pending = await eventually('verification failing and retried', () => retrying(h, 'verifyImage'), 60_000);
      expect(pending.lastFailure?.message).toMatch(/ECONNREFUSED|fetch failed|registry/i);
      expect((await kube.apps.listNamespacedDeployment({ namespace: run.ns })).items).toHaveLength(0);
      await proxy.setEnabled('registry', true);
      healed = Date.now();
      const result = await h.result();
      expect(result).toMatchObject({
        outcome: 'promoted',
        status: { image: { digest: image.digest, signatures: [{ format: 'legacy' }] } },
      });
      figures.push(
        `registry refused through ${pending.attempt} tries of verification: promoted ${secondsSince(healed)} s after it was back`,
      );
    } finally {
      await proxy.setEnabled('registry', true);
    }
    expect(await effects(kube, run.ns)).toEqual({ deployments: ['v1'], history: ['v1:release'] });
  });

  it('Prometheus: a bake holds while it cannot be queried, then judges again and promotes', async () => {
    await (await release(spec(run, 'v1'))).result();
    const h = await release(
      spec(run, 'v2', {
        rollout: { steps: [{ weight: 50, bake: '30s' }] },
        analysis: { interval: '2s', window: '20s', minRequests: 10, noDataBudget: '45s' },
        loadTest: { mode: 'poisson', rate: 8, promptTokens: { mean: 32, stddev: 8 }, outputTokens: { mean: 16, stddev: 4 } },
      }),
    );
    const observation = async (): Promise<StepObservation | undefined> => {
      const observer = (await h.query(statusQuery)).observer;
      return observer ? worker.client.workflow.getHandle(observer).query(observationQuery) : undefined;
    };
    await eventually(
      'a passing check',
      async () => ((await observation())?.analysis?.decision.action === 'continue' ? true : undefined),
      90_000,
    );
    await proxy.setEnabled('prometheus', false);
    let healed = 0;
    try {
      const held = await eventually(
        'the analysis holding for Prometheus',
        async () => {
          const a = (await observation())?.analysis;
          return a?.decision.action === 'hold' && a.decision.reasons.some((r) => /Prometheus could not be queried/.test(r)) ? a : undefined;
        },
        30_000,
      );
      expect(held.checks.find((c) => c.name === 'prometheus')?.verdict).toBe('nodata');
      await sleep(8_000);
      expect((await h.describe()).status.name).toBe('RUNNING'); // held, neither promoted nor rolled back blind
    } finally {
      await proxy.setEnabled('prometheus', true);
      healed = Date.now();
    }
    const result = await h.result();
    expect(result).toMatchObject({ outcome: 'promoted', status: { analysis: { decision: { action: 'continue' } } } });
    figures.push(`Prometheus unreachable for about 10 s mid-bake: held, then promoted ${secondsSince(healed)} s after it was back`);
    expect(await effects(kube, run.ns)).toEqual({ deployments: ['v2'], history: ['v2:release', 'v1:release'] });
  });

  it('GitHub: a short outage is retried and reported once; a long one never holds a release up', async () => {
    const short = `${run.ns}-v1`;
    await proxy.setEnabled('github', false);
    const v1 = await release(spec(run, 'v1'), short);
    await eventually('the deployment call failing and retried', () => retrying(v1, 'ensureDeployment'), 30_000);
    await proxy.setEnabled('github', true);
    const healed = Date.now();
    expect(await v1.result()).toMatchObject({ outcome: 'promoted' });
    const reported = githubStatuses(github, short);
    expect(reported).toMatchObject({ deployments: 1, repeated: [] });
    expect(reported.states[0]!.map((s) => s.split(':')[0])).toEqual(['in_progress', 'success']);
    figures.push(`GitHub refused at the release's start: reported once, the release promoted ${secondsSince(healed)} s after it was back`);

    // Down for a whole release: the retries end, the worker logs it, and the release is promoted all the same.
    const long = `${run.ns}-v2`;
    await proxy.setEnabled('github', false);
    const started = Date.now();
    try {
      expect(await (await release(spec(run, 'v2'), long)).result()).toMatchObject({ outcome: 'promoted', version: 'v2' });
    } finally {
      await proxy.setEnabled('github', true);
    }
    figures.push(`GitHub down for a whole release: promoted in ${secondsSince(started)} s, nothing reported`);
    expect(githubStatuses(github, long).deployments).toBe(0);
    expect(await effects(kube, run.ns)).toEqual({ deployments: ['v2'], history: ['v2:release', 'v1:release'] });
  }, 300_000); // a whole release behind GitHub's five tries (about 30 s of backoff per report)
});
