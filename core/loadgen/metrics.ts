/**
 * Per-request LLM latency figures, with vLLM's `vllm bench serve` definitions:
 * - TTFT: from the (intended) send to the first streamed token;
 * - ITL: every gap between consecutive streamed chunks;
 * - TPOT: (E2E − TTFT) / (output tokens − 1), for requests with more than one output token;
 * - E2E: from the (intended) send to the last chunk.
 * Times count from the INTENDED send time of an open-loop schedule, so a client or server that
 * falls behind shows its queueing instead of hiding it (no coordinated omission). Pure.
 */
export interface RequestTiming {
  /** ms, all relative to the intended send time. */
  chunkTimes: number[];
  endMs: number;
  outputTokens: number;
}

export interface RequestFigures {
  ttftMs?: number;
  tpotMs?: number;
  e2eMs: number;
  itlMs: number[];
  outputTokens: number;
}

export function figuresOf(t: RequestTiming): RequestFigures {
  const [first] = t.chunkTimes;
  const itlMs = t.chunkTimes.slice(1).map((c, i) => c - t.chunkTimes[i]!);
  return {
    ...(first !== undefined ? { ttftMs: first } : {}),
    ...(first !== undefined && t.outputTokens > 1 ? { tpotMs: (t.endMs - first) / (t.outputTokens - 1) } : {}),
    e2eMs: t.endMs,
    itlMs,
    outputTokens: t.outputTokens,
  };
}

export interface GoodputSlo {
  ttftMs?: number;
  tpotMs?: number;
  e2eMs?: number;
}

/** Within every SLO given (vLLM's `--goodput` rule). */
export function meetsSlo(f: RequestFigures, slo: GoodputSlo): boolean {
  if (slo.ttftMs !== undefined && (f.ttftMs === undefined || f.ttftMs > slo.ttftMs)) return false;
  if (slo.tpotMs !== undefined && f.tpotMs !== undefined && f.tpotMs > slo.tpotMs) return false;
  if (slo.e2eMs !== undefined && f.e2eMs > slo.e2eMs) return false;
  return true;
}
