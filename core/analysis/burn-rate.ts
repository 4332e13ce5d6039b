/**
 * Multi-window, multi-burn-rate alerting (Google SRE workbook, ch. 5): the error budget is
 * 1 − objective; the burn rate of a window is its error ratio divided by the budget; a window
 * pair fires when BOTH its long and its short window burn faster than its factor (the long
 * window gives significance, the short one makes the alert stop soon after the problem does).
 * Pure.
 */
export interface BurnRateWindow {
  long: number;
  short: number;
  factor: number;
}

export interface WindowEvidence {
  window: BurnRateWindow;
  longErrorRatio?: number;
  shortErrorRatio?: number;
  longBurnRate?: number;
  shortBurnRate?: number;
  firing: boolean;
  /** A ratio is missing (no requests in that window). */
  noData: boolean;
}

export const burnRate = (errorRatio: number, objective: number) => errorRatio / (1 - objective);

export function evaluateBurnRates(
  objective: number,
  windows: BurnRateWindow[],
  errorRatioOf: (windowMs: number) => number | undefined,
): WindowEvidence[] {
  return windows.map((window) => {
    const longErrorRatio = errorRatioOf(window.long);
    const shortErrorRatio = errorRatioOf(window.short);
    const longBurnRate = longErrorRatio === undefined ? undefined : burnRate(longErrorRatio, objective);
    const shortBurnRate = shortErrorRatio === undefined ? undefined : burnRate(shortErrorRatio, objective);
    const firing =
      longBurnRate !== undefined && shortBurnRate !== undefined && longBurnRate > window.factor && shortBurnRate > window.factor;
    return {
      window,
      ...(longErrorRatio !== undefined ? { longErrorRatio, longBurnRate } : {}),
      ...(shortErrorRatio !== undefined ? { shortErrorRatio, shortBurnRate } : {}),
      firing,
      noData: longErrorRatio === undefined || shortErrorRatio === undefined,
    };
  });
}

/** Share of the budget a window pair at this factor spends over `periodMs`, had it lasted `longMs` (SRE workbook table 5-8). */
export const budgetSpent = (factor: number, longMs: number, periodMs: number) => (factor * longMs) / periodMs;
