/**
 * Turns what Prometheus answered into checks with their evidence, and checks into a decision:
 * continue, hold, or roll back. Pure: the activity only fetches.
 */
import { formatDuration } from '../duration';
import { median } from '../median';
import { evaluateBurnRates } from './burn-rate';
import { mannWhitneyU } from './mann-whitney';
import type { ComparisonMetric, TrackQuery } from './dialect';
import type { AnalysisSpec } from './spec';

export type CheckVerdict = 'pass' | 'fail' | 'marginal' | 'nodata' | 'info';

export interface Check {
  name: string;
  verdict: CheckVerdict;
  detail: string;
  value?: number;
  threshold?: number;
  query?: string;
  /** Test statistics (comparison) or burn rates. */
  stats?: Record<string, number>;
}

export interface RawAnalysis {
  canary: Partial<Record<TrackQuery, number>>;
  /** The expressions behind `canary`, by the same names (evidence). */
  queries: Partial<Record<TrackQuery, string>>;
  /** Canary error ratio by window length (ms), for the burn rates. */
  errorRatioByWindow: Record<number, number | undefined>;
  series: Partial<Record<ComparisonMetric, { canary: number[]; baseline: number[]; query: string }>>;
  /** Set when Prometheus could not be asked at all. */
  unreachable?: string;
}

export interface Slos {
  p95LatencyMs: number;
  errorRate: number;
  gpuMemoryUtilization: number;
  ttftP95Ms?: number;
}

export type Action = 'continue' | 'hold' | 'rollback';

export interface Decision {
  action: Action;
  reasons: string[];
}

/** One analysis of a canary step: when the metrics were asked, every check with its evidence, the decision. */
export interface AnalysisReport {
  /** ISO time: the queries' evaluation time. */
  at: string;
  checks: Check[];
  decision: Decision;
}

const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
const ms = (v: number) => `${Math.round(v)} ms`;
const finite = (v: number | undefined): v is number => v !== undefined && Number.isFinite(v);

/** A value that must stay at or below its threshold. */
function limit(
  name: string,
  value: number | undefined,
  threshold: number,
  show: (v: number) => string,
  query: string | undefined,
  enoughTraffic: boolean,
): Check {
  const base = { name, threshold, ...(query ? { query } : {}) };
  if (!enoughTraffic) return { ...base, verdict: 'nodata', detail: `${name}: not enough canary traffic to judge` };
  if (!finite(value)) return { ...base, verdict: 'nodata', detail: `${name}: no data` };
  const over = value > threshold;
  return { ...base, value, verdict: over ? 'fail' : 'pass', detail: `${name} ${show(value)} ${over ? '>' : '≤'} ${show(threshold)}` };
}

export function compareSeries(
  metric: ComparisonMetric,
  canary: number[],
  baseline: number[],
  cfg: AnalysisSpec['comparison'],
  query?: string,
): Check {
  const name = `canary vs baseline: ${metric}`;
  const c = canary.filter(Number.isFinite);
  const b = baseline.filter(Number.isFinite);
  if (c.length < 3 || b.length < 3) {
    return {
      name,
      verdict: 'info',
      detail: `${name}: too few points to compare (${c.length} canary, ${b.length} baseline)`,
      ...(query ? { query } : {}),
    };
  }
  const { u, p } = mannWhitneyU(c, b, 'greater');
  const mc = median(c);
  const mb = median(b);
  const effect = mb === 0 ? (mc === 0 ? 0 : Infinity) : mc / mb - 1;
  const worse = effect > cfg.tolerance;
  const verdict: CheckVerdict = worse && p < cfg.failP ? 'fail' : worse && p < cfg.marginalP ? 'marginal' : 'pass';
  const shown = metric === 'errors' ? pct : (v: number) => ms(v * 1000);
  return {
    name,
    verdict,
    detail: `${name}: median ${shown(mc)} vs ${shown(mb)} (${Number.isFinite(effect) ? `${effect >= 0 ? '+' : ''}${(effect * 100).toFixed(0)}%` : 'from zero'}), Mann-Whitney U=${u}, p=${p.toPrecision(3)} (fail < ${cfg.failP}, marginal < ${cfg.marginalP}, tolerance ${(cfg.tolerance * 100).toFixed(0)}%)`,
    stats: { u, p, canaryMedian: mc, baselineMedian: mb, effect, canaryPoints: c.length, baselinePoints: b.length },
    ...(query ? { query } : {}),
  };
}

