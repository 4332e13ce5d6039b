import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { VLLM } from '../../../core/server/vllm-contract';

// The names, types and labels are vLLM's (core/server/vllm/metrics.json, from its wheel; a test
// holds this file to them). Buckets: vLLM's defaults for these families.
const TTFT_BUCKETS = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80, 160, 640, 2560];
const TOKEN_LATENCY_BUCKETS = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80];
const REQUEST_LATENCY_BUCKETS = [0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60, 120, 240, 480, 960, 1920, 7680];
/** prometheus-fastapi-instrumentator's default buckets for http_request_duration_seconds. */
const HTTP_LATENCY_BUCKETS = [0.1, 0.5, 1];

export function createSimMetrics(modelName: string) {
  // Engine metrics carry model_name and the engine index (default labels); vLLM's HTTP metrics carry neither.
  const engine = new Registry();
  engine.setDefaultLabels({ model_name: modelName, engine: '0' });
  const http = new Registry();
  const e = [engine];
  const labelled = (labelNames: string[] = []) => ({ labelNames, registers: e });
  const metrics = {
    running: new Gauge({ name: 'vllm:num_requests_running', help: 'Number of requests in model execution batches.', ...labelled() }),
    waiting: new Gauge({ name: 'vllm:num_requests_waiting', help: 'Number of requests waiting to be processed.', ...labelled() }),
    kvCache: new Gauge({ name: 'vllm:kv_cache_usage_perc', help: 'KV-cache usage. 1 means 100 percent usage.', ...labelled() }),
    promptTokens: new Counter({ name: 'vllm:prompt_tokens_total', help: 'Number of prefill tokens processed.', ...labelled() }),
    generationTokens: new Counter({ name: 'vllm:generation_tokens_total', help: 'Number of generation tokens processed.', ...labelled() }),
    prefixQueries: new Counter({
      name: 'vllm:prefix_cache_queries_total',
      help: 'Prefix cache queries, in terms of number of queried tokens.',
      ...labelled(),
    }),
    prefixHits: new Counter({
      name: 'vllm:prefix_cache_hits_total',
      help: 'Prefix cache hits, in terms of number of cached tokens.',
      ...labelled(),
    }),
    success: new Counter({
      name: 'vllm:request_success_total',
      help: 'Count of successfully processed requests.',
      ...labelled(['finished_reason']),
    }),
    ttft: new Histogram({
      name: 'vllm:time_to_first_token_seconds',
      help: 'Histogram of time to first token in seconds.',
      buckets: TTFT_BUCKETS,
      ...labelled(),
    }),
    itl: new Histogram({
      name: 'vllm:inter_token_latency_seconds',
      help: 'Histogram of inter-token latency in seconds.',
      buckets: TOKEN_LATENCY_BUCKETS,
      ...labelled(),
    }),
    tpot: new Histogram({
      name: 'vllm:request_time_per_output_token_seconds',
      help: 'Histogram of time_per_output_token_seconds per request.',
      buckets: TOKEN_LATENCY_BUCKETS,
      ...labelled(),
    }),
    e2e: new Histogram({
      name: 'vllm:e2e_request_latency_seconds',
      help: 'Histogram of e2e request latency in seconds.',
      buckets: REQUEST_LATENCY_BUCKETS,
      ...labelled(),
    }),
    queueTime: new Histogram({
      name: 'vllm:request_queue_time_seconds',
      help: 'Histogram of time spent in WAITING phase for request.',
      buckets: REQUEST_LATENCY_BUCKETS,
      ...labelled(),
    }),
    http: new Counter({
      name: 'http_requests_total',
      help: 'Total number of requests by method, status and handler.',
      labelNames: ['method', 'status', 'handler'],
      registers: [http],
    }),
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Latency with only few buckets by handler.',
      labelNames: ['method', 'handler'],
      buckets: HTTP_LATENCY_BUCKETS,
      registers: [http],
    }),
  };
  // vLLM creates a series per finish reason at start, so a reason never seen still reads 0.
  for (const reason of VLLM.finishedReasons) metrics.success.inc({ finished_reason: reason }, 0);
  return {
    ...metrics,
    /** The /metrics page: every registry's text. */
    async text(): Promise<string> {
      return (await Promise.all([engine, http].map((r) => r.metrics()))).join('\n');
    },
    contentType: engine.contentType,
  };
}
export type SimMetrics = ReturnType<typeof createSimMetrics>;
