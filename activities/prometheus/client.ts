/** A small Prometheus HTTP API client: instant and range queries that return plain numbers. */

export class PrometheusError extends Error {
  override name = 'PrometheusError';
  constructor(message: string, readonly kind: 'unavailable' | 'bad-query') {
    super(message);
  }
}

interface ApiAnswer {
  status: 'success' | 'error';
  error?: string;
  errorType?: string;
  data?: { resultType: string; result: { metric: Record<string, string>; value?: [number, string]; values?: [number, string][] }[] };
}

export class Prometheus {
  constructor(readonly baseUrl: string, private readonly opts: { timeoutMs?: number; onRequest?: () => void } = {}) {}

  private async get(path: string, params: Record<string, string>): Promise<NonNullable<ApiAnswer['data']>> {
    this.opts.onRequest?.();
    const url = `${this.baseUrl.replace(/\/$/, '')}${path}?${new URLSearchParams(params)}`;
    let res: Response;
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000) });
    } catch (err) {
      throw new PrometheusError(`${this.baseUrl}: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`, 'unavailable');
    }
    const body = (await res.json().catch(() => undefined)) as ApiAnswer | undefined;
    if (res.status === 400 || res.status === 422) throw new PrometheusError(`bad query ${params.query}: ${body?.error ?? res.statusText}`, 'bad-query');
    if (!res.ok || !body || body.status !== 'success' || !body.data) throw new PrometheusError(`${this.baseUrl}: HTTP ${res.status} ${body?.error ?? ''}`.trim(), 'unavailable');
    return body.data;
  }

  /** The value of a one-sample instant vector (or scalar); undefined when the vector is empty. */
  async value(query: string, atSeconds?: number): Promise<number | undefined> {
    const data = await this.get('/api/v1/query', { query, ...(atSeconds !== undefined ? { time: String(atSeconds) } : {}) });
    if (data.resultType === 'scalar') return Number((data.result as unknown as [number, string])[1]);
    const first = data.result[0]?.value;
    return first ? Number(first[1]) : undefined;
  }

  /** The values of a one-series range query, oldest first. */
  async series(query: string, startSeconds: number, endSeconds: number, stepSeconds: number): Promise<number[]> {
    const data = await this.get('/api/v1/query_range', { query, start: String(startSeconds), end: String(endSeconds), step: String(stepSeconds) });
    return (data.result[0]?.values ?? []).map(([, v]) => Number(v));
  }
}
