import { buildChecks, compareSeries, decide, type RawAnalysis } from '../../core/analysis/checks';
import { AnalysisSpec } from '../../core/analysis/spec';

const analysis = AnalysisSpec.parse({});
const slos = { p95LatencyMs: 2000, errorRate: 0.05, gpuMemoryUtilization: 0.9 };
const healthy = (): RawAnalysis => ({
  canary: { requests: 120, p95E2eSeconds: 1.1, errorRatio: 0, gpuMemory: 0.62, kvCache: 0.1, queue: 0 },
  queries: {},
  errorRatioByWindow: Object.fromEntries(
    analysis.burnRate.windows.flatMap((w) => [
      [w.long, 0],
      [w.short, 0],
    ]),
  ),
  series: { e2e: { canary: [1.0, 1.1, 0.9, 1.05, 1.0], baseline: [1.0, 0.95, 1.1, 1.0, 1.02, 0.98], query: 'q' } },
});

describe('canary checks and the decision', () => {
  it('lets a healthy canary go on, with evidence for every check', () => {
    const checks = buildChecks(healthy(), slos, analysis);
    expect(decide(checks)).toEqual({ action: 'continue', reasons: [] });
    expect(checks.find((c) => c.name === 'P95 latency')).toMatchObject({ verdict: 'pass', value: 1100, threshold: 2000 });
  });

  it.each`
    name | change | action | reason
    ${'P95 over the SLO'} | ${(r: RawAnalysis) => {
      r.canary.p95E2eSeconds = 2.4;
    }} | ${'rollback'} | ${/P95 latency 2400 ms > 2000 ms/}
    ${'error rate over the SLO'} | ${(r: RawAnalysis) => {
      r.canary.errorRatio = 0.08;
    }} | ${'rollback'} | ${/error rate 8.00% > 5.00%/}
    ${'GPU memory over the SLO'} | ${(r: RawAnalysis) => {
      r.canary.gpuMemory = 0.95;
    }} | ${'rollback'} | ${/GPU memory 95.00% > 90.00%/}
    ${'error budget burning fast'} | ${(r: RawAnalysis) => {
      r.errorRatioByWindow = { 120000: 0.1, 15000: 0.2, 600000: 0.01, 60000: 0.01 };
    }} | ${'rollback'} | ${/error budget burn 2m\/15s: burn 20.0× \/ 40.0× > 14.4×/}
    ${'too little canary traffic'} | ${(r: RawAnalysis) => {
      r.canary.requests = 3;
    }} | ${'hold'} | ${/canary answered 3 requests in 1m/}
    ${'no latency data'} | ${(r: RawAnalysis) => {
      delete r.canary.p95E2eSeconds;
    }} | ${'hold'} | ${/P95 latency: no data/}
    ${'NaN from 0/0'} | ${(r: RawAnalysis) => {
      r.canary.errorRatio = NaN;
    }} | ${'hold'} | ${/error rate: no data/}
    ${'Prometheus unreachable'} | ${(r: RawAnalysis) => {
      r.unreachable = 'connect ECONNREFUSED';
    }} | ${'hold'} | ${/Prometheus could not be queried: connect ECONNREFUSED/}
    ${'canary slower than baseline'} | ${(r: RawAnalysis) => {
      r.series.e2e = { canary: [1.6, 1.7, 1.65, 1.8, 1.75, 1.7, 1.72, 1.69, 1.66], baseline: [1.0, 0.95, 1.1, 1.0, 1.02, 0.98, 1.01, 0.99, 1.03], query: 'q' };
    }} | ${'rollback'} | ${/canary vs baseline: e2e: median 1700 ms vs 1000 ms \(\+70%\), Mann-Whitney U=81/}
  `('$name → $action', ({ change, action, reason }) => {
    const raw = healthy();
    change(raw);
    const d = decide(buildChecks(raw, slos, analysis));
    expect(d.action).toBe(action);
    expect(d.reasons.join('\n')).toMatch(reason);
  });

  it('does not fail a significant but small difference (within the tolerance), and holds on marginal evidence', () => {
    const base = [1.0, 1.01, 0.99, 1.0, 1.02, 0.98, 1.0, 1.01, 0.99, 1.0];
    const slightlySlower = base.map((v) => v * 1.05);
    expect(compareSeries('e2e', slightlySlower, base, analysis.comparison).verdict).toBe('pass');
    // 6 vs 6 points, clearly slower, exact p = 0.0011 (one-sided): between failP 0.001 and marginalP 0.01.
    const marginal = compareSeries('e2e', [2, 2.1, 2.2, 2.3, 2.4, 2.5], [1, 1.1, 1.2, 1.3, 1.4, 1.5], analysis.comparison);
    expect(marginal.stats!.p).toBeCloseTo(1 / 924, 6);
    expect(marginal.verdict).toBe('marginal');
    expect(decide([marginal]).action).toBe('hold');
  });

  it('compares error series that are zero on both sides as equal', () => {
    expect(compareSeries('errors', [0, 0, 0, 0], [0, 0, 0, 0], analysis.comparison).verdict).toBe('pass');
    expect(compareSeries('errors', [0.2, 0.3, 0.25, 0.3], [0, 0, 0, 0], analysis.comparison).stats!.effect).toBe(Infinity);
  });
});
