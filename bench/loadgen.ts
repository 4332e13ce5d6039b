/**
 * npm run bench:loadgen — the project's load generator against one simulated model server
 * (its own process, infra/dev/model-world/serve-one.ts), next to peers in the same run:
 *  1. maximum open-loop rate: streamed requests (1 output token) at rising constant rates, each
 *     STEP_S seconds; a rate is sustained when ≥ 97 % of its requests complete inside the step,
 *     errors stay under 1 % and P99 latency (from the intended send) under 250 ms. Beside it,
 *     `wrk` (Debian package; closed loop, 1 thread, 64 connections) on the same endpoint and body:
 *     its requests/s is the endpoint's ceiling for a C client.
 *  2. TTFT percentiles at 5 req/s (constant, PEER_S seconds, 64-token prompts, 16-token answers)
 *     from this generator and from GuideLLM (PyPI `guidellm` 0.8.1, in a venv under the cache
 *     dir, with a local word-level tokenizer as no model hub is reachable), against a server with
 *     a 120 ms median TTFT. When GuideLLM cannot be installed or run, the reason is printed.
 * Both load tools run alone (one at a time) on 127.0.0.1. Prints a table; the last line is JSON.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLoad } from '../activities/model-service/loadgen/run';
import { LoadStats } from '../activities/model-service/loadgen/stats';
import { LoadProfile } from '../core/analysis/spec';
import { run, which } from '../infra/dev/stack/exec';
import { CACHE_DIR } from '../infra/dev/stack/paths';
import { ensureInstalled } from '../infra/dev/stack/install';
import { report, round } from './support';

const STEP_S = Number(process.env.STEP_S ?? 6);
const PEER_S = Number(process.env.PEER_S ?? 20);
const RATES = [250, 500, 1000, 1500, 2000, 2500, 3000, 4000, 6000, 8000];
const GUIDELLM = process.env.GUIDELLM_VERSION ?? '0.8.1';

async function startSim(env: Record<string, string>): Promise<{ url: string; proc: ChildProcess }> {
  const proc = spawn(process.execPath, [require.resolve('tsx/cli'), join(__dirname, '..', 'infra', 'dev', 'model-world', 'serve-one.ts')], {
    env: { ...process.env, MODEL_NAME: 'm', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    proc.stdout!.on('data', (b: Buffer) => {
      const m = /listening (\d+)/.exec(b.toString());
      if (m) resolve(Number(m[1]));
    });
    proc.on('exit', (code) => reject(new Error(`simulated server exited (${code})`)));
  });
  return { url: `http://127.0.0.1:${port}`, proc };
}

async function ours(url: string, profile: Partial<LoadProfile>, seconds: number) {
  const stats = new LoadStats({});
  await runLoad({
    endpoint: { url: new URL(url) },
    model: 'm',
    profile: LoadProfile.parse({ warmup: 0, ...profile }),
    fromMs: 0,
    toMs: seconds * 1000,
    seed: 3,
    stats,
  });
  return stats.summary();
}

async function maxOpenLoopRate(url: string) {
  let best = 0;
  const steps: { rate: number; achieved: number; p99: number; errors: number }[] = [];
  for (const rate of RATES) {
    const s = await ours(
      url,
      { mode: 'constant', rate, promptTokens: { mean: 16, stddev: 0 }, outputTokens: { mean: 1, stddev: 0 } },
      STEP_S,
    );
    const errors = s.requests - s.completed;
    steps.push({ rate, achieved: round(s.completed / STEP_S, 0), p99: s.e2e.p99, errors });
    console.log(`  open loop ${rate} req/s: ${s.completed}/${rate * STEP_S} completed, P99 ${s.e2e.p99} ms, errors ${errors}`);
    if (s.completed >= 0.97 * rate * STEP_S && errors <= 0.01 * s.requests && s.e2e.p99 < 250) best = rate;
    else break;
  }
  return { best, steps };
}

async function wrk(url: string): Promise<number | string> {
  const program = await which('wrk');
  if (!program) return 'wrk not installed';
  const dir = mkdtempSync(join(tmpdir(), 'wrk-'));
  const body = JSON.stringify({
    model: 'm',
    messages: [{ role: 'user', content: 'tap the settings icon and open display settings please now' }],
    max_tokens: 1,
    stream: true,
  });
  writeFileSync(
    join(dir, 'post.lua'),
    `wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = ${JSON.stringify(body)}\n`,
  );
  const out = await run(program, ['-t1', '-c64', `-d${STEP_S}s`, '-s', join(dir, 'post.lua'), `${url}/v1/chat/completions`]);
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out)?.[1];
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1];
  if (non2xx) console.log(`  wrk: ${non2xx} non-2xx responses`);
  return rps ? Number(rps) : `wrk output not understood: ${out.slice(0, 200)}`;
}

/**
 * A word-level Hugging Face tokenizer written as files: GuideLLM needs one to make synthetic
 * prompts, and none can be downloaded here. Token counts are words, as the simulator counts them.
 */
