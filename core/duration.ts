import { z } from 'zod';

const UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
const PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;

/** Parses "500ms", "30s", "10m", "1.5h" into milliseconds; undefined if it is not one. */
export function parseDuration(text: string): number | undefined {
  const m = PATTERN.exec(text.trim());
  return m ? Math.round(Number(m[1]) * UNITS[m[2] as keyof typeof UNITS]) : undefined;
}

/** A duration field: a string like "30s" in the file, milliseconds in the program. */
export const durationMs = z.union([z.string(), z.number().int().nonnegative()]).transform((value, ctx) => {
  if (typeof value === 'number') return value;
  const ms = parseDuration(value);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not a duration such as 500ms, 30s, 10m or 1h` });
    return z.NEVER;
  }
  return ms;
});

export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
