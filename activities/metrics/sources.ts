/**
 * The metrics sources the worker can judge canaries from, by kind. Adding one: its file beside
 * prometheus.ts (a MetricsSource, with its dialect in core/analysis/), a config variant here and
 * one case below (docs/extending.md).
 */
import { assertNever } from '../../core/assert-never';
import { PrometheusSource } from './prometheus';
import type { MetricsSource } from './source';

export type MetricsSourceConfig = { kind: 'prometheus'; url: string; onRequest?: () => void };

/** The source `config` names, with each request given at most `timeoutMs`. */
export function metricsSourceFor(config: MetricsSourceConfig, timeoutMs?: number): MetricsSource {
  switch (config.kind) {
    case 'prometheus':
      return new PrometheusSource({
        url: config.url,
        ...(timeoutMs !== undefined ? { timeoutMs } : {}),
        ...(config.onRequest ? { onRequest: config.onRequest } : {}),
      });
    default:
      return assertNever(config.kind);
  }
}
