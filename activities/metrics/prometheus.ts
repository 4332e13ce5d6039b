/** The Prometheus HTTP API as a metrics source: instant and range queries in PromQL that return plain numbers. */
import { PROMQL } from '../../core/analysis/queries';
import { MetricsSourceError, type MetricsSource } from './source';

interface ApiAnswer {
  status: 'success' | 'error';
  error?: string;
  errorType?: string;
  data?: { resultType: string; result: { metric: Record<string, string>; value?: [number, string]; values?: [number, string][] }[] };
}

export interface PrometheusOptions {
  url: string;
  timeoutMs?: number;
  /** Called on every request (benchmarks count them). */
  onRequest?: () => void;
}

export class PrometheusSource implements MetricsSource {
  readonly dialect = PROMQL;
  constructor(private readonly opts: PrometheusOptions) {}

  private get baseUrl(): string {
    return this.opts.url.replace(/\/$/, '');
  }

  private async get(path: string, params: Record<string, string>): Promise<NonNullable<ApiAnswer['data']>> {
    this.opts.onRequest?.();
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}?${new URLSearchParams(params)}`, {
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
      });
    } catch (err) {
      throw new MetricsSourceError(
        `${this.opts.url}: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`,
        'unavailable',
      );
    }
    const body = (await res.json().catch(() => undefined)) as ApiAnswer | undefined;
    if (res.status === 400 || res.status === 422)
      throw new MetricsSourceError(`bad query ${params.query}: ${body?.error ?? res.statusText}`, 'bad-query');
    if (!res.ok || !body || body.status !== 'success' || !body.data)
      throw new MetricsSourceError(`${this.opts.url}: HTTP ${res.status} ${body?.error ?? ''}`.trim(), 'unavailable');
    return body.data;
  }

  async instant(query: string, atSeconds?: number): Promise<number | undefined> {
    const data = await this.get('/api/v1/query', { query, ...(atSeconds !== undefined ? { time: String(atSeconds) } : {}) });
    if (data.resultType === 'scalar') return Number((data.result as unknown as [number, string])[1]);
    const first = data.result[0]?.value;
    return first ? Number(first[1]) : undefined;
  }

  async range(query: string, startSeconds: number, endSeconds: number, stepSeconds: number): Promise<number[]> {
    const data = await this.get('/api/v1/query_range', {
      query,
      start: String(startSeconds),
      end: String(endSeconds),
      step: String(stepSeconds),
    });
    return (data.result[0]?.values ?? []).map(([, v]) => Number(v));
  }

  /** Prometheus' readiness endpoint: 200 once it serves queries. */
  async isOnline(): Promise<boolean> {
    try {
      const res = await fetch(`${this.baseUrl}/-/ready`, { signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000) });
      return res.ok;
    } catch {
      return false;
    }
  }
}
