import { ApplicationFailure } from '@temporalio/activity';
import { buildChecks, decide, type Check, type ComparisonMetric, type Decision, type RawAnalysis, type Slos } from '../../core/analysis/checks';
import { comparisonQuery, errorRatio, trackQueries, type TrackQuery } from '../../core/analysis/queries';
import type { AnalysisSpec } from '../../core/analysis/spec';
import { ErrorType } from '../../core/errors';
import { Prometheus, PrometheusError } from './client';

export interface AnalyzeCanaryInput {
  namespace: string;
  service: string;
  canaryRevision: string;
  stableRevision?: string;
  slos: Slos;
  analysis: AnalysisSpec;
}

export interface AnalysisReport {
  /** When Prometheus was asked (ISO time; the queries' evaluation time). */
  at: string;
  checks: Check[];
  decision: Decision;
}

async function ask(prom: Prometheus, input: AnalyzeCanaryInput, nowSeconds: number): Promise<RawAnalysis> {
  const { labels, window, burnRate, comparison } = input.analysis;
  const canary = { namespace: input.namespace, service: input.service, revision: input.canaryRevision };
  const baseline = input.stableRevision ? { ...canary, revision: input.stableRevision } : undefined;
  const queries = trackQueries(labels, canary, window);
  const names = Object.keys(queries) as TrackQuery[];
  const values = await Promise.all(names.map((n) => prom.value(queries[n], nowSeconds)));
  const windowsMs = [...new Set(burnRate.windows.flatMap((w) => [w.long, w.short]))];
  const ratios = await Promise.all(windowsMs.map((ms) => prom.value(errorRatio(labels, canary, ms), nowSeconds)));
  const series: RawAnalysis['series'] = {};
  if (baseline) {
    const step = comparison.resolution / 1000;
    const start = nowSeconds - window / 1000;
    await Promise.all(
      comparison.metrics.map(async (metric: ComparisonMetric) => {
        const query = comparisonQuery(metric, labels, canary, comparison.resolution);
        const [c, b] = await Promise.all([prom.series(query, start, nowSeconds, step), prom.series(comparisonQuery(metric, labels, baseline, comparison.resolution), start, nowSeconds, step)]);
        series[metric] = { canary: c, baseline: b, query };
      }),
    );
  }
  const baselineRequests = baseline ? await prom.value(trackQueries(labels, baseline, window).requests, nowSeconds) : undefined;
  return {
    canary: Object.fromEntries(names.map((n, i) => [n, values[i]]).filter(([, v]) => v !== undefined)),
    ...(baseline ? { baseline: baselineRequests !== undefined ? { requests: baselineRequests } : {} } : {}),
    queries,
    errorRatioByWindow: Object.fromEntries(windowsMs.map((ms, i) => [ms, ratios[i] !== undefined && Number.isFinite(ratios[i]) ? ratios[i] : undefined])),
    series,
  };
}

/** Activities that talk to Prometheus: one analysis of a canary step. */
export const createPrometheusActivities = (opts: { url?: string; onRequest?: () => void }) => ({
  /**
   * Asks Prometheus everything one check needs and returns the checks with their evidence and the
   * decision. An unreachable Prometheus is not an error here: it is "no data", which never passes
   * and which the workflow waits out within the spec's budget.
   */
  async analyzeCanary(input: AnalyzeCanaryInput): Promise<AnalysisReport> {
    if (!opts.url) throw ApplicationFailure.nonRetryable('canary analysis needs Prometheus: set PROMETHEUS_URL for the worker, or analysis.enabled: false in the spec', ErrorType.InvalidConfig);
    const prom = new Prometheus(opts.url, { timeoutMs: Math.max(2_000, input.analysis.interval), ...(opts.onRequest ? { onRequest: opts.onRequest } : {}) });
    const now = Date.now();
    let raw: RawAnalysis;
    try {
      raw = await ask(prom, input, now / 1000);
    } catch (err) {
      if (!(err instanceof PrometheusError)) throw err;
      if (err.kind === 'bad-query') throw ApplicationFailure.nonRetryable(err.message, ErrorType.InvalidConfig);
      raw = { canary: {}, queries: {}, errorRatioByWindow: {}, series: {}, unreachable: err.message };
    }
    const checks = buildChecks(raw, input.slos, input.analysis);
    return { at: new Date(now).toISOString(), checks, decision: decide(checks) };
  },
});

export type PrometheusActivities = ReturnType<typeof createPrometheusActivities>;
