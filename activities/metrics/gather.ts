/** Everything one canary analysis reads, asked of any metrics source in its own dialect. */
import type { RawAnalysis, Slos } from '../../core/analysis/checks';
import type { ComparisonMetric, TrackQuery } from '../../core/analysis/dialect';
import type { AnalysisSpec } from '../../core/analysis/spec';
import type { MetricsSource } from './source';

export interface AnalyzeCanaryInput {
  namespace: string;
  service: string;
  canaryRevision: string;
  stableRevision?: string;
  slos: Slos;
  analysis: AnalysisSpec;
}

/** The canary's values over the window, its error ratio per burn-rate window, and canary-vs-baseline series when there is a stable. */
export async function gatherAnalysis(source: MetricsSource, input: AnalyzeCanaryInput, nowSeconds: number): Promise<RawAnalysis> {
  const { dialect } = source;
  const { labels, window, burnRate, comparison } = input.analysis;
  const canary = { namespace: input.namespace, service: input.service, revision: input.canaryRevision };
  const queries = dialect.trackQueries(labels, canary, window);
  const names = Object.keys(queries) as TrackQuery[];
  const values = await Promise.all(names.map((n) => source.instant(queries[n], nowSeconds)));
  const windowsMs = [...new Set(burnRate.windows.flatMap((w) => [w.long, w.short]))];
  const ratios = await Promise.all(windowsMs.map((ms) => source.instant(dialect.errorRatio(labels, canary, ms), nowSeconds)));
  const series: RawAnalysis['series'] = {};
  if (input.stableRevision) {
    const baseline = { ...canary, revision: input.stableRevision };
    const step = comparison.resolution / 1000;
    const start = nowSeconds - window / 1000;
    await Promise.all(
      comparison.metrics.map(async (metric: ComparisonMetric) => {
        const query = dialect.comparison(metric, labels, canary, comparison.resolution);
        const [c, b] = await Promise.all([
          source.range(query, start, nowSeconds, step),
          source.range(dialect.comparison(metric, labels, baseline, comparison.resolution), start, nowSeconds, step),
        ]);
        series[metric] = { canary: c, baseline: b, query };
      }),
    );
  }
  return {
    canary: Object.fromEntries(names.map((n, i) => [n, values[i]]).filter(([, v]) => v !== undefined)),
    queries,
    errorRatioByWindow: Object.fromEntries(
      windowsMs.map((ms, i) => [ms, ratios[i] !== undefined && Number.isFinite(ratios[i]) ? ratios[i] : undefined]),
    ),
    series,
  };
}
