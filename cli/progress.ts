import type { ReleaseStatus } from '../workflows/messages';

/** One line of live progress: phase, step, weights, ready replicas per track, last reason. */
export function progressLine(s: ReleaseStatus, elapsedMs: number): string {
  const step = s.step ? ` step ${s.step.index}/${s.step.of}` : '';
  const r = s.replicas;
  return [
    `[${(elapsedMs / 1000).toFixed(0).padStart(4)}s] ${s.phase}${s.paused ? ' (paused)' : ''}${step}`,
    `weights stable ${s.weights.stable}% / canary ${s.weights.canary}%`,
    `ready stable ${r.stable.ready}/${r.stable.desired} canary ${r.canary.ready}/${r.canary.desired}`,
    ...(s.lastReason ? [s.lastReason] : []),
  ].join(' | ');
}
