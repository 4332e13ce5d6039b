import { DiscoveryV1Api } from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { startRelease } from '../../client/releases';
import { ANALYSIS_DEFAULTS } from '../../core/analysis/spec';
import { loopbackOf } from '../../infra/dev/stack/pod-network';
import { gpuMemory } from '../../core/analysis/queries';
import type { ServiceSpecInput } from '../../core/service-spec';
import { abortUpdate, statusQuery } from '../../workflows/messages';
import { eventually } from '../support/kube';
import { useReleaseHarness } from '../support/harness';
import { testStack } from '../support/stack';

// The model-serving world of the stack as production observes it: simulated servers on their
// pods' (loopback) IPs, traffic through the router by the Services' EndpointSlices or HTTPRoute
// weights, Prometheus finding the pods by Kubernetes discovery with the shipped relabelling, and
// GPU memory from the nodes' dcgm-exporters joined to the pods.
interface Answer {
  status: number;
  revision: string;
  upstream: string;
  text: string;
}
function call(host: string, path: string, body?: unknown): Promise<Answer> {
  const { routerUrl } = testStack().modelWorld!;
  return new Promise((resolve, reject) => {
    const req = request(
      `${routerUrl}${path}`,
      { method: body ? 'POST' : 'GET', headers: { host, 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            revision: String(res.headers['x-autoglm-revision'] ?? ''),
            upstream: String(res.headers['x-autoglm-upstream'] ?? ''),
            text,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body ? JSON.stringify(body) : undefined);
  });
}

const promQuery = async (q: string) => {
  const res = await fetch(`${testStack().prometheus.url}/api/v1/query?query=${encodeURIComponent(q)}`);
  return ((await res.json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } }).data.result;
};

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
    server: { probePeriod: '1s' }, // Ready within a second of loading (the default 5 s would pace every test)
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
    // The router went to a pod IP the Service's EndpointSlice lists (at its loopback address on the stack's pod network).
    expect(a.upstream).toMatch(/^127\.64\.\d+\.\d+:8000$/);
    const discovery = h.kube.config.makeApiClient(DiscoveryV1Api);
    const slices = await discovery.listNamespacedEndpointSlice({ namespace: h.ns, labelSelector: 'kubernetes.io/service-name=chat' });
    const addresses = slices.items.flatMap((s) => (s.endpoints ?? []).flatMap((e) => e.addresses));
    expect(addresses.every((ip) => ip.startsWith('198.18.'))).toBe(true);
    expect(addresses.map(loopbackOf)).toContain(a.upstream.split(':')[0]);
    expect(JSON.parse(a.text).choices[0].message.content).toBe(JSON.parse(b.text).choices[0].message.content);
    expect((await call(`nothing.${h.ns}`, '/v1/models')).status).toBe(503);
  });

  it('is found by Prometheus through Kubernetes discovery, labelled by the shipped relabelling', async () => {
    const series = await eventually(
      'model-server targets up',
      async () => {
        const up = (await promQuery(`up{job="model-servers",namespace="${h.ns}"}`)).filter((r) => r.value[1] === '1');
        return up.length === 2 ? up : undefined;
      },
      30_000,
    );
    expect(series.map((s) => s.metric.revision)).toEqual([v1Revision, v1Revision]);
    expect(series[0]!.metric).toMatchObject({ service: 'chat', version: 'v1', container: 'model-server', namespace: h.ns });
    expect(series[0]!.metric.instance).toMatch(/^127\.64\.\d+\.\d+:8000$/);
    expect(series[0]!.metric.pod).toMatch(new RegExp(`^chat-${v1Revision}-`));
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
    // The canary's series as the analysis selects it, with every label discovery and vLLM give it.
    const [canarySeries] = await eventually(
      'canary scraped',
      async () => {
        const r = await promQuery(`vllm:num_requests_running{namespace="${h.ns}",service="chat",revision="${canaryRevision}"}`);
        return r.length === 1 ? r : undefined;
      },
      30_000,
    );
    console.log(`the canary's series, found by Kubernetes discovery: ${JSON.stringify(canarySeries!.metric)}`);
    expect(Object.keys(canarySeries!.metric).sort()).toEqual(
      ['__name__', 'container', 'engine', 'instance', 'job', 'model_name', 'namespace', 'pod', 'revision', 'service', 'version'].sort(),
    );
    expect(canarySeries!.metric).toMatchObject({ job: 'model-servers', model_name: 'open-autoglm-7b', engine: '0', version: 'v2' });
    // GPU memory: the node's dcgm-exporter names the canary pod on its GPUs; the analysis joins the two.
    const dcgm = await eventually('dcgm series of the canary pod', async () => {
      const r = await promQuery(`DCGM_FI_DEV_FB_USED{namespace="${h.ns}",pod="${canarySeries!.metric.pod}"}`);
      return r.length === 2 ? r : undefined; // perReplica: 2 GPUs
    });
    expect(dcgm[0]!.metric).toMatchObject({
      job: 'dcgm-exporter',
      container: 'model-server',
      modelName: expect.stringMatching(/^NVIDIA /),
    });
    expect(dcgm[0]!.metric.Hostname).toMatch(/^gpu-l4-/);
    const tracked = { namespace: h.ns, service: 'chat', revision: canaryRevision };
    const [memory] = await promQuery(gpuMemory(ANALYSIS_DEFAULTS.labels, tracked));
    expect(Number(memory!.value[1])).toBeCloseTo(0.62, 2); // the simulator's default share
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
