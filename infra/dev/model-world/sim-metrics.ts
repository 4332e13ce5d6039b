import { Counter, Gauge, Histogram, Registry } from 'prom-client';

// vLLM's metric names, types and buckets (vllm/engine/metrics.py, v1 metrics), plus the HTTP
// counter of its API server (prometheus-fastapi-instrumentator) and DCGM's frame-buffer gauges,
// which is where GPU memory comes from in a real cluster.
const TTFT_BUCKETS = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80, 160, 640, 2560];
const TOKEN_LATENCY_BUCKETS = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80];
const REQUEST_LATENCY_BUCKETS = [0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60, 120, 240, 480, 960, 1920, 7680];

export function createSimMetrics(modelName: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ model_name: modelName });
  const r = [registry];
  return {
    registry,
    running: new Gauge({ name: 'vllm:num_requests_running', help: 'Number of requests in model execution batches.', registers: r }),
    waiting: new Gauge({ name: 'vllm:num_requests_waiting', help: 'Number of requests waiting to be processed.', registers: r }),
    kvCache: new Gauge({ name: 'vllm:kv_cache_usage_perc', help: 'KV-cache usage. 1 means 100 percent usage.', registers: r }),
    promptTokens: new Counter({ name: 'vllm:prompt_tokens_total', help: 'Number of prefill tokens processed.', registers: r }),
    generationTokens: new Counter({ name: 'vllm:generation_tokens_total', help: 'Number of generation tokens processed.', registers: r }),
    success: new Counter({
      name: 'vllm:request_success_total',
      help: 'Count of successfully processed requests.',
      labelNames: ['finished_reason'],
      registers: r,
    }),
    ttft: new Histogram({
      name: 'vllm:time_to_first_token_seconds',
      help: 'Histogram of time to first token in seconds.',
      buckets: TTFT_BUCKETS,
      registers: r,
    }),
    itl: new Histogram({
      name: 'vllm:inter_token_latency_seconds',
      help: 'Histogram of inter-token latency in seconds.',
      buckets: TOKEN_LATENCY_BUCKETS,
      registers: r,
    }),
    tpot: new Histogram({
      name: 'vllm:time_per_output_token_seconds',
      help: 'Histogram of time per output token in seconds.',
      buckets: TOKEN_LATENCY_BUCKETS,
      registers: r,
    }),
    e2e: new Histogram({
      name: 'vllm:e2e_request_latency_seconds',
      help: 'Histogram of end to end request latency in seconds.',
      buckets: REQUEST_LATENCY_BUCKETS,
      registers: r,
    }),
    queueTime: new Histogram({
      name: 'vllm:request_queue_time_seconds',
      help: 'Histogram of time spent in WAITING phase for request.',
      buckets: REQUEST_LATENCY_BUCKETS,
      registers: r,
    }),
    // Not vLLM's: the response cache in front of the engine (the spec's model.responseCache).
    cacheQueries: new Counter({
      name: 'autoglm_response_cache_queries_total',
      help: 'Cacheable (temperature 0) requests looked up in the response cache.',
      registers: r,
    }),
    cacheHits: new Counter({ name: 'autoglm_response_cache_hits_total', help: 'Requests answered from the response cache.', registers: r }),
    http: new Counter({
      name: 'http_requests_total',
      help: 'Total number of requests by method, status and handler.',
      labelNames: ['method', 'status', 'handler'],
      registers: r,
    }),
    fbUsed: new Gauge({ name: 'DCGM_FI_DEV_FB_USED', help: 'Framebuffer memory used (in MiB).', labelNames: ['gpu'], registers: r }),
    fbFree: new Gauge({ name: 'DCGM_FI_DEV_FB_FREE', help: 'Framebuffer memory free (in MiB).', labelNames: ['gpu'], registers: r }),
  };
}
export type SimMetrics = ReturnType<typeof createSimMetrics>;
