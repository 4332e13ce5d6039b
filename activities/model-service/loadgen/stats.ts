/**
 * What a load test measured: HDR histograms (3 significant digits, microseconds) per figure,
 * counters, and goodput. Serialisable, so a resumed test merges what it had before.
 */
import * as hdr from 'hdr-histogram-js';
import type { GoodputSlo, RequestFigures } from '../../../core/loadgen/metrics';
import { meetsSlo } from '../../../core/loadgen/metrics';
import type { LoadSummary, Percentiles } from '../../../core/loadgen/summary';

export type { LoadSummary } from '../../../core/loadgen/summary';

const FIGURES = ['ttft', 'tpot', 'itl', 'e2e'] as const;
type Figure = (typeof FIGURES)[number];

// 32-bit counters: several times faster to record than the packed array, a few hundred KiB each.
const histogram = () =>
  hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
    bitBucketSize: 32,
    useWebAssembly: false,
  });

export interface SerializedStats {
  histograms: Record<Figure, string>;
  sent: number;
  completed: number;
  good: number;
  outputTokens: number;
  errors: Record<string, number>;
  measuredMs: number;
}

export class LoadStats {
  private readonly h: Record<Figure, hdr.Histogram>;
  sent = 0;
  completed = 0;
  good = 0;
  outputTokens = 0;
  errors: Record<string, number> = {};
  measuredMs = 0;

  constructor(
    private readonly slo: GoodputSlo,
    from?: SerializedStats,
  ) {
    this.h = Object.fromEntries(
      FIGURES.map((f) => [f, from ? hdr.decodeFromCompressedBase64(from.histograms[f], 32, false) : histogram()]),
    ) as Record<Figure, hdr.Histogram>;
    if (from)
      Object.assign(this, {
        sent: from.sent,
        completed: from.completed,
        good: from.good,
        outputTokens: from.outputTokens,
        errors: { ...from.errors },
        measuredMs: from.measuredMs,
      });
  }

  recordSent(): void {
    this.sent++;
  }

  recordSuccess(f: RequestFigures): void {
    this.completed++;
    this.outputTokens += f.outputTokens;
    const us = (ms: number) => Math.max(1, Math.round(ms * 1000));
    if (f.ttftMs !== undefined) this.h.ttft.recordValue(us(f.ttftMs));
    if (f.tpotMs !== undefined) this.h.tpot.recordValue(us(f.tpotMs));
    for (const gap of f.itlMs) this.h.itl.recordValue(us(gap));
    this.h.e2e.recordValue(us(f.e2eMs));
    if (meetsSlo(f, this.slo)) this.good++;
  }

  recordError(kind: string): void {
    this.errors[kind] = (this.errors[kind] ?? 0) + 1;
  }

  serialize(): SerializedStats {
    const histograms = Object.fromEntries(FIGURES.map((f) => [f, hdr.encodeIntoCompressedBase64(this.h[f])])) as Record<Figure, string>;
    return {
      histograms,
      sent: this.sent,
      completed: this.completed,
      good: this.good,
      outputTokens: this.outputTokens,
      errors: { ...this.errors },
      measuredMs: this.measuredMs,
    };
  }

  summary(): LoadSummary {
    const seconds = Math.max(this.measuredMs, 1) / 1000;
    const pct = (f: Figure): Percentiles => {
      const h = this.h[f];
      const ms = (us: number) => Math.round(us) / 1000;
      return h.totalCount === 0
        ? { mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, max: 0 }
        : (() => {
            // A percentile is reported as its bucket's top value; never above the largest recorded.
            const at = (q: number) => ms(Math.min(h.getValueAtPercentile(q), h.maxValue));
            return { mean: ms(h.mean), p50: at(50), p90: at(90), p95: at(95), p99: at(99), max: ms(h.maxValue) };
          })();
    };
    const failed = Object.values(this.errors).reduce((a, b) => a + b, 0);
    return {
      requests: this.completed + failed,
      completed: this.completed,
      errors: { ...this.errors },
      errorRate: this.completed + failed === 0 ? 0 : failed / (this.completed + failed),
      durationSeconds: seconds,
      requestsPerSecond: this.completed / seconds,
      outputTokensPerSecond: this.outputTokens / seconds,
      ttft: pct('ttft'),
      tpot: pct('tpot'),
      itl: pct('itl'),
      e2e: pct('e2e'),
      goodput: {
        slo: this.slo,
        requestsPerSecond: this.good / seconds,
        share: this.completed + failed === 0 ? 0 : this.good / (this.completed + failed),
      },
    };
  }
}
