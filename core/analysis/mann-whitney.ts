/**
 * The Mann-Whitney U test, as SciPy's `scipy.stats.mannwhitneyu` computes it (and as Kayenta
 * uses it to compare canary and baseline): U of the first sample from average ranks; the exact
 * null distribution when a sample has at most 8 values and there are no ties, else the normal
 * approximation with tie correction and continuity correction. Pure.
 */
import { normalSf } from './normal';

export type Alternative = 'two-sided' | 'greater' | 'less';

export interface MannWhitneyResult {
  /** U of the first sample (SciPy's `statistic`). */
  u: number;
  p: number;
  method: 'exact' | 'asymptotic';
}

/** Average ranks (1-based) of the pooled values, and the tie groups' sizes. */
function rank(values: number[]): { ranks: number[]; ties: number[] } {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const ranks = new Array<number>(values.length);
  const ties: number[] = [];
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    const average = (i + j + 2) / 2;
    for (let k = i; k <= j; k++) ranks[order[k]![1]] = average;
    if (j > i) ties.push(j - i + 1);
    i = j + 1;
  }
  return { ranks, ties };
}

/** Counts of arrangements giving each U for samples of n1 and n2 (no ties): f(n1,n2,u) = f(n1-1,n2,u-n2) + f(n1,n2-1,u). */
function exactCounts(n1: number, n2: number): number[] {
  // f[j][u] for the current i, built up from i = 0.
  let prev: number[][] = Array.from({ length: n2 + 1 }, () => [1]);
  for (let i = 1; i <= n1; i++) {
    const cur: number[][] = [[1]];
    for (let j = 1; j <= n2; j++) {
      const size = i * j + 1;
      const row = new Array<number>(size).fill(0);
      for (let u = 0; u < size; u++) row[u] = (u - j >= 0 ? (prev[j]![u - j] ?? 0) : 0) + (cur[j - 1]![u] ?? 0);
      cur.push(row);
    }
    prev = cur;
  }
  return prev[n2]!;
}

export function mannWhitneyU(
  x: number[],
  y: number[],
  alternative: Alternative = 'two-sided',
  method: 'auto' | 'exact' | 'asymptotic' = 'auto',
): MannWhitneyResult {
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) throw new RangeError('Mann-Whitney U needs two non-empty samples');
  const { ranks, ties } = rank([...x, ...y]);
  const r1 = ranks.slice(0, n1).reduce((a, b) => a + b, 0);
  const u1 = r1 - (n1 * (n1 + 1)) / 2;
  const u2 = n1 * n2 - u1;
  const u = alternative === 'greater' ? u1 : alternative === 'less' ? u2 : Math.max(u1, u2);
  const clip = (p: number) => Math.min(1, Math.max(0, p));
  const twoSided = alternative === 'two-sided' ? 2 : 1;

  const exact = method === 'exact' || (method === 'auto' && (n1 <= 8 || n2 <= 8) && ties.length === 0);
  if (exact) {
    const counts = exactCounts(n1, n2);
    const total = counts.reduce((a, b) => a + b, 0);
    const atLeast = counts.slice(Math.ceil(u)).reduce((a, b) => a + b, 0);
    return { u: u1, p: clip((twoSided * atLeast) / total), method: 'exact' };
  }
  const n = n1 + n2;
  const tieTerm = ties.reduce((a, t) => a + t ** 3 - t, 0) / (n * (n - 1));
  const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm));
  if (sigma === 0) return { u: u1, p: 1, method: 'asymptotic' }; // every value equal: no evidence either way
  const z = (u - (n1 * n2) / 2 - 0.5) / sigma;
  return { u: u1, p: clip(twoSided * normalSf(z)), method: 'asymptotic' };
}
