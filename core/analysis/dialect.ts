/**
 * What a metrics source must be asked to judge a canary, in its own query language: one dialect
 * per kind of source (PromQL for Prometheus and what speaks it). Pure: queries are strings.
 */
import type { AnalysisSpec } from './spec';

export interface TrackSelector {
  namespace: string;
  service: string;
  revision: string;
}

/** The instant values one analysis reads for a track. */
export type TrackQuery =
  'requests' | 'errorRatio' | 'p95E2eSeconds' | 'p95TtftSeconds' | 'p50TtftSeconds' | 'p50E2eSeconds' | 'gpuMemory' | 'kvCache' | 'queue';

export type ComparisonMetric = AnalysisSpec['comparison']['metrics'][number];

export interface QueryDialect {
  readonly name: string;
  /** The instant queries of one check, by name, over `windowMs`. */
  trackQueries(labels: AnalysisSpec['labels'], t: TrackSelector, windowMs: number): Record<TrackQuery, string>;
  /** Share of requests answered with a server error over the window (0 when there were requests and no errors; empty with no requests). */
  errorRatio(labels: AnalysisSpec['labels'], t: TrackSelector, windowMs: number): string;
  /** A range query for the canary-vs-baseline comparison, sampled every `resolutionMs`. */
  comparison(metric: ComparisonMetric, labels: AnalysisSpec['labels'], t: TrackSelector, resolutionMs: number): string;
}
