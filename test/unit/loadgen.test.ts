import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createModelServiceActivities } from '../../activities/model-service';
import { runLoad } from '../../activities/model-service/loadgen/run';
import { LoadStats } from '../../activities/model-service/loadgen/stats';
import { LoadProfile } from '../../core/analysis/spec';
import { figuresOf, meetsSlo } from '../../core/loadgen/metrics';
import { loadReportMarkdown } from '../../core/loadgen/report';
import { arrivals, sampleLength } from '../../core/loadgen/schedule';
import { seededRandom } from '../../core/random';
import { simulatedServer, vllmServeArgs } from '../../infra/dev/model-world/launch';
import type { SimServer } from '../../infra/dev/model-world/sim-server';

describe('arrival schedules', () => {
  it('spaces a constant rate evenly and a Poisson process by exponential gaps with the same mean', () => {
    expect([...arrivals('constant', 4, 0, 1000, seededRandom(1))]).toEqual([250, 500, 750]);
    const poisson = [...arrivals('poisson', 100, 0, 100_000, seededRandom(42))];
    expect(Math.abs(poisson.length - 10_000) / 10_000).toBeLessThan(0.03);
    const gaps = poisson.slice(1).map((t, i) => t - poisson[i]!);
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    const sd = Math.sqrt(gaps.reduce((a, g) => a + (g - mean) ** 2, 0) / gaps.length);
    expect(Math.abs(sd / mean - 1)).toBeLessThan(0.05); // exponential: sd = mean
  });

  it('draws lengths around their mean, never below one token', () => {
    const r = seededRandom(3);
    const xs = Array.from({ length: 5000 }, () => sampleLength(64, 16, r));
    expect(Math.abs(xs.reduce((a, b) => a + b, 0) / xs.length - 64)).toBeLessThan(1);
    expect(Math.min(...Array.from({ length: 1000 }, () => sampleLength(1, 5, r)))).toBe(1);
  });
});

describe("per-request figures (vllm bench serve's definitions)", () => {
  it('TTFT to the first chunk, ITL every gap, TPOT = (E2E − TTFT) / (tokens − 1)', () => {
    const f = figuresOf({ chunkTimes: [100, 110, 130, 160], endMs: 160, outputTokens: 4 });
    expect(f).toEqual({ ttftMs: 100, tpotMs: 20, e2eMs: 160, itlMs: [10, 20, 30], outputTokens: 4 });
    expect(figuresOf({ chunkTimes: [90], endMs: 90, outputTokens: 1 }).tpotMs).toBeUndefined();
    expect(meetsSlo(f, { ttftMs: 100, e2eMs: 200 })).toBe(true);
    expect(meetsSlo(f, { ttftMs: 99 })).toBe(false);
  });

  it('keeps what it measured across a resume (serialised histograms), and reports it in Markdown', () => {
    const before = new LoadStats({ e2eMs: 100 });
    before.recordSent();
    before.recordSuccess(figuresOf({ chunkTimes: [10, 20], endMs: 20, outputTokens: 2 }));
    before.measuredMs = 1000;
    const after = new LoadStats({ e2eMs: 100 }, JSON.parse(JSON.stringify(before.serialize())));
    after.recordSuccess(figuresOf({ chunkTimes: [300, 310], endMs: 310, outputTokens: 2 }));
    after.recordError('http-5xx');
    const s = after.summary();
    expect(s).toMatchObject({ requests: 3, completed: 2, errors: { 'http-5xx': 1 }, goodput: { share: 1 / 3 } });
    expect(s.ttft.max).toBeCloseTo(300, 0);
    expect(s.ttft.p50).toBeCloseTo(10, 1);
    expect(loadReportMarkdown('t', s)).toMatch(/\| TTFT \| 155\.0 \| 10\.0 \|/);
  });
});

