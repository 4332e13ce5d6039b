/**
 * The Prometheus metrics vLLM's engine exports, read from `vllm/v1/metrics/loggers.py`: each
 * `self._gauge_cls(...)`, `_counter_cls(...)` and `_histogram_cls(...)` call with its `name=` and
 * `labelnames=` (a list, the function's `labelnames` variable, or that plus more). Counters are
 * exposed with prometheus_client's `_total` suffix.
 */
import type { MetricContract } from '../../../core/server/metrics-contract';
import { dottedName, isNode, stringOf, walk, type PyNode } from './python-ast';

/** vLLM's engine builds metrics with `self._<type>_cls(...)`; the HTTP instrumentation with prometheus_client's classes. */
const ENGINE_CALLS: Record<string, MetricContract['type']> = { _gauge_cls: 'gauge', _counter_cls: 'counter', _histogram_cls: 'histogram' };
const CLIENT_CALLS: Record<string, MetricContract['type']> = {
  Gauge: 'gauge',
  Counter: 'counter',
  Histogram: 'histogram',
  Summary: 'summary',
};

function listOf(n: unknown, variables: Map<string, string[]>): string[] | undefined {
  if (isNode(n, 'List') || isNode(n, 'Tuple')) return (n.elts as PyNode[]).map((e) => stringOf(e) ?? '?');
  if (isNode(n, 'Name')) return variables.get(n.id as string);
  if (isNode(n, 'BinOp') && isNode(n.op, 'Add')) {
    const [l, r] = [listOf(n.left, variables), listOf(n.right, variables)];
    // A part not known here (e.g. labels a caller adds) adds none by default.
    return [...(l ?? []), ...(r ?? [])];
  }
  return undefined;
}

export const engineMetrics = (loggers: PyNode) => metricsCreatedIn(loggers, ENGINE_CALLS, 'self');

/** prometheus-fastapi-instrumentator's `default()` metrics: what vLLM's HTTP server exports about requests. */
export const httpMetrics = (instrumentatorMetrics: PyNode) => metricsCreatedIn(instrumentatorMetrics, CLIENT_CALLS, undefined, 'default');

function metricsCreatedIn(
  tree: PyNode,
  calls: Record<string, MetricContract['type']>,
  receiver: string | undefined,
  onlyIn?: string,
): MetricContract[] {
  const out = new Map<string, MetricContract>();
  for (const fn of walk(tree)) {
    if (!isNode(fn, 'FunctionDef') || (onlyIn !== undefined && fn.name !== onlyIn)) continue;
    const variables = new Map<string, string[]>();
    for (const n of walk(fn.body)) {
      if (isNode(n, 'Assign') && isNode((n.targets as PyNode[])[0], 'Name') && (isNode(n.value, 'List') || isNode(n.value, 'Tuple'))) {
        const list = listOf(n.value, variables);
        if (list) variables.set(((n.targets as PyNode[])[0] as PyNode).id as string, list);
      }
      if (!isNode(n, 'Call')) continue;
      const callee = receiver
        ? isNode(n.func, 'Attribute') && dottedName(n.func.value) === receiver
          ? (n.func.attr as string)
          : ''
        : dottedName(n.func);
      const type = calls[callee ?? ''];
      if (!type) continue;
      const kw = (k: string) => (n.keywords as PyNode[]).find((x) => x.arg === k)?.value;
      const base = stringOf(kw('name'));
      if (!base) continue;
      const labels = listOf(kw('labelnames'), variables) ?? [];
      const name = type === 'counter' && !base.endsWith('_total') ? `${base}_total` : base;
      out.set(name, { name, type, labels: [...labels].sort() });
    }
  }
  return [...out.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** The handlers vLLM's HTTP instrumentation leaves out (`Instrumentator(excluded_handlers=[…])`). */
export function excludedHandlers(instrumentator: PyNode): string[] {
  for (const n of walk(instrumentator)) {
    if (!isNode(n, 'Call') || dottedName(n.func) !== 'Instrumentator') continue;
    const list = (n.keywords as PyNode[]).find((k) => k.arg === 'excluded_handlers')?.value;
    if (isNode(list, 'List')) return (list.elts as PyNode[]).map((e) => stringOf(e) ?? '?');
  }
  return [];
}
