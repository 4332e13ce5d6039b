import { fnv1a } from '../../../core/hash';
import { seededRandom } from '../../../core/random';

/** Deterministic "generation": the same prompt (and salt) gives the same words at temperature 0. */
const WORDS = (
  'the model answers with care and the tokens flow one by one through the GPU while latency ' +
  'stays low and the canary is watched closely by the pipeline so that every release is safe fast and durable'
).split(' ');

/** A random source: seeded by the prompt at temperature 0, free otherwise. */
export function generator(prompt: string, salt: string, temperature: number): () => number {
  return temperature === 0 ? seededRandom(fnv1a(`${salt}\u0000${prompt}`)) : Math.random;
}

export function nextToken(rand: () => number, index: number): string {
  const word = WORDS[Math.floor(rand() * WORDS.length)]!;
  return index === 0 ? word : ` ${word}`;
}

/** Rough tokens of a prompt (4 characters a token), as a real tokenizer would count about. */
export const promptTokens = (text: string) => Math.max(1, Math.ceil(text.length / 4));

/** A log-normal sample around a median: latency has a long right tail. */
export function logNormal(median: number, sigma: number, rand: () => number = Math.random): number {
  if (sigma === 0 || median === 0) return median;
  const u1 = Math.max(rand(), 1e-12);
  const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * rand());
  return median * Math.exp(sigma * z);
}
