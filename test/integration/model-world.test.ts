import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { startRelease } from '../../client/releases';
import type { ServiceSpecInput } from '../../core/service-spec';
import { abortUpdate, statusQuery } from '../../workflows/messages';
import { eventually } from '../support/kube';
import { useReleaseHarness } from '../support/harness';
import { testStack } from '../support/stack';

// The model-serving world of the stack: simulated servers for kwok pods (pod runner), traffic
// through the router by Service endpoints or HTTPRoute weights, and Prometheus scraping them.
function call(host: string, path: string, body?: unknown): Promise<{ status: number; revision: string; text: string }> {
  const { routerUrl } = testStack().modelWorld!;
  return new Promise((resolve, reject) => {
    const req = request(
      `${routerUrl}${path}`,
      { method: body ? 'POST' : 'GET', headers: { host, 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, revision: String(res.headers['x-autoglm-revision'] ?? ''), text }));
      },
    );
    req.on('error', reject);
    req.end(body ? JSON.stringify(body) : undefined);
  });
}

describe('model world: simulated servers, router and scraping', () => {
  const h = useReleaseHarness('world', 'file');

  const spec = (version: string, over: Partial<ServiceSpecInput> = {}): ServiceSpecInput => ({
    service: 'chat',
    namespace: h.ns,
    version,
    image: `registry.local/autoglm/model-server@sha256:${createHash('sha256').update(version).digest('hex')}`,
    model: { name: 'open-autoglm-7b' },
    gpu: { pool: 'l4', perReplica: 2 },
    replicas: 2,
    container: { env: { SIM_MODEL_LOAD_DELAY: '2s', SIM_TTFT_MS: '5', SIM_TOKENS_PER_SECOND: '1000' } },
    rollout: { steps: [{ weight: 50, bake: '1s' }] },
    analysis: { enabled: false },
    ...over,
  });
  let v1Revision = '';

  it('serves a released model through the router by its Service: OpenAI API, deterministic at temperature 0', async () => {
    const result = await (await startRelease(h.worker.client, spec('v1'), { taskQueue: h.worker.taskQueue })).result();
    v1Revision = result.revision;
    const host = `chat.${h.ns}`;
    const models = await eventually('models served', async () => {
      const r = await call(host, '/v1/models');
      return r.status === 200 ? r : undefined;
    });
    expect(JSON.parse(models.text).data[0].id).toBe('open-autoglm-7b');
    const ask = () =>
      call(host, '/v1/chat/completions', {
        model: 'open-autoglm-7b',
        messages: [{ role: 'user', content: 'hello' }],
        max_tokens: 6,
        temperature: 0,
      });
    const [a, b] = [await ask(), await ask()];
    expect(a.status).toBe(200);
    expect(a.revision).toBe(v1Revision);
    expect(JSON.parse(a.text).choices[0].message.content).toBe(JSON.parse(b.text).choices[0].message.content);
    expect((await call(`nothing.${h.ns}`, '/v1/models')).status).toBe(503);
  });

  it('registers every model pod with Prometheus, labelled with its revision', async () => {
    const { url } = testStack().prometheus;
    const series = await eventually(
      'model-server targets up',
      async () => {
        const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(`up{job="model-servers",namespace="${h.ns}"}`)}`);
        const body = (await res.json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
        // Labels settle after the Services exist (the track follows them): wait for the final set.
        const up = body.data.result.filter((r) => r.value[1] === '1' && r.metric.track === 'stable');
        return up.length === 2 ? up : undefined;
      },
      30_000,
    );
    expect(series.map((s) => s.metric.revision)).toEqual([v1Revision, v1Revision]);
    expect(series[0]!.metric).toMatchObject({ service: 'chat', version: 'v1', track: 'stable' });
  });

  it('splits requests by the HTTPRoute weights of a Gateway API canary', async () => {
    const gateway = {
      kind: 'gateway-api' as const,
      gateway: { name: 'local', namespace: 'gateway-system' },
      hostnames: [`chat-${h.ns}.example.test`],
    };
    const handle = await startRelease(
      h.worker.client,
      spec('v2', { rollout: { traffic: gateway, steps: [{ weight: 25, gate: 'manual' }] } }),
      { taskQueue: h.worker.taskQueue },
    );
    const status = await eventually(
      'at the gate',
      async () => {
        const st = await handle.query(statusQuery);
        return st.phase === 'awaiting-promotion' ? st : undefined;
      },
      90_000,
    );
    expect(status.weights).toEqual({ stable: 75, canary: 25 });
    const canaryRevision = status.replicas.canary.revision!;
    const tracks = await eventually(
      'canary target labelled',
      async () => {
        const res = await fetch(
          `${testStack().prometheus.url}/api/v1/query?query=${encodeURIComponent(`up{job="model-servers",namespace="${h.ns}"}`)}`,
        );
        const result = ((await res.json()) as { data: { result: { metric: Record<string, string> }[] } }).data.result;
        const canary = result.find((r) => r.metric.revision === canaryRevision);
        return canary?.metric.track === 'canary' ? result : undefined;
      },
      30_000,
    );
    expect(tracks.filter((r) => r.metric.revision === v1Revision).map((r) => r.metric.track)).toEqual(['stable', 'stable']);
    // The canary's pod must be loaded before the router sends it traffic.
    await eventually(
      'canary served',
      async () => ((await call(gateway.hostnames[0]!, '/v1/models')).revision === canaryRevision ? true : undefined),
      30_000,
    );
    const counts = new Map<string, number>();
    for (let i = 0; i < 400; i++) {
      const r = await call(gateway.hostnames[0]!, '/v1/models');
      expect(r.status).toBe(200);
      counts.set(r.revision, (counts.get(r.revision) ?? 0) + 1);
    }
    // 400 draws at p = 0.25: mean 100, sd 8.7; 50..150 is beyond 5 sd.
    expect(counts.get(canaryRevision)).toBeGreaterThan(50);
    expect(counts.get(canaryRevision)).toBeLessThan(150);
    expect(counts.get(v1Revision)! + counts.get(canaryRevision)!).toBe(400);
    await handle.executeUpdate(abortUpdate, { args: [{ reason: 'test over' }] });
    expect((await handle.result()).outcome).toBe('rolled-back');
  });
});
