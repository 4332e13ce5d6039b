/**
 * When each request of an open-loop load test is meant to be sent, and how long its prompt and
 * output are. Seeded (core/random), so a run can be repeated. Pure.
 */

/** Offsets (ms from the start) of the sends in [fromMs, toMs): evenly spaced, or a Poisson process (exponential gaps). */
export function* arrivals(
  mode: 'constant' | 'poisson',
  ratePerSecond: number,
  fromMs: number,
  toMs: number,
  random: () => number,
): Generator<number> {
  const meanGapMs = 1000 / ratePerSecond;
  let t = fromMs;
  while (true) {
    t += mode === 'constant' ? meanGapMs : -Math.log(1 - random()) * meanGapMs;
    if (t >= toMs) return;
    yield t;
  }
}

/** A normally distributed length (Box-Muller), rounded, at least 1. */
export function sampleLength(mean: number, stddev: number, random: () => number): number {
  if (stddev === 0) return Math.max(1, Math.round(mean));
  const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return Math.max(1, Math.round(mean + z * stddev));
}

const WORDS = [
  'model',
  'token',
  'screen',
  'tap',
  'swipe',
  'open',
  'settings',
  'search',
  'the',
  'app',
  'button',
  'scroll',
  'type',
  'send',
  'message',
  'back',
];

/** A prompt of about `tokens` tokens (one word each, as the simulated server counts them). */
export function promptOf(tokens: number, random: () => number): string {
  return Array.from({ length: tokens }, () => WORDS[Math.floor(random() * WORDS.length)]).join(' ');
}
