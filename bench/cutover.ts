/**
 * npm run bench:cutover — on the local stack: constant streaming load (RATE req/s, default 20)
 * through the service's HTTPRoute across whole releases on pool l4 (8 GPUs, 2 a replica): v2 (2
 * replicas) canaries in beside v1 (surge) and is promoted; v3 (4 replicas: the whole pool) swaps
 * through two steps and is promoted; v4 reaches a manual gate and is aborted. Every answer is a streamed chat
 * completion; it counts non-2xx answers and truncated streams (no [DONE], or fewer chunks than
 * asked for) by the phase the release was in when the request started. Target: 0 of ≥ 2000.
 * Prints a table; the last line is one JSON object.
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { followRelease, startRelease, type ReleaseStatus } from '../client/releases';
import type { ServiceSpecInput } from '../core/service-spec';
import { abortUpdate, statusQuery } from '../workflows/messages';
import { benchSpec, report, startBenchWorker } from './support';

const RATE = Number(process.env.RATE ?? 20);
const TOKENS = 16;

type Outcome = 'ok' | 'non2xx' | 'truncated' | 'failed';

/** One streamed completion through the router; what came back. */
function stream(routerUrl: string, host: string): Promise<{ outcome: Outcome; status: number }> {
  return new Promise((resolve) => {
    const body = JSON.stringify({
      model: 'm',
      messages: [{ role: 'user', content: 'hello' }],
      max_tokens: TOKENS,
      stream: true,
      temperature: 0,
    });
    const req = request(
      `${routerUrl}/v1/chat/completions`,
      { method: 'POST', headers: { host, 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d));
        res.on('error', () => resolve({ outcome: 'truncated', status: res.statusCode ?? 0 }));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status < 200 || status >= 300) return resolve({ outcome: 'non2xx', status });
          const events = text.split('\n\n').filter(Boolean);
          const chunks = events.filter((e) => e.startsWith('data: {')).length;
          resolve({ outcome: events[events.length - 1] === 'data: [DONE]' && chunks === TOKENS ? 'ok' : 'truncated', status });
        });
      },
    );
    req.on('error', () => resolve({ outcome: 'failed', status: 0 }));
    req.end(body);
  });
}

const phaseOf = (version: string, st: ReleaseStatus) =>
  `${version} ${st.phase}${st.phase === 'canary' && st.step ? ` step ${st.step.index}/${st.step.of}` : ''}${st.mode ? ` (${st.mode})` : ''}`;

async function main(): Promise<void> {
  const bench = await startBenchWorker('cutover');
  const { worker, taskQueue, client, kube, stack } = bench;
  const routerUrl = stack.modelWorld!.routerUrl;
  const namespace = `bench-cut-${randomBytes(3).toString('hex')}`;
  const host = `${namespace}.cutover.test`;
  await kube.core.createNamespace({ body: { metadata: { name: namespace } } });
  const spec = (version: string, replicas: number, steps: ServiceSpecInput['rollout']['steps']): ServiceSpecInput =>
    benchSpec(namespace, version, {
      gpu: { pool: 'l4', perReplica: 2 },
      replicas,
      container: { env: { SIM_MODEL_LOAD_DELAY: '2s', SIM_TTFT_MS: '40', SIM_TOKENS_PER_SECOND: '80' } },
      analysis: { enabled: false },
      rollout: { traffic: { kind: 'gateway-api', gateway: { name: 'local', namespace: 'gateway-system' }, hostnames: [host] }, steps },
    });

  const byPhase = new Map<string, Record<Outcome, number>>();
  const statuses = new Map<number, number>();
  let phase = 'v1 serving';
  let loading = false;
  const inFlight = new Set<Promise<void>>();
  const runLoad = async () => {
    const start = Date.now();
    for (let i = 0; loading; i++) {
      const wait = start + (i * 1000) / RATE - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const at = phase;
      const p = stream(routerUrl, host).then(({ outcome, status }) => {
        const counts = byPhase.get(at) ?? { ok: 0, non2xx: 0, truncated: 0, failed: 0 };
        counts[outcome]++;
        byPhase.set(at, counts);
        if (outcome !== 'ok') statuses.set(status, (statuses.get(status) ?? 0) + 1);
      });
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    }
  };

  await worker.runUntil(async () => {
    // v1 first, without load: there is nothing to route to yet.
    const v1 = await (await startRelease(client, spec('v1', 2, [{ weight: 50 }]), { taskQueue })).result();
    if (v1.outcome !== 'promoted') throw new Error(`v1 ended ${v1.outcome}`);
    loading = true;
    const load = runLoad();
    const started = Date.now();
    const promote = async (version: string, replicas: number, steps: ServiceSpecInput['rollout']['steps']) => {
      const handle = await startRelease(client, spec(version, replicas, steps), { taskQueue });
      const result = await followRelease(handle, (st) => (phase = phaseOf(version, st)), 200);
      if (result.outcome !== 'promoted') throw new Error(`${version} ended ${result.outcome}`);
      phase = `${version} serving`;
      await new Promise((r) => setTimeout(r, 5000));
    };
    // 2 × 2 of 8 GPUs: room beside the stable (surge); then 4 × 2, the whole pool (swap).
    await promote('v2', 2, [{ weight: 50, bake: '15s' }]);
    await promote('v3', 4, [
      { weight: 25, bake: '15s' },
      { weight: 50, bake: '15s' },
    ]);
    const v4 = await startRelease(client, spec('v4', 4, [{ weight: 25, gate: 'manual' }]), { taskQueue });
    const waitGate = followRelease(v4, (st) => (phase = phaseOf('v4', st)), 200);
    while ((await v4.query(statusQuery)).phase !== 'awaiting-promotion') await new Promise((r) => setTimeout(r, 200));
    await new Promise((r) => setTimeout(r, 10_000));
    await v4.executeUpdate(abortUpdate, { args: [{ reason: 'bench: abort at the gate' }] });
    const r4 = await waitGate.catch((err: Error) => ({ outcome: `failed: ${err.message}` }));
    if (r4.outcome !== 'rolled-back') throw new Error(`v4 ended ${r4.outcome}`);
    phase = 'v3 serving after the abort';
    await new Promise((r) => setTimeout(r, 5000));
    loading = false;
    await load;
    await Promise.all([...inFlight]);
    const seconds = (Date.now() - started) / 1000;
    await kube.core.deleteNamespace({ name: namespace });

    const total = [...byPhase.values()].reduce(
      (t, c) => ({ ok: t.ok + c.ok, non2xx: t.non2xx + c.non2xx, truncated: t.truncated + c.truncated, failed: t.failed + c.failed }),
      { ok: 0, non2xx: 0, truncated: 0, failed: 0 },
    );
    const requests = total.ok + total.non2xx + total.truncated + total.failed;
    const rows: [string, string | number][] = [...byPhase].map(([name, c]) => [
      name,
      `${c.ok + c.non2xx + c.truncated + c.failed} requests · ${c.non2xx} non-2xx · ${c.truncated} truncated · ${c.failed} failed`,
    ]);
    rows.push([
      'all phases',
      `${requests} requests in ${seconds.toFixed(0)} s (${(requests / seconds).toFixed(1)} req/s) · ${total.non2xx} non-2xx · ${total.truncated} truncated · ${total.failed} failed`,
    ]);
    report(`cutover: ${RATE} req/s streaming through the route across a surge release, a swap release and an abort`, rows, {
      rate: RATE,
      seconds: Math.round(seconds),
      requests,
      ...total,
      statuses: Object.fromEntries(statuses),
      phases: Object.fromEntries(byPhase),
    });
  });
  await bench.close();
}

main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
