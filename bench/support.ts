/** Shared by the benchmarks: figures printed as a table, the last line one JSON object. */
export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
export const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

export function report(title: string, rows: [string, string | number][], json: Record<string, unknown>): void {
  console.log(`\n${title}`);
  for (const [k, v] of rows) console.log(`  ${k.padEnd(58)} ${v}`);
  console.log(JSON.stringify(json));
}
