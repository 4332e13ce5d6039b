/**
 * When a Kubernetes API answer asks to be tried again, as client-go's request retry does: a 429
 * (API Priority and Fairness throttling) always, a 5xx only with a Retry-After header (the API
 * server sends one when it means "soon": starting up, etcd leader change); each wait as the header
 * says, capped, a few times at most. Anything else is the caller's to classify. Pure.
 */
export const RETRY_AFTER_DEFAULTS = { maxRetries: 5, capMs: 10_000, withoutHeaderMs: 1_000 } as const;

/** Milliseconds to wait before trying again, or undefined: answer the caller with this response. */
export function retryAfterWaitMs(
  status: number,
  retryAfter: string | undefined,
  retriesSoFar: number,
  limits: { maxRetries: number; capMs: number; withoutHeaderMs: number } = RETRY_AFTER_DEFAULTS,
): number | undefined {
  if (retriesSoFar >= limits.maxRetries) return undefined;
  const seconds = retryAfter !== undefined && /^\s*\d+\s*$/.test(retryAfter) ? Number(retryAfter) : undefined;
  if (status === 429) return Math.min((seconds ?? limits.withoutHeaderMs / 1000) * 1000, limits.capMs);
  if (status >= 500 && status <= 599 && seconds !== undefined) return Math.min(seconds * 1000, limits.capMs);
  return undefined;
}
