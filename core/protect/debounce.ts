/**
 * When a seen change is backed up: after `debounceMs` without a further change, or `maxDelayMs`
 * after the first one was seen, whichever comes first (a steady stream of changes still gets
 * backed up within maxDelay, so RPO stays bounded).
 */
export interface PendingChange {
  /** When the first change not yet backed up was seen (epoch ms). */
  firstSeenMs: number;
  /** When the latest one was seen. */
  lastSeenMs: number;
}

export type DebounceDecision = { action: 'back-up'; why: 'quiet' | 'max-delay' } | { action: 'wait'; forMs: number };

export function debounceDecision(p: PendingChange, nowMs: number, debounceMs: number, maxDelayMs: number): DebounceDecision {
  const quietAt = p.lastSeenMs + debounceMs;
  const latestAt = p.firstSeenMs + maxDelayMs;
  if (nowMs >= latestAt) return { action: 'back-up', why: 'max-delay' };
  if (nowMs >= quietAt) return { action: 'back-up', why: 'quiet' };
  return { action: 'wait', forMs: Math.min(quietAt, latestAt) - nowMs };
}

/**
 * When the service's data started to be at risk: the change's own time as the API server recorded
 * it (managedFields, to the second), else when it was seen (a deletion leaves no time behind);
 * never later than seen, and always after the moment the last backup read the service (the
 * change is not in it, so it came later).
 */
export function exposedSince(seenMs: number, recordedChangeMs: number | undefined, protectedThroughMs: number): number {
  return Math.max(protectedThroughMs + 1, Math.min(seenMs, recordedChangeMs ?? seenMs));
}
