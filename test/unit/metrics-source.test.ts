import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gatherAnalysis } from '../../activities/metrics/gather';
import { PrometheusSource } from '../../activities/metrics/prometheus';
import { MetricsSourceError, type MetricsSource } from '../../activities/metrics/source';
import { buildChecks, decide } from '../../core/analysis/checks';
import type { QueryDialect } from '../../core/analysis/dialect';
import { PROMQL } from '../../core/analysis/queries';
import { AnalysisSpec } from '../../core/analysis/spec';

/** Prometheus' answers as its HTTP API gives them, by query text (a stub on 127.0.0.1, as the adapter tests do). */
const ANSWERS: Record<string, { status: number; body: unknown }> = {
  one: { status: 200, body: { status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [1, '0.25'] }] } } },
  empty: { status: 200, body: { status: 'success', data: { resultType: 'vector', result: [] } } },
  nan: { status: 200, body: { status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [1, 'NaN'] }] } } },
  scalar: { status: 200, body: { status: 'success', data: { resultType: 'scalar', result: [1, '7'] } } },
  series: {
    status: 200,
    body: {
      status: 'success',
      data: {
        resultType: 'matrix',
        result: [
          {
            metric: {},
            values: [
              [1, '1'],
              [2, '2.5'],
            ],
          },
        ],
      },
    },
  },
  'bad(': { status: 400, body: { status: 'error', errorType: 'bad_data', error: 'parse error' } },
  down: { status: 503, body: { status: 'error', error: 'overloaded' } },
};

let server: Server;
let url: string;
let ready = true;
beforeAll(async () => {
  server = createServer((req, res) => {
    const u = new URL(req.url!, 'http://x');
    if (u.pathname === '/-/ready') return void res.writeHead(ready ? 200 : 503).end();
    const a = ANSWERS[u.searchParams.get('query') ?? ''] ?? ANSWERS.empty!;
    res.writeHead(a.status, { 'content-type': 'application/json' }).end(JSON.stringify(a.body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((r) => server.close(r)));

describe('PrometheusSource', () => {
  it.each`
    query       | value
    ${'one'}    | ${0.25}
    ${'empty'}  | ${undefined}
    ${'nan'}    | ${NaN}
    ${'scalar'} | ${7}
  `('instant $query → $value', async ({ query, value }) => {
    expect(await new PrometheusSource({ url }).instant(query, 100)).toEqual(value);
  });

  it('range values oldest first; none for an empty answer', async () => {
    const p = new PrometheusSource({ url });
    expect(await p.range('series', 0, 10, 1)).toEqual([1, 2.5]);
    expect(await p.range('empty', 0, 10, 1)).toEqual([]);
  });

  it.each`
    query     | kind
    ${'bad('} | ${'bad-query'}
    ${'down'} | ${'unavailable'}
  `('$query fails as $kind', async ({ query, kind }) => {
    const err = await new PrometheusSource({ url }).instant(query).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MetricsSourceError);
    expect((err as MetricsSourceError).kind).toBe(kind);
  });

  it('an unreachable server is unavailable, and not online', async () => {
    const gone = new PrometheusSource({ url: 'http://127.0.0.1:9', timeoutMs: 2000 });
    expect(((await gone.instant('one').catch((e: unknown) => e)) as MetricsSourceError).kind).toBe('unavailable');
    expect(await gone.isOnline()).toBe(false);
  });

  it('is online as its readiness endpoint says', async () => {
    const p = new PrometheusSource({ url });
    expect(await p.isOnline()).toBe(true);
    ready = false;
    expect(await p.isOnline()).toBe(false);
    ready = true;
  });
});

describe('gatherAnalysis over any source', () => {
  /** Another source with its own dialect: the analysis asks it only through the interface. */
  const DIALECT: QueryDialect = {
    name: 'table',
    trackQueries: (_l, t) =>
      Object.fromEntries(
        Object.keys(PROMQL.trackQueries(AnalysisSpec.parse({}).labels, t, 60_000)).map((k) => [k, `${k}@${t.revision}`]),
      ) as never,
    errorRatio: (_l, t, w) => `errors@${t.revision}/${w}`,
    comparison: (m, _l, t) => `series:${m}@${t.revision}`,
  };
  const table = (values: Record<string, number>, series: Record<string, number[]>): MetricsSource => ({
    dialect: DIALECT,
    instant: async (q) => values[q.replace(/\/\d+$/, '')],
    range: async (q) => series[q] ?? [],
    isOnline: async () => true,
  });
  const analysis = AnalysisSpec.parse({});
  const slos = { p95LatencyMs: 2000, errorRate: 0.05, gpuMemoryUtilization: 0.9 };
  const input = { namespace: 'models', service: 'llm', canaryRevision: 'c', stableRevision: 's', slos, analysis };

  it("asks in the source's dialect and judges purely: a slow canary is rolled back with its query as evidence", async () => {
    const source = table(
      { 'requests@c': 200, 'p95E2eSeconds@c': 3.2, 'errorRatio@c': 0, 'gpuMemory@c': 0.5, 'errors@c': 0 },
      { 'series:e2e@c': [3, 3.1, 3.2, 3.3, 3.1, 3.2], 'series:e2e@s': [1, 1.1, 0.9, 1, 1.05, 0.95] },
    );
    const raw = await gatherAnalysis(source, input, 1000);
    expect(raw.queries.p95E2eSeconds).toBe('p95E2eSeconds@c');
    expect(raw.series.e2e).toEqual({ canary: [3, 3.1, 3.2, 3.3, 3.1, 3.2], baseline: [1, 1.1, 0.9, 1, 1.05, 0.95], query: 'series:e2e@c' });
    const decision = decide(buildChecks(raw, slos, analysis));
    expect(decision.action).toBe('rollback');
    expect(decision.reasons.join(' ')).toMatch(/P95 latency 3200 ms > 2000 ms/);
  });

  it('without a stable, no comparison series are asked for', async () => {
    const asked: string[] = [];
    const source = { ...table({}, {}), range: async (q: string) => (asked.push(q), []) };
    const { stableRevision: _s, ...first } = input;
    expect((await gatherAnalysis(source, first, 1000)).series).toEqual({});
    expect(asked).toEqual([]);
  });
});
