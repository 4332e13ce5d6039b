/**
 * npm run bench:webhook — the GitHub webhook receiver on the local stack (Temporal, the project's
 * worker, the GitHub emulator for deployment statuses):
 *   1. latency: signed `release.published` deliveries one after another, each a new tag; from
 *      sending the request to the release workflow's start (its start time on the server) and to
 *      the HTTP answer. Each release is refused at image verification (the digest is not in the
 *      registry), so it ends in a moment and Kubernetes is not involved.
 *   2. throughput: CONCURRENCY senders for SECONDS each, of (a) redeliveries (verify, parse, a
 *      refused workflow start), (b) bad signatures (refused before parsing), (c) new tags (each
 *      starts a githubRelease workflow that starts a release or is refused: one service).
 * Prints a table; the last line is one JSON object.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { stringify } from 'yaml';
import { githubReleaseWorkflowId } from '../client/github-releases';
import { quantile } from '../core/median';
import { loadReceiverConfig } from '../webhook/config';
import { startReceiver } from '../webhook/server';
import { GitHubEmulator } from '../test/support/github/emulator';
import { WebhookSender, releasePublishedPayload } from '../test/support/github/webhooks';
import { report, round, startBenchWorker } from './support';

const SEQUENTIAL = Number(process.env.SEQUENTIAL ?? 50);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 16);
const SECONDS = Number(process.env.SECONDS ?? 8);
const REPO = 'bench/model-server';
const SECRET = 'bench-webhook-secret';

async function main(): Promise<void> {
  const github = new GitHubEmulator();
  await github.start();
  process.env.GITHUB_API_URL = github.url;
  process.env.GITHUB_TOKEN = github.token;
  const b = await startBenchWorker('webhook');
  const running = b.worker.run();
  const registry = b.stack.registry!.host;
  const dir = mkdtempSync(join(tmpdir(), 'bench-webhook-'));
  const { publicKey } = await import('node:crypto').then((c) => ({
    publicKey: c.generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  }));
  writeFileSync(
    join(dir, 'service.yaml'),
    stringify({
      service: 'bench-wh',
      namespace: 'bench-webhook',
      version: 'v0',
      image: `${registry}/bench/absent@sha256:${'0'.repeat(64)}`,
      model: { name: 'm' },
      gpu: { pool: 'l4', perReplica: 1 },
      replicas: 1,
      rollout: { steps: [{ weight: 50 }] },
      supplyChain: { cosignKeys: [publicKey] },
    }),
  );
  writeFileSync(join(dir, 'webhook.yaml'), stringify({ repositories: { [REPO]: { spec: 'service.yaml' } } }));
  const quiet = { info: () => undefined, warn: () => undefined, error: (m: string, f: unknown) => console.error(m, f) };
  const receiver = await startReceiver(
    loadReceiverConfig(join(dir, 'webhook.yaml'), SECRET),
    { client: b.client, taskQueue: b.taskQueue, logger: quiet },
    { host: '127.0.0.1', port: 0 },
  );
  const sender = new WebhookSender(receiver.url, SECRET);
  const run = `${Date.now().toString(36)}`;
  const body = (i: number | string) =>
    `image: ${registry}/bench/absent@sha256:${String(i)
      .padStart(64, '0')
      .slice(-64)
      .replace(/[^0-9]/g, '1')}`;

  // 1. latency, one delivery at a time
  const toStart: number[] = [];
  const toAnswer: number[] = [];
  for (let i = 0; i < SEQUENTIAL; i++) {
    const tag = `v${run}.${i}`;
    const sentAt = Date.now();
    const t = performance.now();
    const d = await sender.publishRelease({ repository: REPO, tag, body: body(i) });
    toAnswer.push(performance.now() - t);
    if (d.response.result !== 'started') throw new Error(`delivery ${i}: ${d.status} ${JSON.stringify(d.response)}`);
    const release = b.client.workflow.getHandle(String(d.response.releaseWorkflowId), String(d.response.releaseRunId));
    const started = (await release.describe()).startTime.getTime();
    toStart.push(started - sentAt);
    await release.result().catch(() => undefined); // refused at verification; the next may start
  }

  // 2. throughput, closed loop
  const payload = releasePublishedPayload({ repository: REPO, tag: `v${run}.0`, body: body(0) });
  const rawPayload = JSON.stringify(payload);
  const redeliveryGuid = sender.deliveries[0]!.guid;
  const post = (signature: string, text: string, guid: string) =>
    fetch(receiver.url, {
      method: 'POST',
      body: text,
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'release',
        'x-github-delivery': guid,
        'x-hub-signature-256': signature,
      },
    });
  async function sustain(
    label: string,
    one: (n: number) => Promise<Response>,
    expect: number[],
  ): Promise<{ label: string; rps: number; p50: number; p99: number; errors: number }> {
    const lat: number[] = [];
    let errors = 0;
    let n = 0;
    const until = performance.now() + SECONDS * 1000;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (performance.now() < until) {
          const t = performance.now();
          const res = await one(n++);
          await res.arrayBuffer();
          lat.push(performance.now() - t);
          if (!expect.includes(res.status)) errors++;
        }
      }),
    );
    return { label, rps: lat.length / SECONDS, p50: quantile(lat, 0.5), p99: quantile(lat, 0.99), errors };
  }
  const good = WebhookSender.sign(SECRET, rawPayload);
  const redelivered = await sustain('redeliveries (200 duplicate)', () => post(good, rawPayload, redeliveryGuid), [200]);
  const badSig = await sustain('bad signatures (401)', () => post(WebhookSender.sign('wrong', rawPayload), rawPayload, 'x'), [401]);
  const fresh = await sustain(
    'new tags (202 started or 409 busy)',
    (n) => {
      const p = JSON.stringify(releasePublishedPayload({ repository: REPO, tag: `v${run}.c${n}`, body: body(n) }));
      return post(WebhookSender.sign(SECRET, p), p, `c-${n}`);
    },
    [202, 409],
  );

  let started = 0;
  for await (const _ of b.client.workflow.list({
    query: `WorkflowType = 'githubRelease' AND WorkflowId STARTS_WITH '${githubReleaseWorkflowId('bench', 'model-server', `v${run}`)}'`,
  }))
    started++;
  const memory = process.memoryUsage().rss / 2 ** 20;
  await receiver.close();
  b.worker.shutdown();
  await running;
  await b.close();
  await github.stop();

  const ms = (x: number) => `${round(x)} ms`;
  const rows: [string, string | number][] = [
    [`delivery → release workflow started, p50 / p99 (n=${SEQUENTIAL})`, `${ms(quantile(toStart, 0.5))} / ${ms(quantile(toStart, 0.99))}`],
    ['delivery → HTTP 202 answer, p50 / p99', `${ms(quantile(toAnswer, 0.5))} / ${ms(quantile(toAnswer, 0.99))}`],
    ...[redelivered, badSig, fresh].map((r): [string, string] => [
      `${r.label}, ${CONCURRENCY} senders: req/s (p50 / p99)`,
      `${round(r.rps)} (${ms(r.p50)} / ${ms(r.p99)})${r.errors ? `, ${r.errors} unexpected` : ''}`,
    ]),
    ['githubRelease workflows started in the run', started],
    ['bench process RSS (receiver + worker + emulator)', `${round(memory)} MiB`],
  ];
  report('webhook receiver (local stack)', rows, {
    bench: 'webhook',
    sequential: SEQUENTIAL,
    concurrency: CONCURRENCY,
    seconds: SECONDS,
    toStartP50Ms: round(quantile(toStart, 0.5)),
    toStartP99Ms: round(quantile(toStart, 0.99)),
    toAnswerP50Ms: round(quantile(toAnswer, 0.5)),
    toAnswerP99Ms: round(quantile(toAnswer, 0.99)),
    redeliveryRps: round(redelivered.rps),
    badSignatureRps: round(badSig.rps),
    newTagRps: round(fresh.rps),
    unexpected: redelivered.errors + badSig.errors + fresh.errors,
    workflowsStarted: started,
    rssMiB: round(memory),
  });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
