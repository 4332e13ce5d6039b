/**
 * `npm run bench:serving-options`: what the spec's serving options (server.quantization,
 * server.prefixCaching, rendered as vLLM's --quantization / --[no-]enable-prefix-caching) do to a
 * load test. The same open-loop load (the project's load generator, Poisson, temperature 0,
 * prompts drawn from a pool of 40) against the simulated model server (the one the stack's pods
 * run, started with the same command line) in four configurations side by side: 16-bit weights
 * without prefix caching, FP8, prefix caching (vLLM's default), both. Each configuration gets the
 * same seed, so the same requests. Everything on 127.0.0.1, no stack needed; ~1 minute.
 */
import { runLoad } from '../activities/model-service/loadgen/run';
import { LoadStats } from '../activities/model-service/loadgen/stats';
import { LoadProfile } from '../core/analysis/spec';
import { simulatedServer, vllmServeArgs } from '../infra/dev/model-world/launch';
import { report, round } from './support';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 12);
const RATE = 8;
// As the demo's v1 runs: 80 ms TTFT, 80 tokens/s per request, 62 % of an 80 GiB GPU.
const ENV = { SIM_TTFT_MS: '80', SIM_TOKENS_PER_SECOND: '80', SIM_GPU_MEMORY_UTILIZATION: '0.62' };
const CONFIGS: [string, string[]][] = [
  ['fp16', ['--no-enable-prefix-caching']],
  ['fp8', ['--quantization', 'fp8', '--no-enable-prefix-caching']],
  ['prefix-cache', []],
  ['fp8+prefix-cache', ['--quantization', 'fp8']],
];

const metric = (text: string, name: string) => Number(new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);

async function measure(flags: string[]) {
  const server = simulatedServer(...vllmServeArgs('m', ...flags), ENV, Date.now() - 60_000);
  const port = await server.listen();
  const stats = new LoadStats({});
  const profile = LoadProfile.parse({
    mode: 'poisson',
    rate: RATE,
    warmup: 0,
    promptTokens: { mean: 64, stddev: 16 },
    outputTokens: { mean: 48, stddev: 8 },
    distinctPrompts: 40,
    temperature: 0,
  });
  await runLoad({
    endpoint: { url: new URL(`http://127.0.0.1:${port}`) },
    model: 'm',
    profile,
    fromMs: 0,
    toMs: SECONDS * 1000,
    seed: 11,
    stats,
  });
  const text = await server.metrics.text();
  await server.close();
  const s = stats.summary();
  const queries = metric(text, 'vllm:prefix_cache_queries_total');
  return {
    completed: s.completed,
    errors: s.requests - s.completed,
    ttftP50: round(s.ttft.p50),
    ttftP95: round(s.ttft.p95),
    tpotP50: round(s.tpot.p50, 2),
    e2eP50: round(s.e2e.p50),
    e2eP95: round(s.e2e.p95),
    outputTokensPerSecond: round(s.outputTokensPerSecond),
    cacheHitShare: queries > 0 ? round(metric(text, 'vllm:prefix_cache_hits_total') / queries, 3) : 0,
    gpuMemoryMiB: metric(text, 'DCGM_FI_DEV_FB_USED'),
  };
}

async function main(): Promise<void> {
  const results: Record<string, Awaited<ReturnType<typeof measure>>> = {};
  for (const [name, flags] of CONFIGS) {
    results[name] = await measure(flags);
    console.log(`${name}: ${JSON.stringify(results[name])}`);
  }
  const fp16 = results.fp16!;
  const rows: [string, string | number][] = CONFIGS.map(([name]) => {
    const r = results[name]!;
    return [
      `${name}`,
      `TTFT p50/p95 ${r.ttftP50}/${r.ttftP95} ms · TPOT p50 ${r.tpotP50} ms · E2E p50/p95 ${r.e2eP50}/${r.e2eP95} ms · prefix-cache hits ${(r.cacheHitShare * 100).toFixed(0)} % of prompt tokens · GPU ${r.gpuMemoryMiB} MiB · ${r.completed} ok`,
    ];
  });
  rows.push([
    'E2E p50 against fp16: fp8 / prefix cache / both',
    ['fp8', 'prefix-cache', 'fp8+prefix-cache'].map((n) => `${round(results[n]!.e2eP50 / fp16.e2eP50, 2)}×`).join(' / '),
  ]);
  report(`serving options, ${SECONDS} s at ${RATE} req/s each (Poisson, temperature 0, 40 distinct prompts)`, rows, {
    seconds: SECONDS,
    rate: RATE,
    ...results,
  });
}

main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
