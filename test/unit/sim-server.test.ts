import { behaviourFromEnv, loadDelayOf, performanceAt, quantizationClass } from '../../infra/dev/model-world/behaviour';
import { simulatedServer, vllmServe } from '../../infra/dev/model-world/launch';
import type { SimServer } from '../../infra/dev/model-world/sim-server';
import { freePort } from '../../infra/dev/stack/ports';

// The simulated model server alone, on 127.0.0.1: the OpenAI surface, vLLM metric names,
// configured by vLLM's command line, behaviour from SIM_* env.
const servers: SimServer[] = [];
async function serve(env: Record<string, string>, startedAt = Date.now(), flags: string[] = []) {
  const { command, args } = vllmServe('m', ...flags);
  const s = simulatedServer(command, args, { SIM_TTFT_MS: '5', SIM_TOKENS_PER_SECOND: '2000', ...env }, startedAt);
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
  it('refuses connections while its model loads, as vLLM (port bound, HTTP served once the engine is up), then serves', async () => {
    const port = await freePort();
    const { command, args } = vllmServe('m');
    const s = simulatedServer(command, args, { SIM_MODEL_LOAD_DELAY: '400ms' });
    servers.push(s);
    const listening = s.listen(port);
    const refused = await fetch(`http://127.0.0.1:${port}/health`).then(
      () => false,
      () => true,
    );
    expect(refused).toBe(true);
    expect(await listening).toBe(port);
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    const models = (await (await fetch(`http://127.0.0.1:${port}/v1/models`)).json()) as { data: { id: string }[] };
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
    ]) {
      expect(text).toContain(name);
    }
    expect(text).toMatch(/vllm:request_success_total\{finished_reason="length",model_name="m",engine="0"\} 3/);
    expect(text).toMatch(/vllm:request_success_total\{finished_reason="error",model_name="m",engine="0"\} 0/);
    expect(text).toMatch(/vllm:generation_tokens_total\{model_name="m",engine="0"\} 12/);
    expect(text).toMatch(/vllm:prompt_tokens_total\{model_name="m",engine="0"\} 6/);
  });

  it('fails the configured share of requests with HTTP 500, counted as 5xx', async () => {
    const { url, post } = await serve({ SIM_ERROR_RATE: '1' });
    expect((await post('/v1/completions', { prompt: 'x', max_tokens: 1 })).status).toBe(500);
    expect(await (await fetch(url('/metrics'))).text()).toMatch(
      /http_requests_total\{method="POST",status="5xx",handler="\/v1\/completions"\} 1/,
    );
    expect(await (await fetch(url('/metrics'))).text()).toMatch(
      /vllm:request_success_total\{finished_reason="error",model_name="m",engine="0"\} 1/,
    );
  });

  it('queues requests beyond its concurrency limit', async () => {
    const { s, post } = await serve({ SIM_MAX_CONCURRENCY: '1', SIM_TTFT_MS: '150' });
    const inflight = [post('/v1/completions', { prompt: 'a', max_tokens: 1 }), post('/v1/completions', { prompt: 'b', max_tokens: 1 })];
    await new Promise((r) => setTimeout(r, 50));
    const text = await s.metrics.text();
    expect(text).toMatch(/vllm:num_requests_waiting\{model_name="m",engine="0"\} 1/);
    await Promise.all(inflight.map((p) => p.then((r) => r.text())));
  });

  it('holds the GPU memory SIM_GPU_MEMORY_UTILIZATION says, the fault changing it after its onset (for the dcgm-exporter)', async () => {
    const { s } = await serve({ SIM_GPU_MEMORY_UTILIZATION: '0.5', SIM_FAULT_AFTER: '0s', SIM_FAULT_GPU_MEMORY_UTILIZATION: '0.95' });
    expect(s.gpuMemoryShare()).toBe(0.95);
    const { s: calm } = await serve({ SIM_GPU_MEMORY_UTILIZATION: '0.5' });
    expect(calm.gpuMemoryShare()).toBe(0.5);
    expect(await calm.metrics.text()).not.toContain('DCGM_');
  });

  it('caches prompt prefixes as vLLM does by default: a repeated prompt skips most of its prefill, counted in tokens', async () => {
    const { url, post } = await serve({ SIM_TTFT_MS: '300', SIM_TTFT_SIGMA: '0', SIM_TOKENS_PER_SECOND: '1000' });
    const prompt = 'open the settings page and turn on dark mode, then go back to the home screen please'; // 84 characters: 21 tokens
    const ask = async () => {
      const t0 = Date.now();
      await (await post('/v1/completions', { prompt, max_tokens: 1, temperature: 0.7 })).text();
      return Date.now() - t0;
    };
    const first = await ask();
    const again = await ask();
    expect(first).toBeGreaterThanOrEqual(290);
    expect(again).toBeLessThan(first * 0.6); // 16 of 21 tokens cached: a third of the prefill
    const metrics = await (await fetch(url('/metrics'))).text();
    expect(metrics).toMatch(/vllm:prefix_cache_queries_total\{model_name="m",engine="0"\} 42/);
    expect(metrics).toMatch(/vllm:prefix_cache_hits_total\{model_name="m",engine="0"\} 16/);
  });

  it('caches nothing with --no-enable-prefix-caching', async () => {
    const { url, post } = await serve({}, Date.now(), ['--no-enable-prefix-caching']);
    for (let i = 0; i < 2; i++) await (await post('/v1/completions', { prompt: 'same '.repeat(40), max_tokens: 2 })).text();
    expect(await (await fetch(url('/metrics'))).text()).not.toMatch(/vllm:prefix_cache_hits_total\{[^}]*\} [1-9]/);
  });

  it('serves the names --served-model-name gives, and refuses prompts past --max-model-len as vLLM does', async () => {
    const { url, post } = await serve({}, Date.now(), ['--max-model-len', '32']);
    const models = (await (await fetch(url('/v1/models'))).json()) as { data: { id: string; max_model_len: number }[] };
    expect(models.data).toEqual([expect.objectContaining({ id: 'm', max_model_len: 32 })]);
    const res = await post('/v1/completions', { prompt: 'x'.repeat(100), max_tokens: 16 });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/maximum context length is 32 tokens/);
  });

  it('serves INT8 weights faster, in less GPU memory, loaded sooner', () => {
    const env = { SIM_TTFT_MS: '100', SIM_TOKENS_PER_SECOND: '60', SIM_GPU_MEMORY_UTILIZATION: '0.8', SIM_MODEL_LOAD_DELAY: '10s' };
    const full = behaviourFromEnv(env);
    const int8 = quantizationClass('int8_per_channel_weight_only');
    expect(performanceAt(full, 0, int8)).toMatchObject({ ttftMs: 75, tokensPerSecond: 90 });
    expect(performanceAt(full, 0, int8).gpuMemoryUtilization).toBeCloseTo(0.48);
    expect(performanceAt(full, 0)).toMatchObject({ ttftMs: 100, tokensPerSecond: 60, gpuMemoryUtilization: 0.8 });
    expect(loadDelayOf(full, int8)).toBe(5000);
    expect([quantizationClass('fp8'), quantizationClass('awq'), quantizationClass(undefined)]).toEqual(['fp8', 'int4', 'none']);
  });
});
