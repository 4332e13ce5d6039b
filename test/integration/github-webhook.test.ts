import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { githubReleaseWorkflowId } from '../../client/github-releases';
import { releaseHandle } from '../../client/releases';
import type { ServiceSpecInput } from '../../core/service-spec';
import { loadReceiverConfig } from '../../webhook/config';
import { startReceiver, type RunningReceiver } from '../../webhook/server';
import { useGitHubWorker } from '../support/github/use-emulator';
import { WebhookSender, releasePublishedPayload } from '../support/github/webhooks';
import { useReleaseHarness } from '../support/harness';

// A published GitHub release, delivered as a signed webhook to the product's receiver, drives a
// release on the real stack to a GitHub deployment status of success.
describe('GitHub webhook receiver', () => {
  // Per run: trigger workflow IDs (repository@tag) outlive a test on a kept stack.
  const NAME = `Open-AutoGLM-${randomBytes(3).toString('hex')}`;
  const REPO = `zai-org/${NAME}`;
  const SECRET = 'whsec-test-0123456789';
  // As a GitHub App (no installation id: looked up from the repository), which check runs need.
  const gh = useGitHubWorker('it-wh', (g) => ({ GITHUB_APP_ID: String(g.app.id), GITHUB_APP_PRIVATE_KEY: g.app.privateKey }));
  const { github } = gh;
  const h = useReleaseHarness('wh', 'file');
  const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
  let receiver: RunningReceiver;
  let sender: WebhookSender;

  const digest = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;
  const body = (version: string) => `Model server ${version}.\n\nimage: registry.local/open-autoglm@${digest(version)}\n`;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'autoglm-wh-'));
    const spec: ServiceSpecInput = {
      service: 'llm',
      namespace: h.ns,
      version: 'placeholder',
      environment: 'production',
      image: `registry.local/open-autoglm@${digest('x')}`,
      model: { name: 'm' },
      gpu: { pool: 'l4', perReplica: 2 },
      replicas: 2,
      server: { probePeriod: '1s', preStopDelay: '1s' }, // Ready a second after loading, gone a second after stopping (the 5 s defaults would pace every test)
      container: { env: { SIM_MODEL_LOAD_DELAY: '1s' } },
      rollout: { steps: [{ weight: 50 }] },
    };
    writeFileSync(join(dir, 'service.yaml'), stringify(spec));
    writeFileSync(
      join(dir, 'webhook.yaml'),
      stringify({
        repositories: { [REPO]: { spec: 'service.yaml', environmentUrl: 'http://llm.models.local' } },
        logUrl: 'http://temporal.local/namespaces/default/workflows/{workflowId}',
      }),
    );
    const config = loadReceiverConfig(join(dir, 'webhook.yaml'), SECRET);
    receiver = await startReceiver(
      config,
      { client: gh.worker.client, taskQueue: gh.worker.taskQueue, logger: quiet },
      { host: '127.0.0.1', port: 0 },
    );
    sender = new WebhookSender(receiver.url, SECRET);
  });
  afterAll(() => receiver?.close());

  const deploymentsOf = (tag: string) => github.deployments.filter((d) => d.ref === tag);
  const releaseResult = () => releaseHandle(gh.worker.client, h.ns, 'llm').result();
  const triggerExists = (tag: string) =>
    gh.worker.client.workflow
      .getHandle(githubReleaseWorkflowId('zai-org', NAME, tag))
      .describe()
      .then(
        () => true,
        () => false,
      );

  it('starts a release from a signed release.published and reports it to success, riding out GitHub 5xx', async () => {
    github.inject({ status: 502, times: 2 });
    const d = await sender.publishRelease({ repository: REPO, tag: 'v1.0.0', body: body('v1.0.0'), sender: 'release-bot' });
    expect(d.status).toBe(202);
    expect(d.response).toMatchObject({ result: 'started', releaseWorkflowId: `release:${h.ns}.llm` });
    const result = await releaseResult();
    expect(result).toMatchObject({ outcome: 'promoted', version: 'v1.0.0' });
    const images = (await h.kube.apps.listNamespacedDeployment({ namespace: h.ns })).items.map(
      (x) => x.spec!.template.spec!.containers[0]!.image,
    );
    expect(images).toEqual([`registry.local/open-autoglm@${digest('v1.0.0')}`]); // the release's image, not the spec file's
    const [dep] = deploymentsOf('v1.0.0');
    const states = github.statuses.get(dep!.id as number)!;
    expect(states.map((s) => s.state)).toEqual(['in_progress', 'success']);
    expect(states[0]).toMatchObject({
      description: 'v1.0.0 started by github:release-bot',
      log_url: `http://temporal.local/namespaces/default/workflows/${encodeURIComponent(`release:${h.ns}.llm`)}`,
    });
    const trigger = await gh.worker.client.workflow.getHandle(githubReleaseWorkflowId('zai-org', NAME, 'v1.0.0')).describe();
    expect(trigger.memo).toMatchObject({ delivery: d.guid });
    // The report: a check run on the commit the tag resolved to, completed with the outcome.
    const runs = github.checkRuns.filter((r) => r.head_sha === github.shaOf('v1.0.0'));
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({
      name: 'autoglm-deploy / production',
      status: 'completed',
      conclusion: 'success',
      output: { title: 'v1.0.0 promoted (initial)' },
    });
    expect((runs[0]!.output as { summary: string }).summary).toContain(`| Service | \`${h.ns}/llm\` |`);
    // Authenticated as the App: JWTs for the installation lookup and token, then installation tokens.
    expect(github.jwtsSeen.length).toBeGreaterThanOrEqual(1);
    expect(github.requests.filter((r) => r.path.endsWith('/access_tokens'))).toHaveLength(1); // minted once, then cached
  });

  it('never starts a second pipeline for a redelivery or a duplicate event', async () => {
    const first = sender.deliveries.find((d) => d.response.result === 'started')!;
    const again = await sender.redeliver(first.guid);
    expect(again.status).toBe(200);
    expect(again.response).toMatchObject({ result: 'duplicate', firstDelivery: first.guid });
    const dup = await sender.publishRelease({ repository: REPO, tag: 'v1.0.0', body: body('v1.0.0') }); // same tag, a new delivery
    expect(dup.response).toMatchObject({ result: 'duplicate', firstDelivery: first.guid });
    const runs = [];
    for await (const w of gh.worker.client.workflow.list({ query: `WorkflowId = 'release:${h.ns}.llm'` })) runs.push(w);
    expect(runs).toHaveLength(1);
    expect(deploymentsOf('v1.0.0')).toHaveLength(1);
  });

  it('refuses missing and bad signatures with 401 and starts nothing', async () => {
    const payload = releasePublishedPayload({ repository: REPO, tag: 'v9.0.0', body: body('v9.0.0') });
    expect((await sender.deliver('release', 'release-published', payload, { signature: null })).status).toBe(401);
    expect((await sender.deliver('release', 'release-published', payload, { secret: 'not-the-secret' })).status).toBe(401);
    const tampered = WebhookSender.sign(SECRET, JSON.stringify({ ...payload, action: 'created' }));
    expect((await sender.deliver('release', 'release-published', payload, { signature: tampered })).status).toBe(401);
    expect(await triggerExists('v9.0.0')).toBe(false);
  });

  it('answers a 30 MB body 413 (read and dropped, not a connection reset), signed or not, and starts nothing', async () => {
    const huge = JSON.stringify({
      ...releasePublishedPayload({ repository: REPO, tag: 'v7.0.0', body: body('v7.0.0') }),
      pad: 'x'.repeat(30 << 20),
    });
    for (const signature of [WebhookSender.sign(SECRET, huge), undefined]) {
      const r = await fetch(receiver.url, {
        method: 'POST',
        body: huge,
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'release',
          'x-github-delivery': `huge-${signature ? 'signed' : 'unsigned'}`,
          ...(signature ? { 'x-hub-signature-256': signature } : {}),
        },
      });
      expect(r.status).toBe(signature ? 413 : 401);
      if (signature) expect(await r.json()).toEqual({ error: 'payload over 25 MB' });
    }
    expect(await triggerExists('v7.0.0')).toBe(false);
  });

  it('answers a malformed release 400 with the reason', async () => {
    const noImage = await sender.publishRelease({ repository: REPO, tag: 'v8.0.0', body: 'no image here' });
    expect(noImage.status).toBe(400);
    expect(noImage.response.error).toMatch(/no "image: .*@sha256:.*" line/);
    const byTag = await sender.publishRelease({ repository: REPO, tag: 'v8.0.1', body: 'image: registry.local/open-autoglm:latest' });
    expect(byTag.status).toBe(400);
    expect(byTag.response.error).toMatch(/not pinned by digest/);
    const badVersion = await sender.publishRelease({ repository: REPO, tag: 'release/8', body: body('x') });
    expect(badVersion.status).toBe(400);
    expect(badVersion.response.error).toMatch(/version/);
    for (const tag of ['v8.0.0', 'v8.0.1', 'release/8']) expect(await triggerExists(tag)).toBe(false);
  });

  it('acknowledges and ignores other events, actions, repositories and pre-releases', async () => {
    const ping = await sender.deliver('ping', 'ping', { zen: 'Keep it logically awesome.', hook_id: 12312312 });
    expect(ping).toMatchObject({ status: 200, response: { result: 'pong' } });
    const created = releasePublishedPayload({ repository: REPO, tag: 'v7.0.0', body: body('v7') });
    const asCreated = await sender.deliver('release', 'release-created', { ...created, action: 'created' });
    expect(asCreated).toMatchObject({ status: 202, response: { result: 'ignored' } });
    const other = await sender.publishRelease({ repository: 'someone/else', tag: 'v7.0.0', body: body('v7') });
    expect(other).toMatchObject({ status: 202, response: { result: 'ignored', reason: 'no service is configured for someone/else' } });
    const pre = await sender.publishRelease({ repository: REPO, tag: 'v7.0.0-rc1', body: body('v7'), prerelease: true });
    expect(pre).toMatchObject({ status: 202, response: { result: 'ignored' } });
    expect(await triggerExists('v7.0.0')).toBe(false);
  });

  it('refuses a release while another runs (409); redelivered after it ends, it starts', async () => {
    const v2 = await sender.publishRelease({ repository: REPO, tag: 'v2.0.0', body: body('v2.0.0') });
    expect(v2.response.result).toBe('started');
    const v3 = await sender.publishRelease({ repository: REPO, tag: 'v3.0.0', body: body('v3.0.0') });
    expect(v3.status).toBe(409);
    expect(v3.response.reason).toMatch(/another release of .*\/llm is running/);
    expect(await releaseResult()).toMatchObject({ outcome: 'promoted', version: 'v2.0.0' });
    const retried = await sender.redeliver(v3.guid);
    expect(retried).toMatchObject({ status: 202, response: { result: 'started' } });
    expect(await releaseResult()).toMatchObject({ outcome: 'promoted', version: 'v3.0.0' });
    expect(deploymentsOf('v3.0.0')).toHaveLength(1);
  });
});
