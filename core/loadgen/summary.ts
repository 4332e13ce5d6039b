/** What a load test reports (times in ms). */
import type { GoodputSlo } from './metrics';

export interface Percentiles {
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

export interface LoadSummary {
  requests: number;
  completed: number;
  errors: Record<string, number>;
  errorRate: number;
  durationSeconds: number;
  requestsPerSecond: number;
  outputTokensPerSecond: number;
  /** ms */
  ttft: Percentiles;
  tpot: Percentiles;
  itl: Percentiles;
  e2e: Percentiles;
  goodput: { slo: GoodputSlo; requestsPerSecond: number; share: number };
}
