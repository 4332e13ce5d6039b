/**
 * Following a running workflow for live progress: polls its status until its result settles,
 * and rides out a Temporal outage (the frontend restarting, a network blip) by asking for the
 * result again with backoff, saying it reconnects, instead of failing as if the workflow had.
 */
import { ServiceError } from '@temporalio/client';

/** gRPC codes of a server that is away, not of a refusal: UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED. */
const OUTAGE_CODES = new Set([14, 4, 8]);

/** Whether `err` is Temporal being unreachable for now (worth waiting out), not an answer. */
export function isTemporalOutage(err: unknown): boolean {
  if (!(err instanceof ServiceError)) return false;
  const code = (err.cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' && OUTAGE_CODES.has(code);
}

export interface FollowOptions {
  /** Told once per failed attempt while Temporal is away (the CLI prints it). */
  onReconnecting?: (message: string) => void;
  /** Longest outage waited out before its error is thrown. */
  outageLimitMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The workflow's result, asked for again (1 s, 2 s, … 10 s apart) while Temporal is unreachable. */
export async function resultRidingOutages<T>(result: () => Promise<T>, opts: FollowOptions = {}): Promise<T> {
  const limit = opts.outageLimitMs ?? 10 * 60_000;
  let since: number | undefined;
  for (let delay = 1_000; ; delay = Math.min(10_000, delay * 2)) {
    try {
      return await result();
    } catch (err) {
      if (!isTemporalOutage(err)) throw err;
      since ??= Date.now();
      if (Date.now() - since > limit) throw err;
      const cause = (err as ServiceError).cause as Error | undefined;
      opts.onReconnecting?.(`Temporal unreachable (${cause?.message ?? (err as Error).message}); reconnecting in ${delay / 1000} s`);
      await sleep(delay);
    }
  }
}

/**
 * Polls `poll` every `intervalMs` until the result settles, calling `onStatus` with each status
 * (a status that cannot be read — not there yet, Temporal away — is skipped); returns the result
 * or throws the workflow's failure.
 */
export async function pollUntilSettled<T, S>(
  result: () => Promise<T>,
  poll: () => Promise<S | undefined>,
  onStatus: (status: S) => void,
  intervalMs: number,
  opts: FollowOptions = {},
): Promise<T> {
  const settled = resultRidingOutages(result, opts);
  let done = false;
  settled.then(
    () => (done = true),
    () => (done = true),
  ); // also marks a failure as handled until awaited below
  while (!done) {
    const st = await poll().catch(() => undefined);
    if (st !== undefined) onStatus(st);
    await sleep(intervalMs);
  }
  return settled;
}
