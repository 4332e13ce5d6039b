/** The q-quantile (0 ≤ q ≤ 1) of a non-empty list, interpolating between ranks (numpy's default). Pure. */
export function quantile(values: readonly number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

/** The median of a non-empty list (the mean of the middle two for an even count). Pure. */
export const median = (values: readonly number[]): number => quantile(values, 0.5);
