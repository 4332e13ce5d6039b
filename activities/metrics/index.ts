/** Activities that read a metrics source: one analysis of a canary step. The judging is pure (core/analysis/). */
import { ApplicationFailure } from '@temporalio/activity';
import { buildChecks, decide, type AnalysisReport, type RawAnalysis } from '../../core/analysis/checks';
import { ErrorType } from '../../core/errors';
import { gatherAnalysis, type AnalyzeCanaryInput } from './gather';
import { MetricsSourceError } from './source';
import { metricsSourceFor, type MetricsSourceConfig } from './sources';

export type { AnalyzeCanaryInput };

export const createMetricsActivities = (opts: { source?: MetricsSourceConfig }) => ({
  /**
   * Asks the source everything one check needs and returns the checks with their evidence and the
   * decision. An unreachable source is not an error here: it is "no data", which never passes
   * and which the workflow waits out within the spec's budget.
   */
  async analyzeCanary(input: AnalyzeCanaryInput): Promise<AnalysisReport> {
    if (!opts.source)
      throw ApplicationFailure.nonRetryable(
        'canary analysis needs a metrics source: set PROMETHEUS_URL for the worker, or analysis.enabled: false in the spec',
        ErrorType.InvalidConfig,
      );
    const source = metricsSourceFor(opts.source, Math.max(2_000, input.analysis.interval));
    const now = Date.now();
    let raw: RawAnalysis;
    try {
      raw = await gatherAnalysis(source, input, now / 1000);
    } catch (err) {
      if (!(err instanceof MetricsSourceError)) throw err;
      if (err.kind === 'bad-query') throw ApplicationFailure.nonRetryable(err.message, ErrorType.InvalidConfig);
      raw = { canary: {}, queries: {}, errorRatioByWindow: {}, series: {}, unreachable: err.message };
    }
    const checks = buildChecks(raw, input.slos, input.analysis);
    return { at: new Date(now).toISOString(), checks, decision: decide(checks) };
  },
});

export type MetricsActivities = ReturnType<typeof createMetricsActivities>;
