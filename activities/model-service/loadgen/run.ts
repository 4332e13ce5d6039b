/**
 * The load generator. Open loop (constant or Poisson arrivals): every request is sent at its
 * scheduled time whatever happened to the earlier ones, and timed from that time. Closed loop:
 * `concurrency` workers, each sending its next request when the last one ends.
 */
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LoadProfile } from '../../../core/analysis/spec';
import { figuresOf } from '../../../core/loadgen/metrics';
import { arrivals, promptOf, sampleLength } from '../../../core/loadgen/schedule';
import { seededRandom } from '../../../core/random';
import type { ServiceEndpoint } from '../endpoint';
import { RequestError, streamCompletion } from './request';
import type { LoadStats } from './stats';

/** Requests in flight beyond this are not sent (counted as `client-overload`): the generator's own safety limit. */
const MAX_IN_FLIGHT = 4096;

export interface LoadRun {
  endpoint: ServiceEndpoint;
  model: string;
  profile: LoadProfile;
  /** The part of the test to run now: [fromMs, toMs) of its whole duration (a resumed test starts later). */
  fromMs: number;
  toMs: number;
  seed: number;
  stats: LoadStats;
  signal?: AbortSignal;
  /** Called about every second with the test's elapsed time. */
  onTick?: (elapsedMs: number) => void;
}

export async function runLoad(run: LoadRun): Promise<void> {
  const { profile, stats } = run;
  const random = seededRandom(run.seed + Math.floor(run.fromMs));
  const start = performance.now() - run.fromMs; // time origin of the whole test
  const inFlight = new Set<Promise<void>>();
  // Every request in flight listens for the cancellation.
  if (run.signal) setMaxListeners(MAX_IN_FLIGHT + 16, run.signal);
  const ticker = setInterval(() => run.onTick?.(performance.now() - start), 1000);

  // With distinctPrompts, request i of the pool is always the same prompt and length (seeded by i).
  const sample = (r: () => number) => ({
    prompt: promptOf(sampleLength(profile.promptTokens.mean, profile.promptTokens.stddev, r), r),
    maxTokens: sampleLength(profile.outputTokens.mean, profile.outputTokens.stddev, r),
  });
  const nextRequest = () =>
    profile.distinctPrompts === undefined
      ? sample(random)
      : sample(seededRandom(run.seed * 100_003 + Math.floor(random() * profile.distinctPrompts)));

  const one = async (intendedAt: number): Promise<void> => {
    const counted = intendedAt - start >= profile.warmup;
    const { prompt, maxTokens } = nextRequest();
    if (counted) stats.recordSent();
    try {
      const timing = await streamCompletion(
        run.endpoint,
        run.model,
        prompt,
        maxTokens,
        intendedAt,
        profile.timeout,
        run.signal,
        profile.temperature,
      );
      if (counted) stats.recordSuccess(figuresOf(timing));
    } catch (err) {
      if (counted && !(err instanceof RequestError && err.kind === 'aborted'))
        stats.recordError(err instanceof RequestError ? err.kind : 'client');
    }
  };
  const track = (p: Promise<void>) => {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };

  try {
    if (profile.mode === 'concurrency') {
      const worker = async () => {
        while (!run.signal?.aborted && performance.now() - start < run.toMs) await one(performance.now());
      };
      await Promise.all(Array.from({ length: profile.concurrency }, worker));
    } else {
      for (const offset of arrivals(profile.mode, profile.rate, run.fromMs, run.toMs, random)) {
        if (run.signal?.aborted) break;
        const wait = start + offset - performance.now();
        if (wait > 1) await sleep(wait, undefined, run.signal ? { signal: run.signal } : {}).catch(() => undefined);
        if (run.signal?.aborted) break;
        if (inFlight.size >= MAX_IN_FLIGHT) {
          if (offset >= profile.warmup) stats.recordError('client-overload');
          continue;
        }
        track(one(start + offset));
      }
    }
    await Promise.all(inFlight);
  } finally {
    clearInterval(ticker);
    stats.measuredMs += Math.max(0, Math.min(performance.now() - start, run.toMs) - Math.max(run.fromMs, profile.warmup));
  }
}
