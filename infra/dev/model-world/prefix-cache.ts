/**
 * Automatic prefix caching as vLLM's engine does it, coarsely: the prompt's tokens in blocks of
 * 16, each block keyed by everything before it, so a prompt that starts like an earlier one finds
 * its leading blocks cached and skips their prefill. Counts tokens queried and hit, as vLLM's
 * vllm:prefix_cache_queries / vllm:prefix_cache_hits do.
 */
import { fnv1a } from '../../../core/hash';

const BLOCK_TOKENS = 16;
/** Blocks the cache keeps (least recently used go first): a stand-in for free KV-cache memory. */
const CAPACITY_BLOCKS = 16_384;

export class PrefixCache {
  private readonly blocks = new Map<number, true>();

  /** Looks the prompt's blocks up, caches them, and says how many of its tokens were already cached. */
  lookup(tokens: readonly string[]): { queried: number; hit: number } {
    let key = 0;
    let hit = 0;
    let missed = false;
    for (let start = 0; start + BLOCK_TOKENS <= tokens.length; start += BLOCK_TOKENS) {
      key = fnv1a(`${key}\u0000${tokens.slice(start, start + BLOCK_TOKENS).join('\u0001')}`);
      if (!missed && this.blocks.has(key)) hit += BLOCK_TOKENS;
      else missed = true;
      this.blocks.delete(key);
      this.blocks.set(key, true);
    }
    while (this.blocks.size > CAPACITY_BLOCKS) this.blocks.delete(this.blocks.keys().next().value!);
    return { queried: tokens.length, hit };
  }
}

/** A prompt's "tokens": four characters each, as promptTokens counts them. */
export const tokensOf = (text: string) => text.match(/[\s\S]{1,4}/g) ?? [''];
