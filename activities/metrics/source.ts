/**
 * All the canary analysis asks of a metrics source: instant and range values of queries in the
 * source's dialect, and whether it answers at all. One implementation per kind of source.
 */
import type { QueryDialect } from '../../core/analysis/dialect';

/** `unavailable`: the source did not answer (no data, not a verdict); `bad-query`: retrying cannot help. */
export class MetricsSourceError extends Error {
  override name = 'MetricsSourceError';
  constructor(
    message: string,
    readonly kind: 'unavailable' | 'bad-query',
  ) {
    super(message);
  }
}

export interface MetricsSource {
  /** The language its queries are written in. */
  readonly dialect: QueryDialect;
  /** The value of a one-sample instant vector (or scalar) at `atSeconds` (now if unset); undefined when empty. */
  instant(query: string, atSeconds?: number): Promise<number | undefined>;
  /** The values of a one-series range query, oldest first. */
  range(query: string, startSeconds: number, endSeconds: number, stepSeconds: number): Promise<number[]>;
  /** Whether it answers queries now (never throws). */
  isOnline(): Promise<boolean>;
}
