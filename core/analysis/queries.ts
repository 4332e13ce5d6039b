/**
 * The PromQL dialect: queries for one track (canary or stable) of a model service, over vLLM's
 * metric names (what vLLM's OpenAI server exports; DCGM for GPU memory). Pure.
 */
import { formatDuration } from '../duration';
import type { QueryDialect, TrackQuery, TrackSelector } from './dialect';
import type { AnalysisSpec } from './spec';

const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"');

export function selector(labels: AnalysisSpec['labels'], t: TrackSelector, extra = ''): string {
  return `{${labels.namespace}="${escape(t.namespace)}",${labels.service}="${escape(t.service)}",${labels.revision}="${escape(t.revision)}"${extra}}`;
}

const quantile = (q: number, metric: string, sel: string, w: string) =>
  `histogram_quantile(${q}, sum by (le) (rate(${metric}_bucket${sel}[${w}])))`;

/** The instant queries of one check, by name, over `windowMs`. */
export function trackQueries(labels: AnalysisSpec['labels'], t: TrackSelector, windowMs: number): Record<TrackQuery, string> {
  const sel = selector(labels, t);
  const w = formatDuration(windowMs);
  return {
    requests: `sum(increase(http_requests_total${sel}[${w}]))`,
    errorRatio: errorRatio(labels, t, windowMs),
    p95E2eSeconds: quantile(0.95, 'vllm:e2e_request_latency_seconds', sel, w),
    p50E2eSeconds: quantile(0.5, 'vllm:e2e_request_latency_seconds', sel, w),
    p95TtftSeconds: quantile(0.95, 'vllm:time_to_first_token_seconds', sel, w),
    p50TtftSeconds: quantile(0.5, 'vllm:time_to_first_token_seconds', sel, w),
    gpuMemory: gpuMemory(labels, t),
    kvCache: `max(vllm:kv_cache_usage_perc${sel})`,
    queue: `sum(vllm:num_requests_waiting${sel})`,
  };
}

/**
 * The fullest GPU frame buffer among the track's pods. dcgm-exporter labels each GPU with the
 * namespace and pod that hold it (from the kubelet's pod-resources); the model server's own
 * series carry the track's labels and its pod, so one joins the other on (namespace, pod).
 */
export function gpuMemory(labels: AnalysisSpec['labels'], t: TrackSelector): string {
  const dcgm = (m: string) => `${m}{namespace="${escape(t.namespace)}"}`;
  const used = `${dcgm('DCGM_FI_DEV_FB_USED')} / (${dcgm('DCGM_FI_DEV_FB_USED')} + ${dcgm('DCGM_FI_DEV_FB_FREE')})`;
  let pods = `max by (${labels.namespace}, ${labels.pod}) (vllm:num_requests_running${selector(labels, t)}) * 0 + 1`;
  // Name the join labels as dcgm-exporter does, whatever the server's series call them.
  if (labels.namespace !== 'namespace') pods = `label_replace(${pods}, "namespace", "$1", "${labels.namespace}", "(.*)")`;
  if (labels.pod !== 'pod') pods = `label_replace(${pods}, "pod", "$1", "${labels.pod}", "(.*)")`;
  return `max((${used}) * on (namespace, pod) group_left () (${pods}))`;
}

/** Share of requests answered 5xx over the window (0 when there were requests and no errors). */
export function errorRatio(labels: AnalysisSpec['labels'], t: TrackSelector, windowMs: number): string {
  const w = formatDuration(windowMs);
  // No 5xx series at all means no errors (or vector(0)); no requests at all stays empty: no data.
  return `(sum(rate(http_requests_total${selector(labels, t, ',status="5xx"')}[${w}])) or vector(0)) / sum(rate(http_requests_total${selector(labels, t)}[${w}]))`;
}

/** Range-query expressions for the canary-vs-baseline comparison, sampled every `resolutionMs`. */
export function comparisonQuery(
  metric: 'ttft' | 'e2e' | 'errors',
  labels: AnalysisSpec['labels'],
  t: TrackSelector,
  resolutionMs: number,
): string {
  // Each point covers a few scrape intervals, so points are (nearly) independent samples.
  const windowMs = Math.max(resolutionMs * 2, 10_000);
  if (metric === 'errors') return errorRatio(labels, t, windowMs);
  const w = formatDuration(windowMs);
  const sel = selector(labels, t);
  const name = metric === 'ttft' ? 'vllm:time_to_first_token_seconds' : 'vllm:e2e_request_latency_seconds';
  return `sum(rate(${name}_sum${sel}[${w}])) / sum(rate(${name}_count${sel}[${w}]))`;
}

export const PROMQL: QueryDialect = { name: 'promql', trackQueries, errorRatio, comparison: comparisonQuery };