export function buildChecks(raw: RawAnalysis, slos: Slos, analysis: AnalysisSpec): Check[] {
  if (raw.unreachable) return [{ name: 'prometheus', verdict: 'nodata', detail: `Prometheus could not be queried: ${raw.unreachable}` }];
  const w = formatDuration(analysis.window);
  const requests = raw.canary.requests;
  const enough = finite(requests) && requests >= analysis.minRequests;
  const checks: Check[] = [
    {
      name: 'canary traffic',
      verdict: enough ? 'pass' : 'nodata',
      detail: `canary answered ${finite(requests) ? Math.round(requests) : 0} requests in ${w} (at least ${analysis.minRequests} needed to judge)`,
      ...(finite(requests) ? { value: requests } : {}),
      threshold: analysis.minRequests,
      ...(raw.queries.requests ? { query: raw.queries.requests } : {}),
    },
    limit(
      'P95 latency',
      finite(raw.canary.p95E2eSeconds) ? raw.canary.p95E2eSeconds * 1000 : undefined,
      slos.p95LatencyMs,
      ms,
      raw.queries.p95E2eSeconds,
      enough,
    ),
    limit('error rate', raw.canary.errorRatio, slos.errorRate, pct, raw.queries.errorRatio, enough),
    limit('GPU memory', raw.canary.gpuMemory, slos.gpuMemoryUtilization, pct, raw.queries.gpuMemory, true),
  ];
  if (slos.ttftP95Ms !== undefined) {
    checks.push(
      limit(
        'P95 time to first token',
        finite(raw.canary.p95TtftSeconds) ? raw.canary.p95TtftSeconds * 1000 : undefined,
        slos.ttftP95Ms,
        ms,
        raw.queries.p95TtftSeconds,
        enough,
      ),
    );
  }
  for (const [name, key, show] of [
    ['KV cache', 'kvCache', pct],
    ['queue', 'queue', (v: number) => `${v} waiting`],
  ] as const) {
    const v = raw.canary[key];
    checks.push({
      name,
      verdict: 'info',
      detail: finite(v) ? `${name} ${show(v)}` : `${name}: no data`,
      ...(finite(v) ? { value: v } : {}),
      ...(raw.queries[key] ? { query: raw.queries[key] } : {}),
    });
  }
  const { objective, windows } = analysis.burnRate;
  for (const e of evaluateBurnRates(objective, windows, (ms) => raw.errorRatioByWindow[ms])) {
    const name = `error budget burn ${formatDuration(e.window.long)}/${formatDuration(e.window.short)}`;
    const rates = `${e.longBurnRate?.toFixed(1) ?? '–'}× / ${e.shortBurnRate?.toFixed(1) ?? '–'}×`;
    checks.push({
      name,
      // A window without requests says nothing; the traffic check already refuses to pass on too little.
      verdict: e.firing ? 'fail' : e.noData ? 'info' : 'pass',
      detail: `${name}: burn ${rates} ${e.firing ? '>' : 'vs'} ${e.window.factor}× (objective ${(objective * 100).toFixed(2)}%)`,
      threshold: e.window.factor,
      stats: {
        ...(e.longBurnRate !== undefined ? { longBurnRate: e.longBurnRate } : {}),
        ...(e.shortBurnRate !== undefined ? { shortBurnRate: e.shortBurnRate } : {}),
      },
    });
  }
  for (const metric of analysis.comparison.metrics) {
    const s = raw.series[metric];
    if (s) checks.push(compareSeries(metric, s.canary, s.baseline, analysis.comparison, s.query));
  }
  return checks;
}

/** Any failed check rolls back; missing data or marginal evidence holds; otherwise the step may go on. */
export function decide(checks: Check[]): Decision {
  const failed = checks.filter((c) => c.verdict === 'fail');
  if (failed.length > 0) return { action: 'rollback', reasons: failed.map((c) => c.detail) };
  const open = checks.filter((c) => c.verdict === 'nodata' || c.verdict === 'marginal');
  if (open.length > 0) return { action: 'hold', reasons: open.map((c) => c.detail) };
  return { action: 'continue', reasons: [] };
}
