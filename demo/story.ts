/**
 * The demo's story (`npm run demo` without --scenario), told with live progress.
 *   1. the real stack comes up (Temporal, Kubernetes with kwok GPU pools, Prometheus, registry,
 *      the simulated model servers and their router);
 *   2. two model-server images are built, pushed and cosign-signed; releases use their digests;
 *   3. v1 is released onto the a100 pool (it fills it);
 *   4. v2 canaries through a Gateway API route, 25 % then 50 %, with live traffic through the
 *      router; the full pool makes the planner swap; v2 is promoted;
 *      each step judged by the canary analysis (Prometheus checks, burn rates, canary vs
 *      baseline) under load from the project's load generator;
 *   5. v2.1 canaries with a latency fault that starts seconds in: the analysis rolls it back
 *      on its own and says why;
 *   6. an unsigned image is refused (only images signed with the stack's key may deploy);
 *   7. a release that needs GPUs the pool does not have is refused before anything changes;
 *   8. on call, a person rolls autoglm back to v1: traffic moves as soon as v1 is loaded again;
 *   9. a disaster-recovery drill of a small service on the l4 pool: backup (objects, a sealed
 *      Secret, model files), restore into an isolated namespace, verified, RTO/RPO, cleaned up.
 * It ends with a table of the figures. The stack stays up afterwards.
 * Steps 3–8 are also shipped as scenario files (examples/scenarios/), which `--scenario` runs.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { onProgressChange, printWhenChanged } from '../cli/progress';
import { rollbackLine } from '../cli/rollback';
import { followDrill, startDrill } from '../client/drills';
import { followRollback, startRollback } from '../client/rollbacks';
import { releaseFailureOf } from '../client/release-failure';
import { failureText } from '../client/workflow-failure';
import { followRelease, startRelease } from '../client/releases';
import type { ServiceSpecInput } from '../core/service-spec';
import { publishImage } from '../infra/dev/image/publish';
import type { ReleaseResult } from '../core/release/types';
import { freshNamespace, openDemoSession } from './session';

const step = (msg: string) => console.log(`\n▶ ${msg}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** How a release that was meant to fail ended, from its failure's typed details. */
function outcomeLine(err: unknown, expected: 'refused' | 'rolled-back'): string {
  const failure = releaseFailureOf(err);
  if (failure?.outcome === expected)
    return `${expected === 'refused' ? 'refused' : 'rolled back'} (in ${failure.failedIn}): ${failure.reason}`;
  return `unexpected: expected ${expected}, got ${failure ? `${failure.outcome}: ${failure.reason}` : failureText(err)}`;
}
const secs = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)}s`;
const NAMESPACE = 'models';
const HOST = 'autoglm.models.local';

export async function runStory(stackName: string): Promise<void> {
  const t0 = Date.now();
  const figures: [string, string][] = [];

  step('bringing the local stack up');
  let since = Date.now();
  const { stack, worker, client, close, taskQueue, kube } = await openDemoSession(stackName);
  figures.push(['stack up', secs(since)]);
  console.log(
    `  Temporal ${stack.temporal!.address} (UI ${stack.temporal!.uiUrl}) · apiserver ${stack.kubernetes!.server} · Prometheus ${stack.prometheus!.url} · router ${stack.modelWorld!.routerUrl}`,
  );

  step('building, pushing and signing two model-server images (crane + cosign)');
  since = Date.now();
  const tag = Date.now().toString(36);
  const [v1, v2] = await Promise.all(
    ['v1', 'v2'].map((v) =>
      publishImage(stack, { repository: 'autoglm/model-server', tag: `${v}-${tag}`, files: { 'opt/model/VERSION': `${v}\n` } }),
    ),
  );
  figures.push(['images pushed and signed', secs(since)]);
  console.log(`  v1 ${v1!.reference}\n  v2 ${v2!.reference}`);
  await freshNamespace(kube, NAMESPACE);

  const spec = (
    version: string,
    image: string,
    over: Partial<ServiceSpecInput['rollout']> = {},
    env: Record<string, string> = {},
  ): ServiceSpecInput => ({
    service: 'autoglm',
    namespace: NAMESPACE,
    version,
    image,
    model: { name: 'open-autoglm-7b', loadBudget: '5m' },
    gpu: { pool: 'a100', perReplica: 8 },
    replicas: 2,
    container: { env: { SIM_MODEL_LOAD_DELAY: '3s', SIM_TTFT_MS: '80', SIM_TOKENS_PER_SECOND: '80', ...env } },
    // Each step is judged every 3 s over the last 20 s (short, for the demo's sake).
    analysis: { interval: '3s', window: '20s', minRequests: 10, noDataBudget: '30s' },
    loadTest: { mode: 'poisson', rate: 8, promptTokens: { mean: 64, stddev: 16 }, outputTokens: { mean: 24, stddev: 6 } },
    // Only images signed with the stack's cosign key may be deployed.
    supplyChain: { cosignKeys: [readFileSync(v1!.publicKeyPath, 'utf8')] },
    rollout: {
      traffic: { kind: 'gateway-api', gateway: { name: 'local', namespace: 'gateway-system' }, hostnames: [HOST] },
      steps: [
        { weight: 25, bake: '12s' },
        { weight: 50, bake: '12s' },
      ],
      ...over,
    },
  });

  await worker.runUntil(async () => {
    step('releasing v1 of autoglm onto the a100 pool (2 replicas × 8 GPUs: the whole pool)');
    since = Date.now();
    const r1 = await follow(await startRelease(client, spec('v1.0.0', v1!.reference), { taskQueue, requestedBy: 'demo' }));
    figures.push([`v1 first release (${r1.outcome})`, secs(since)]);
    console.log(`  image verified: ${r1.status.image?.signatures.map((sig) => `${sig.format} signature by key ${sig.keyId}`).join(', ')}`);

    step('canary of v2 through the Gateway API route, with live traffic; the pool is full, so the planner swaps');
    const traffic = new TrafficProbe(stack.modelWorld!.routerUrl, HOST);
    await traffic.until(async () => traffic.total > 0);
    since = Date.now();
    const handle = await startRelease(client, spec('v2.0.0', v2!.reference), { taskQueue, requestedBy: 'demo' });
    const r2 = await follow(handle, (line) => `${line} | traffic seen ${traffic.describe(r1.revision)}`);
    traffic.stop();
    figures.push([`v2 canary 25 % → 50 % → promoted (${r2.mode})`, secs(since)]);
    figures.push(['requests answered during the canary (errors)', `${traffic.total} (${traffic.errors})`]);
    const lastLoad = r2.status.loadTests?.at(-1);
    if (lastLoad) {
      const l = lastLoad.summary;
      console.log(
        `  load test, step ${lastLoad.step}: ${l.completed}/${l.requests} ok, ${l.requestsPerSecond.toFixed(1)} req/s, TTFT P50/P95 ${l.ttft.p50}/${l.ttft.p95} ms, E2E P95 ${l.e2e.p95} ms, goodput ${(l.goodput.share * 100).toFixed(0)} %`,
      );
    }
    console.log(
      `  last analysis: ${r2.status.analysis?.checks
        .filter((c) => c.verdict !== 'info')
        .map((c) => c.detail)
        .join('\n                 ')}`,
    );

    step('canary of v2.1, whose latency degrades 5 s after it starts: the analysis rolls it back on its own');
    since = Date.now();
    const faulty = spec(
      'v2.1.0',
      v2!.reference,
      { steps: [{ weight: 50, bake: '2m' }] },
      { SIM_FAULT_AFTER: '5s', SIM_FAULT_TTFT_MS: '2500' },
    );
    faulty.loadTest = { ...faulty.loadTest!, target: 'canary' };
    const rolledBack = await follow(await startRelease(client, faulty, { taskQueue, requestedBy: 'demo' })).catch((e: unknown) => e);
    console.log(`  ${outcomeLine(rolledBack, 'rolled-back')}`);
    figures.push(['faulty canary rolled back automatically', secs(since)]);

    step('an unsigned image is refused before anything reaches the cluster');
    since = Date.now();
    const unsigned = await publishImage(stack, {
      repository: 'autoglm/model-server',
      tag: `unsigned-${tag}`,
      sign: [],
      files: { 'opt/model/VERSION': 'unsigned\n' },
    });
    const refusal = await (
      await startRelease(client, spec('v2.0.1', unsigned.tagged), { taskQueue, requestedBy: 'demo' })
    )
      .result()
      .catch((e: unknown) => e);
    console.log(`  ${outcomeLine(refusal, 'refused')}`);
    figures.push(['unsigned image refused', secs(since)]);

    step('a release that needs more GPUs than the pool has is refused before anything changes');
    since = Date.now();
    const big = { ...spec('v3.0.0', v1!.reference, { allowSwap: false }), replicas: 3 };
    const err = await (await startRelease(client, big, { taskQueue, requestedBy: 'demo' })).result().catch((e: unknown) => e);
    console.log(`  ${outcomeLine(err, 'refused')}`);
    figures.push(['capacity refusal', secs(since)]);

    step('on call: a person rolls autoglm back to what served before v2 (v1), with live progress');
    since = Date.now();
    const rollback = await startRollback(
      client,
      { namespace: NAMESPACE, service: 'autoglm', reason: 'customer reports worse answers since v2', requestedBy: 'on-call' },
      { taskQueue },
    );
    const printRollback = printWhenChanged((line) => console.log(`  ${line}`));
    const rb = await followRollback(client, rollback, (p) => printRollback(rollbackLine(p, Date.now() - since)));
    console.log(`  → ${rb.outcome}: ${NAMESPACE}/autoglm serves ${rb.status.target?.version} again`);
    figures.push([`on-call rollback to ${rb.status.target?.version} (done)`, secs(since)]);

    step('a disaster-recovery drill of autoglm-lite (l4 pool): backup, restore into isolation, verify, RTO/RPO, clean up');
    const lite: ServiceSpecInput = {
      service: 'autoglm-lite',
      namespace: NAMESPACE,
      version: 'v1.0.0',
      image: v1!.reference,
      model: { name: 'open-autoglm-lite' },
      gpu: { pool: 'l4', perReplica: 1 },
      replicas: 1,
      container: { env: { SIM_MODEL_LOAD_DELAY: '2s' } },
      rollout: { steps: [{ weight: 50 }] },
    };
    await (await startRelease(client, lite, { taskQueue, requestedBy: 'demo' })).result();
    await kube.core.createNamespacedSecret({
      namespace: NAMESPACE,
      body: {
        metadata: { name: 'autoglm-lite-token', labels: { 'app.kubernetes.io/name': 'autoglm-lite' } },
        stringData: { token: randomBytes(16).toString('hex') },
      },
    });
    const models = mkdtempSync(join(tmpdir(), 'demo-models-'));
    for (let i = 0; i < 2; i++) writeFileSync(join(models, `model-0000${i + 1}-of-00002.safetensors`), randomBytes(16 * 2 ** 20));
    since = Date.now();
    const drill = await startDrill(
      client,
      {
        namespace: NAMESPACE,
        service: 'autoglm-lite',
        modelStore: { path: models },
        backupStore: { path: mkdtempSync(join(tmpdir(), 'demo-backups-')) },
      },
      { taskQueue },
    );
    let lastPhase = '';
    const d = await followDrill(
      drill,
      (st) => {
        if (st.phase !== lastPhase)
          console.log(
            `  [${secs(since).padStart(6)}] drill ${(lastPhase = st.phase)}${st.phase === 'restoring' ? ` into ${st.isolatedNamespace}` : ''}`,
          );
      },
      200,
    );
    console.log(
      `  → ${d.outcome}: backup ${(d.backup.bytes / 2 ** 20).toFixed(0)} MiB (${d.backup.objects} objects, Secrets sealed) in ${(d.backup.durationMs / 1000).toFixed(2)} s · RTO ${(d.figures.rtoMs / 1000).toFixed(1)} s (target ${d.figures.targets.rtoMs / 1000} s) · RPO ${(d.figures.rpoMs / 1000).toFixed(1)} s (target ${d.figures.targets.rpoMs / 1000} s) · golden prompts ${d.golden?.compared ?? 0} answered alike`,
    );
    figures.push([`DR drill ${d.outcome}: RTO / RPO`, `${(d.figures.rtoMs / 1000).toFixed(1)}s / ${(d.figures.rpoMs / 1000).toFixed(1)}s`]);
    figures.push(['DR drill total (backup, restore, verify, clean up)', secs(since)]);
  });
  await close();

  figures.push(['total', secs(t0)]);
  step('summary');
  for (const [what, value] of figures) console.log(`  ${what.padEnd(48)} ${value}`);
  console.log(
    `\nThe stack stays up: curl -H 'Host: ${HOST}' ${stack.modelWorld!.routerUrl}/v1/models · npm run stack:status -- --name ${stack.name} · npm run stack:down -- --name ${stack.name}`,
  );
}

async function follow(
  handle: Awaited<ReturnType<typeof startRelease>>,
  decorate: (line: string) => string = (l) => l,
): Promise<ReleaseResult> {
  const r = await followRelease(
    handle,
    onProgressChange((line) => console.log(`  ${decorate(line)}`)),
  );
  console.log(`  → ${r.outcome} ${r.version} (revision ${r.revision}${r.mode ? `, ${r.mode}` : ''})`);
  return r;
}

/** Sends a steady trickle of chat requests through the router and counts answers by revision. */
class TrafficProbe {
  total = 0;
  errors = 0;
  private readonly byRevision = new Map<string, number>();
  private running = true;
  constructor(routerUrl: string, host: string) {
    void (async () => {
      while (this.running) {
        const revision = await chat(routerUrl, host).catch(() => undefined);
        if (revision === undefined) this.errors++;
        else this.byRevision.set(revision, (this.byRevision.get(revision) ?? 0) + 1);
        this.total++;
        await sleep(40);
      }
    })();
  }
  async until(cond: () => Promise<boolean>): Promise<void> {
    while (!(await cond())) await sleep(100);
  }
  describe(stableRevision: string): string {
    const stable = this.byRevision.get(stableRevision) ?? 0;
    const canary = [...this.byRevision.entries()].filter(([r]) => r !== stableRevision).reduce((n, [, c]) => n + c, 0);
    return `v1 ${stable} / v2 ${canary}`;
  }
  stop(): void {
    this.running = false;
  }
}

function chat(routerUrl: string, host: string): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${routerUrl}/v1/chat/completions`,
      { method: 'POST', headers: { host, 'content-type': 'application/json' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode === 200 ? String(res.headers['x-autoglm-revision']) : undefined));
      },
    );
    req.on('error', reject);
    req.end(
      JSON.stringify({
        model: 'open-autoglm-7b',
        messages: [{ role: 'user', content: 'Plan a trip to Hangzhou.' }],
        max_tokens: 8,
        temperature: 0,
      }),
    );
  });
}
