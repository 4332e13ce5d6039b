/**
 * What a valid spec will do that its author may not expect, said when the spec is read. Today:
 * with `replica-ratio` traffic the canary's share is its share of the ready pods, so a step's
 * weight is rounded to whole pods beside the stable ones (2 replicas, weight 50: 1 canary pod
 * beside 2 stable, 33 %).
 */
import { canaryCount } from './rollout-plan';
import type { ServiceSpec } from './service-spec';
import { TRAFFIC_KINDS } from './traffic';

export interface SpecWarning {
  path: (string | number)[];
  message: string;
}

/** Off by this many points or more, a weight is worth a warning (smaller gaps are rounding a person expects). */
const WARN_AT_POINTS = 5;

export function specWarnings(spec: ServiceSpec): SpecWarning[] {
  if (TRAFFIC_KINDS[spec.rollout.traffic.kind].exactWeights) return [];
  const n = spec.replicas;
  return spec.rollout.steps.flatMap((step, i) => {
    if (step.weight === undefined) return [];
    const canary = canaryCount(step, n);
    // Beside every stable pod (a pool with room); a swap scales the stable down and moves the share up.
    const share = Math.round((100 * canary) / (canary + n));
    if (Math.abs(share - step.weight) < WARN_AT_POINTS) return [];
    return [
      {
        path: ['rollout', 'steps', i, 'weight'],
        message:
          `weight ${step.weight} runs at about ${share} %: replica-ratio traffic follows ready pods, ` +
          `${canary} canary beside ${n} stable (more if the pool has no room and the stable is scaled down); ` +
          'set replicas, or use a traffic kind with exact weights (gateway-api)',
      },
    ];
  });
}

export const describeWarning = (w: SpecWarning) => `${w.path.join('.')}: ${w.message}`;
