import { behaviourFromEnv, loadDelayOf, performanceAt } from '../../infra/dev/model-world/behaviour';
import { SimServer } from '../../infra/dev/model-world/sim-server';

// The simulated model server alone, on 127.0.0.1: the OpenAI surface, vLLM metric names, and
// behaviour from env.
const servers: SimServer[] = [];
async function serve(env: Record<string, string>, startedAt = Date.now()) {
  const s = new SimServer(behaviourFromEnv({ MODEL_NAME: 'm', SIM_TTFT_MS: '5', SIM_TOKENS_PER_SECOND: '2000', ...env }), startedAt);
  servers.push(s);
  const port = await s.listen();
  const url = (p: string) => `http://127.0.0.1:${port}${p}`;
  const post = (p: string, body: unknown) =>
    fetch(url(p), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { s, url, post };
}
afterAll(() => Promise.all(servers.map((s) => s.close())));

describe('behaviour from env', () => {
  it('reads normal and fault performance and switches at the fault time', () => {
    const b = behaviourFromEnv({ SIM_TTFT_MS: '100', SIM_FAULT_AFTER: '30s', SIM_FAULT_TTFT_MS: '3000', SIM_FAULT_ERROR_RATE: '0.5' });
    expect(performanceAt(b, 29_999)).toMatchObject({ ttftMs: 100, errorRate: 0 });
    expect(performanceAt(b, 30_000)).toMatchObject({ ttftMs: 3000, errorRate: 0.5, tokensPerSecond: 60 });
  });
  it('refuses nonsense', () => {
    expect(() => behaviourFromEnv({ SIM_ERROR_RATE: '2' })).toThrow();
    expect(() => behaviourFromEnv({ SIM_MODEL_LOAD_DELAY: 'soon' })).toThrow(/duration/);
  });
});

describe('simulated model server', () => {
  it('answers /health while loading, /v1/models and inference only once loaded', async () => {
    const { url, post } = await serve({ SIM_MODEL_LOAD_DELAY: '300ms' });
    expect((await fetch(url('/health'))).status).toBe(200);
    expect((await fetch(url('/v1/models'))).status).toBe(503);
    expect((await post('/v1/completions', { prompt: 'hi', max_tokens: 2 })).status).toBe(503);
    await new Promise((r) => setTimeout(r, 350));
    const models = (await (await fetch(url('/v1/models'))).json()) as { data: { id: string }[] };
    expect(models.data[0]!.id).toBe('m');
  });

  it('gives the same answer to the same prompt at temperature 0, and another with another salt', async () => {
    const a = await serve({});
    const b = await serve({ SIM_ANSWER_SALT: 'v2' });
    const ask = async (srv: typeof a) => {
      const res = await srv.post('/v1/chat/completions', {
        model: 'm',
        messages: [{ role: 'user', content: 'capital of France?' }],
        max_tokens: 8,
        temperature: 0,
      });
      return ((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content;
    };
    const first = await ask(a);
    expect(await ask(a)).toBe(first);
    expect(first.split(' ')).toHaveLength(8);
    expect(await ask(b)).not.toBe(first);
  });

  it('streams OpenAI-style server-sent events ending in [DONE]', async () => {
    const { post } = await serve({});
    const res = await post('/v1/completions', { model: 'm', prompt: 'once upon a time', max_tokens: 5, stream: true, temperature: 0 });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const events = (await res.text()).split('\n\n').filter(Boolean);
    expect(events[events.length - 1]).toBe('data: [DONE]');
    const chunks = events
      .slice(0, -1)
      .map((e) => JSON.parse(e.replace(/^data: /, '')) as { choices: { text: string; finish_reason: string | null }[] });
    expect(chunks).toHaveLength(5);
    expect(chunks[4]!.choices[0]!.finish_reason).toBe('length');
  });

  it('rejects bad requests and unknown models the way the OpenAI API does', async () => {
    const { post } = await serve({});
    expect((await post('/v1/chat/completions', { messages: [] })).status).toBe(400);
    expect((await post('/v1/completions', { model: 'other', prompt: 'x' })).status).toBe(404);
  });

  it('exposes vLLM metric names with counts that follow the traffic', async () => {
    const { url, post } = await serve({});
    await Promise.all([1, 2, 3].map(() => post('/v1/completions', { prompt: 'abcdefgh', max_tokens: 4 }).then((r) => r.text())));
    const text = await (await fetch(url('/metrics'))).text();
    for (const name of [
      'vllm:time_to_first_token_seconds_bucket',
      'vllm:e2e_request_latency_seconds_count',
      'vllm:inter_token_latency_seconds_sum',
      'vllm:num_requests_running',
      'vllm:num_requests_waiting',
      'vllm:kv_cache_usage_perc',
      'DCGM_FI_DEV_FB_USED',
    ]) {
      expect(text).toContain(name);
    }
    expect(text).toMatch(/vllm:request_success_total\{finished_reason="length",model_name="m"\} 3/);
    expect(text).toMatch(/vllm:generation_tokens_total\{model_name="m"\} 12/);
    expect(text).toMatch(/vllm:prompt_tokens_total\{model_name="m"\} 6/);
  });

  it('fails the configured share of requests with HTTP 500, counted as 5xx', async () => {
    const { url, post } = await serve({ SIM_ERROR_RATE: '1' });
    expect((await post('/v1/completions', { prompt: 'x', max_tokens: 1 })).status).toBe(500);
    expect(await (await fetch(url('/metrics'))).text()).toMatch(
      /http_requests_total\{method="POST",status="5xx",handler="\/v1\/completions",model_name="m"\} 1/,
    );
  });

  it('queues requests beyond its concurrency limit', async () => {
    const { s, post } = await serve({ SIM_MAX_CONCURRENCY: '1', SIM_TTFT_MS: '150' });
    const inflight = [post('/v1/completions', { prompt: 'a', max_tokens: 1 }), post('/v1/completions', { prompt: 'b', max_tokens: 1 })];
    await new Promise((r) => setTimeout(r, 50));
    const text = await s.metrics.registry.getSingleMetricAsString('vllm:num_requests_waiting');
    expect(text).toMatch(/vllm:num_requests_waiting\{model_name="m"\} 1/);
    await Promise.all(inflight.map((p) => p.then((r) => r.text())));
  });

  it('reports GPU memory as DCGM does, and the fault changes it after its onset', async () => {
    const { url } = await serve({
      SIM_GPU_MEMORY_MIB: '1000',
      SIM_GPU_MEMORY_UTILIZATION: '0.5',
      SIM_FAULT_AFTER: '0s',
      SIM_FAULT_GPU_MEMORY_UTILIZATION: '0.95',
    });
    const text = await (await fetch(url('/metrics'))).text();
    expect(text).toMatch(/DCGM_FI_DEV_FB_USED\{gpu="0",model_name="m"\} 950/);
    expect(text).toMatch(/DCGM_FI_DEV_FB_FREE\{gpu="0",model_name="m"\} 50/);
  });

  it('answers a repeated temperature-0 request from the response cache when RESPONSE_CACHE is on, the same words, without waiting', async () => {
    const { url, post } = await serve({ RESPONSE_CACHE: 'true', SIM_TTFT_MS: '200', SIM_TOKENS_PER_SECOND: '100' });
    const ask = async (body: Record<string, unknown>) => {
      const t0 = Date.now();
      const res = (await (await post('/v1/completions', { prompt: 'open settings', max_tokens: 5, ...body })).json()) as {
        choices: { text: string }[];
      };
      return { text: res.choices[0]!.text, ms: Date.now() - t0 };
    };
    const first = await ask({ temperature: 0 });
    const again = await ask({ temperature: 0 });
    expect(again.text).toBe(first.text);
    expect(first.ms).toBeGreaterThanOrEqual(150); // TTFT (log-normal around 200 ms) plus 4 tokens at 100/s
    expect(again.ms).toBeLessThan(first.ms / 2);
    await ask({ temperature: 0.7 }); // not cacheable
    const metrics = await (await fetch(url('/metrics'))).text();
    expect(metrics).toMatch(/autoglm_response_cache_queries_total\{model_name="m"\} 2/);
    expect(metrics).toMatch(/autoglm_response_cache_hits_total\{model_name="m"\} 1/);
  });

  it('caches nothing without RESPONSE_CACHE', async () => {
    const { url, post } = await serve({});
    for (let i = 0; i < 2; i++) await (await post('/v1/completions', { prompt: 'same', max_tokens: 2, temperature: 0 })).text();
    expect(await (await fetch(url('/metrics'))).text()).toMatch(/autoglm_response_cache_hits_total\{model_name="m"\} 0/);
  });

  it('serves INT8 weights faster, in less GPU memory, loaded sooner', () => {
    const env = { SIM_TTFT_MS: '100', SIM_TOKENS_PER_SECOND: '60', SIM_GPU_MEMORY_UTILIZATION: '0.8', SIM_MODEL_LOAD_DELAY: '10s' };
    const full = behaviourFromEnv(env);
    const int8 = behaviourFromEnv({ ...env, QUANTIZATION: 'int8' });
    expect(performanceAt(int8, 0)).toMatchObject({ ttftMs: 75, tokensPerSecond: 90 });
    expect(performanceAt(int8, 0).gpuMemoryUtilization).toBeCloseTo(0.48);
    expect(performanceAt(full, 0)).toMatchObject({ ttftMs: 100, tokensPerSecond: 60, gpuMemoryUtilization: 0.8 });
    expect(loadDelayOf(int8)).toBe(5000);
    expect(() => behaviourFromEnv({ QUANTIZATION: 'int4' })).toThrow();
  });
});
