/** FNV-1a, 32 bit: a deterministic hash usable inside workflows (no crypto there). */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** fnv1a as 8 hex digits: short stable names (revisions). */
export const shortHash = (text: string): string => fnv1a(text).toString(16).padStart(8, '0');