describe('open loop against a real (simulated) server', () => {
  let server: SimServer;
  let url: URL;
  beforeAll(async () => {
    // One request at a time, 50 ms each: 20 req/s at most.
    server = simulatedServer(...vllmServeArgs('m'), {
      SIM_TTFT_MS: '50',
      SIM_TTFT_SIGMA: '0',
      SIM_TOKENS_PER_SECOND: '100000',
      SIM_MAX_CONCURRENCY: '1',
    });
    url = new URL(`http://127.0.0.1:${await server.listen()}`);
  });
  afterAll(() => server.close());
  const profile = (p: object) => LoadProfile.parse({ promptTokens: { mean: 8, stddev: 0 }, outputTokens: { mean: 2, stddev: 0 }, ...p });

  it('counts the queueing of an overloaded server (no coordinated omission), where a closed loop hides it', async () => {
    const open = new LoadStats({});
    await runLoad({
      endpoint: { url },
      model: 'm',
      profile: profile({ mode: 'constant', rate: 40 }),
      fromMs: 0,
      toMs: 2000,
      seed: 1,
      stats: open,
    });
    const closed = new LoadStats({});
    await runLoad({
      endpoint: { url },
      model: 'm',
      profile: profile({ mode: 'concurrency', concurrency: 1 }),
      fromMs: 0,
      toMs: 2000,
      seed: 1,
      stats: closed,
    });
    const o = open.summary();
    const c = closed.summary();
    expect(o.completed).toBe([...arrivals('constant', 40, 0, 2000, seededRandom(1))].length); // every scheduled request was sent and answered, late
    // Twice the server's capacity for 2 s: the last requests wait about a second for their turn.
    expect(o.e2e.max).toBeGreaterThan(1500);
    // The closed loop sees a fraction of that: it waits for each answer before asking again (relative, not a timing bound).
    expect(c.e2e.p99 * 4).toBeLessThan(o.e2e.max);
    expect(c.requestsPerSecond).toBeLessThan(21);
  });
});

describe('the load-test activity after a worker restart', () => {
  let server: SimServer;
  let port: number;
  beforeAll(async () => {
    server = simulatedServer(...vllmServeArgs('m'), { SIM_TTFT_MS: '5', SIM_TOKENS_PER_SECOND: '5000' });
    port = (await server.listen())!;
  });
  afterAll(() => server.close());

  it('resumes from its last heartbeat: the remaining time only, keeping what it had measured', async () => {
    const { runLoadTest } = createModelServiceActivities({ urlTemplate: `http://127.0.0.1:${port}` });
    const input = {
      namespace: 'ns',
      targetService: 'llm',
      model: 'm',
      durationMs: 3000,
      slo: {},
      title: 't',
      profile: LoadProfile.parse({
        mode: 'constant',
        rate: 50,
        promptTokens: { mean: 8, stddev: 0 },
        outputTokens: { mean: 4, stddev: 0 },
      }),
    };
    const first = new MockActivityEnvironment();
    let last: { elapsedMs: number; stats: { completed: number }; resumed: number } | undefined;
    first.on('heartbeat', (d: typeof last) => (last = d));
    const running = first.run(runLoadTest, input).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 1600)); // one heartbeat (at 1 s), then the worker "goes away"
    first.cancel();
    expect(await running).toBeInstanceOf(CancelledFailure);
    expect(last!.elapsedMs).toBeGreaterThanOrEqual(900);
    // Some were measured before it went away (how many depends on the machine's load: ~50 on an idle one).
    expect(last!.stats.completed).toBeGreaterThan(0);

    const started = Date.now();
    const resumed = (await new MockActivityEnvironment({ heartbeatDetails: last }).run(runLoadTest, input)) as Awaited<
      ReturnType<typeof runLoadTest>
    >;
    expect(resumed.resumed).toBe(1);
    expect(Date.now() - started).toBeLessThan(3000 - last!.elapsedMs + 700); // only what was left
    // 50 req/s over the whole 3 s, those before the heartbeat kept, those after it sent again.
    expect(resumed.summary.completed).toBeGreaterThanOrEqual(140);
    expect(resumed.summary.completed).toBeLessThanOrEqual(150 + 10);
  });
});
