import type { ReleaseStatus } from '../core/release/types';

/** One line of live progress: phase, step, weights, ready replicas per track, the latest analysis decision, supply-chain warnings, last reason. */
export function progressLine(s: ReleaseStatus, elapsedMs: number): string {
  const step = s.step ? ` step ${s.step.index}/${s.step.of}` : '';
  const r = s.replicas;
  return [
    `[${(elapsedMs / 1000).toFixed(0).padStart(4)}s] ${s.phase}${s.paused ? ' (paused)' : ''}${step}`,
    `weights stable ${s.weights.stable}% / canary ${s.weights.canary}%`,
    `ready stable ${r.stable.ready}/${r.stable.desired} canary ${r.canary.ready}/${r.canary.desired}`,
    ...(s.analysis && s.phase === 'canary'
      ? [
          `analysis step ${s.analysis.step}: ${s.analysis.decision.action}${s.analysis.decision.reasons.length ? ` (${s.analysis.decision.reasons[0]})` : ''}`,
        ]
      : []),
    ...(s.image?.violations?.length
      ? [
          `deployed despite ${s.image.violations.length} failed supply-chain check(s) (enforcement: warn): ${s.image.violations.map((v) => v.type).join(', ')}`,
        ]
      : []),
    ...(s.lastReason ? [s.lastReason] : []),
  ].join(' | ');
}

const withoutElapsed = (line: string) => line.replace(/^\[[^\]]*\]/, '');

/** Prints a progress line only when it says something new (the elapsed-time prefix aside). */
export function printWhenChanged(print: (line: string) => void = console.log): (line: string) => void {
  let last: string | undefined;
  return (line) => {
    const key = withoutElapsed(line);
    if (key !== last) print(line);
    last = key;
  };
}

/**
 * A status callback for followRelease that emits a progress line only when something other
 * than the elapsed time changed (`keyOf` says what counts as a change).
 */
export function onProgressChange(
  emit: (line: string, status: ReleaseStatus) => void,
  keyOf: (line: string, status: ReleaseStatus) => string = withoutElapsed,
  started = Date.now(),
): (status: ReleaseStatus) => void {
  let last: string | undefined;
  return (status) => {
    const line = progressLine(status, Date.now() - started);
    const key = keyOf(line, status);
    if (key !== last) emit(line, status);
    last = key;
  };
}
