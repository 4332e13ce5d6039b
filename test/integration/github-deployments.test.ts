import { WorkflowFailedError } from '@temporalio/client';
import { createHash } from 'node:crypto';
import { startRelease } from '../../client/releases';
import type { ServiceSpecInput } from '../../core/service-spec';
import { useGitHubWorker } from '../support/github/use-emulator';
import { useReleaseHarness } from '../support/harness';
import { startTestWorker } from '../support/worker-in-process';

// Releases reported as GitHub Deployments, against the GitHub emulator that checks every
// exchange against GitHub's OpenAPI description.
describe('GitHub deployments and statuses', () => {
  const gh = useGitHubWorker('it-gh');
  const { github } = gh;
  const h = useReleaseHarness('gh', 'test');

  const spec = (version: string, over: Partial<ServiceSpecInput> = {}): ServiceSpecInput => ({
    service: 'llm',
    namespace: h.ns,
    version,
    environment: 'staging',
    image: `registry.local/m@sha256:${createHash('sha256').update(version).digest('hex')}`,
    model: { name: 'm' },
    gpu: { pool: 'l4', perReplica: 2 },
    replicas: 2,
    server: { probePeriod: '1s', preStopDelay: '1s' }, // Ready a second after loading, gone a second after stopping (the 5 s defaults would pace every test)
    container: { env: { SIM_MODEL_LOAD_DELAY: '1s' } },
    rollout: { steps: [{ weight: 50 }] },
    ...over,
  });
  const target = (ref: string) => ({
    owner: 'zai-org',
    repo: 'Open-AutoGLM',
    ref,
    logUrl: 'http://temporal.local/release',
    environmentUrl: 'http://llm.models.local',
  });
  const statesOf = (deploymentId: number) => github.statuses.get(deploymentId)!.map((s) => [s.state, s.description]);
  const release = (s: ServiceSpecInput, ref: string, w = gh.worker) =>
    startRelease(w.client, s, { taskQueue: w.taskQueue, requestedBy: 'github:delivery-1', github: target(ref) }).then((hd) => hd.result());

  it('creates a deployment for the environment and moves it to success', async () => {
    const result = await release(spec('v1'), 'v1.0.0');
    expect(result.outcome).toBe('promoted');
    const [d] = github.deployments.filter((x) => x.ref === 'v1.0.0');
    expect(d).toMatchObject({ environment: 'staging', production_environment: false });
    expect(statesOf(d!.id as number)).toEqual([
      ['in_progress', 'v1 started by github:delivery-1'],
      ['success', 'v1 promoted (initial)'],
    ]);
    expect(github.statuses.get(d!.id as number)![1]).toMatchObject({
      log_url: 'http://temporal.local/release',
      environment_url: 'http://llm.models.local',
    });
  });

  it('reports a refusal as a failure with the reason', async () => {
    const err = await release(spec('v2', { gpu: { pool: 'l4', perReplica: 8 } }), 'v2.0.0').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const [d] = github.deployments.filter((x) => x.ref === 'v2.0.0');
    const [, failure] = statesOf(d!.id as number);
    expect(failure![0]).toBe('failure');
    expect(failure![1]).toMatch(/^not enough nvidia.com\/gpu/);
    expect((failure![1] as string).length).toBeLessThanOrEqual(140);
  });

  it('rides out GitHub answering 5xx and rate limits: retried, one deployment, every status once', async () => {
    github.inject({ status: 502, times: 2 });
    github.inject({ status: 403, times: 1 }); // primary rate limit, with x-ratelimit-remaining: 0
    const result = await release(spec('v3'), 'v3.0.0');
    expect(result.outcome).toBe('promoted');
    const mine = github.deployments.filter((x) => x.ref === 'v3.0.0');
    expect(mine).toHaveLength(1);
    expect(statesOf(mine[0]!.id as number).map(([s]) => s)).toEqual(['in_progress', 'success']);
    expect(github.requests.filter((r) => r.status >= 500 || r.status === 403)).toHaveLength(3);
  });

  it('writes no check run with a token (GitHub lets only Apps), and a failing one with App credentials', async () => {
    expect(github.checkRuns.filter((r) => r.head_sha === github.shaOf('v2.0.0'))).toHaveLength(0);
    const asApp = await startTestWorker('it-gh-app', {
      GITHUB_API_URL: github.url,
      GITHUB_TOKEN: '',
      GITHUB_APP_ID: String(github.app.id),
      GITHUB_APP_PRIVATE_KEY: github.app.privateKey,
      GITHUB_APP_INSTALLATION_ID: String(github.app.installationId),
    });
    try {
      const err = await release(spec('v5', { gpu: { pool: 'l4', perReplica: 8 } }), 'v5.0.0', asApp).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const [run] = github.checkRuns.filter((r) => r.head_sha === github.shaOf('v5.0.0'));
      expect(run).toMatchObject({ name: 'autoglm-deploy / staging', status: 'completed', conclusion: 'failure' });
      const output = run!.output as { title: string; summary: string };
      expect(output.title).toMatch(/^not enough nvidia.com\/gpu/);
      expect(output.summary).toMatch(/^## ❌ not enough nvidia.com\/gpu/);
      expect(output.summary).toContain('| Final phase | failed |');
    } finally {
      await asApp.stop();
    }
  });

  it('goes on with the release when GitHub refuses the credentials', async () => {
    const badToken = await startTestWorker('it-gh-bad', { GITHUB_API_URL: github.url, GITHUB_TOKEN: 'ghs_wrong' });
    try {
      const before = github.deployments.length;
      const result = await release(spec('v4'), 'v4.0.0', badToken);
      expect(result.outcome).toBe('promoted');
      expect(github.deployments.length).toBe(before);
      expect(github.requests.at(-1)!.status).toBe(401);
    } finally {
      await badToken.stop();
    }
  });

  it("is checked against GitHub's description: a status GitHub does not know is refused", async () => {
    const res = await fetch(`${github.url}/repos/zai-org/Open-AutoGLM/deployments/1000/statuses`, {
      method: 'POST',
      headers: { authorization: `token ${github.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ state: 'done' }),
    });
    expect(res.status).toBe(422);
    expect(github.violations.splice(0)).toEqual([
      expect.stringMatching(/request body: \/state must be equal to one of the allowed values/),
    ]);
  });
});