function localTokenizer(dir: string): string {
  const words = [
    '[UNK]',
    ...'the a model token screen tap swipe open settings search app button scroll type send message back please now and of to in is it'.split(
      ' ',
    ),
  ];
  writeFileSync(
    join(dir, 'tokenizer.json'),
    JSON.stringify({
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: [{ id: 0, content: '[UNK]', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
      normalizer: null,
      pre_tokenizer: { type: 'Whitespace' },
      post_processor: null,
      decoder: null,
      model: { type: 'WordLevel', vocab: Object.fromEntries(words.map((w, i) => [w, i])), unk_token: '[UNK]' },
    }),
  );
  writeFileSync(
    join(dir, 'tokenizer_config.json'),
    JSON.stringify({ tokenizer_class: 'PreTrainedTokenizerFast', unk_token: '[UNK]', model_max_length: 8192 }),
  );
  return dir;
}

async function guidellm(url: string): Promise<{ p50: number; p95: number; p99: number; completed: number } | string> {
  const venv = join(CACHE_DIR, 'venvs', `guidellm-${GUIDELLM}`);
  const exe = join(venv, 'bin', 'guidellm');
  try {
    if (!existsSync(exe)) {
      console.log(`  installing guidellm ${GUIDELLM} into ${venv} (once; it brings torch, about 2 GB)`);
      await run('python3', ['-m', 'venv', venv]);
      await run(join(venv, 'bin', 'pip'), ['install', '-q', `guidellm==${GUIDELLM}`]);
    }
    const dir = mkdtempSync(join(tmpdir(), 'guidellm-'));
    const out = join(dir, 'report.json');
    await run(
      exe,
      [
        'run',
        '--backend',
        `kind=openai_http,target=${url},model=m`,
        '--profile',
        'kind=constant,rate=5',
        '--constraint',
        `kind=max_duration,seconds=${PEER_S}`,
        '--tokenizer',
        `kind=hf_auto,model=${localTokenizer(dir)}`,
        '--data',
        'kind=synthetic_text,prompt_tokens=64,output_tokens=16',
        '--output',
        `kind=json,path=${out}`,
        '--disable-console-interactive',
      ],
      { env: { HF_HUB_OFFLINE: '1' }, cwd: dir },
    );
    return ttftFromGuidellm(JSON.parse(readFileSync(out, 'utf8')));
  } catch (err) {
    return `guidellm did not run: ${(err as Error).message.split('\n').slice(-3).join(' ').slice(0, 300)}`;
  }
}

/** GuideLLM's JSON report: benchmarks[0].metrics.time_to_first_token_ms.successful (percentiles, count). */
function ttftFromGuidellm(report: unknown): { p50: number; p95: number; p99: number; completed: number } | string {
  type Dist = { count?: number; percentiles?: Record<string, number> };
  const ttft = (report as { benchmarks?: { metrics?: { time_to_first_token_ms?: { successful?: Dist } } }[] }).benchmarks?.[0]?.metrics
    ?.time_to_first_token_ms?.successful;
  if (!ttft?.percentiles) return 'guidellm report without TTFT percentiles';
  const p = ttft.percentiles;
  return { p50: round(p.p50 ?? NaN, 1), p95: round(p.p95 ?? NaN, 1), p99: round(p.p99 ?? NaN, 1), completed: ttft.count ?? 0 };
}

async function main(): Promise<void> {
  await ensureInstalled(); // wrk comes with the stack's Debian packages
  const fast = await startSim({ SIM_TTFT_MS: '1', SIM_TTFT_SIGMA: '0', SIM_TOKENS_PER_SECOND: '100000', SIM_MAX_CONCURRENCY: '100000' });
  let open;
  let wrkRps;
  try {
    open = await maxOpenLoopRate(fast.url);
    wrkRps = await wrk(fast.url);
  } finally {
    fast.proc.kill('SIGTERM');
  }
  const real = await startSim({ SIM_TTFT_MS: '120', SIM_TTFT_SIGMA: '0.25', SIM_TOKENS_PER_SECOND: '60' });
  let mine;
  let peer;
  try {
    mine = await ours(
      real.url,
      { mode: 'constant', rate: 5, promptTokens: { mean: 64, stddev: 0 }, outputTokens: { mean: 16, stddev: 0 } },
      PEER_S,
    );
    peer = await guidellm(real.url);
  } finally {
    real.proc.kill('SIGTERM');
  }
  const figures = {
    maxOpenLoopRate: open.best,
    wrkRequestsPerSecond: wrkRps,
    openLoopSteps: open.steps,
    ttftOurs: { p50: mine.ttft.p50, p95: mine.ttft.p95, p99: mine.ttft.p99, completed: mine.completed },
    ttftGuidellm: peer,
    stepSeconds: STEP_S,
    peerSeconds: PEER_S,
    generatorMaxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  report(
    'bench:loadgen (one simulated server on 127.0.0.1; tools one at a time)',
    [
      [`max sustained open-loop rate (req/s, ${STEP_S} s steps, 1-token streams)`, open.best],
      ['wrk, same endpoint and body (req/s, closed loop, 64 connections)', String(wrkRps)],
      ['peak RSS of the generator process (MiB)', figures.generatorMaxRssMiB],
      ['TTFT P50 / P95 / P99 at 5 req/s, this generator (ms)', `${mine.ttft.p50} / ${mine.ttft.p95} / ${mine.ttft.p99}`],
      [
        'TTFT P50 / P95 / P99 at 5 req/s, GuideLLM (ms)',
        typeof peer === 'string' ? peer : `${peer.p50} / ${peer.p95} / ${peer.p99} (${peer.completed} requests)`,
      ],
    ],
    figures,
  );
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    console.error(`bench:loadgen failed: ${err.message}`);
    process.exit(1);
  },
);
