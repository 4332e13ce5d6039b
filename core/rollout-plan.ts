/**
 * The rollout planner: from the spec and the pool's free GPUs, the exact sequence of replica
 * counts and traffic weights a release goes through. Pure, so every GPU corner case is a unit test.
 *
 * GPU pools rarely have room for surge pods. The planner counts how many canary pods fit beside
 * the running stable (`free`), and per step keeps the stable at full size when the canary fits
 * ("surge"), or scales the stable down first by what is missing ("swap", if the spec allows it),
 * or refuses before anything is touched ("blocked"), naming the missing GPUs.
 */
import type { PoolCapacity } from './gpu-capacity';
import { podsThatFit } from './gpu-capacity';
import type { CanaryStep } from './service-spec';

export type RolloutMode = 'initial' | 'surge' | 'swap';

export interface PlannedStep {
  index: number;
  canaryReplicas: number;
  stableReplicas: number;
  /** Percent of traffic to the canary once the step's pods are ready. */
  weight: number;
  /** stable-first: free GPUs by scaling the stable down before the canary grows. */
  order: 'canary-first' | 'stable-first';
  bakeMs?: number;
  gate?: 'manual';
}

/** One change in the promotion, applied in order; canary growth is waited on until Ready. */
export interface PromotionMove {
  canaryReplicas: number;
  stableReplicas: number;
  order: 'canary-first' | 'stable-first';
}

export interface RolloutPlan {
  mode: RolloutMode;
  replicas: number;
  gpusPerReplica: number;
  /** Canary pods that fit beside the stable when the release starts. */
  freePods: number;
  steps: PlannedStep[];
  promotion: PromotionMove[];
  summary: string;
}

export interface BlockedPlan {
  mode: 'blocked';
  missingGpus: number;
  reason: string;
}

export interface PlanInput {
  /** Replicas of the new version once promoted. */
  replicas: number;
  /** Replicas of the version now serving (0: first release of the service). */
  stableReplicas: number;
  gpusPerReplica: number;
  /** GPUs of one stable pod: a swap frees that many on a node for one canary pod. */
  stableGpusPerReplica: number;
  steps: CanaryStep[];
  /** The traffic kind sets weights exactly (a route's): a step's weight is used as given, not its replicas' share. */
  exactWeights: boolean;
  allowSwap: boolean;
  capacity: PoolCapacity;
  /** The pool grows on demand (gpu.autoscaling): every canary pod is planned beside the stable, the pool adding nodes for them. */
  poolScales?: boolean;
}

/** Canary pods of a step: its replica count, or its weight's share of the service's replicas (at least one). */
export const canaryCount = (step: CanaryStep, replicas: number): number =>
  step.replicas ?? Math.min(replicas, Math.max(1, Math.ceil((replicas * (step.weight ?? 0)) / 100)));

function describeFree(capacity: PoolCapacity): string {
  const nodes = capacity.nodes.map((n) => `${n.name}: ${n.free}`).join(', ');
  return `pool ${capacity.pool} has ${capacity.free} free GPUs (${nodes || 'no nodes'})`;
}

export function planRollout(input: PlanInput): RolloutPlan | BlockedPlan {
  const { replicas: n, gpusPerReplica: g, capacity } = input;
  const fitNow = podsThatFit(capacity, g);
  const freePods = input.poolScales ? Math.max(fitNow, n) : fitNow;

  if (input.stableReplicas === 0) {
    if (freePods >= n) {
      return {
        mode: 'initial',
        replicas: n,
        gpusPerReplica: g,
        freePods,
        steps: [],
        promotion: [{ canaryReplicas: n, stableReplicas: 0, order: 'canary-first' }],
        summary: `first release: ${n} × ${g} GPUs on pool ${capacity.pool}${freePods > fitNow ? ` (${fitNow} fit now, the pool scales up for the rest)` : ''}`,
      };
    }
    return blocked(n - freePods, g, capacity, `the first release needs ${n} pods × ${g} GPUs; only ${freePods} fit`);
  }

  // A swap frees one stable pod's GPUs for one canary pod only if the canary is no bigger.
  const canSwap = input.allowSwap && g <= input.stableGpusPerReplica;
  const budget = input.stableReplicas + (canSwap ? freePods : 0);
  const steps: PlannedStep[] = [];
  let previousCanary = 0;
  for (const [index, step] of input.steps.entries()) {
    const c = canaryCount(step, n);
    let s = input.stableReplicas;
    if (c > freePods) {
      if (!canSwap) {
        const why = input.allowSwap
          ? `swap is not possible: a canary pod needs ${g} GPUs, a stable pod frees ${input.stableGpusPerReplica}`
          : 'the spec does not allow swapping stable pods out (rollout.allowSwap: false)';
        return blocked(
          c - freePods,
          g,
          capacity,
          `step ${index + 1} needs ${c} canary pods × ${g} GPUs beside the stable; ${freePods} fit, and ${why}`,
        );
      }
      s = budget - c;
      if (s < 0)
        return blocked(-s, g, capacity, `step ${index + 1} needs ${c} canary pods, more than the pool can hold even without the stable`);
      if (s + previousCanary < 1) {
        // One more pod's room (g GPUs) would let a pod keep serving through the swap.
        return blocked(
          1,
          g,
          capacity,
          `step ${index + 1} would scale the stable to ${s} before any canary pod is ready: the service would stop serving`,
        );
      }
    }
    const weight = input.exactWeights && step.weight !== undefined ? step.weight : Math.round((100 * c) / (c + s));
    steps.push({
      index,
      canaryReplicas: c,
      stableReplicas: s,
      weight,
      order: s < input.stableReplicas ? 'stable-first' : 'canary-first',
      ...(step.bake !== undefined ? { bakeMs: step.bake } : {}),
      ...(step.gate ? { gate: step.gate } : {}),
    });
    previousCanary = c;
  }

  // The promotion exchanges stable pods for canary pods where there is no room: only a stable pod
  // at least as big as a canary pod frees a place for one.
  if (n > freePods && g > input.stableGpusPerReplica) {
    return blocked(
      n - freePods,
      g,
      capacity,
      `the promotion needs ${n} canary pods × ${g} GPUs; ${freePods} fit beside the stable, and a stable pod (${input.stableGpusPerReplica} GPUs) gone does not free room for one`,
    );
  }
  if (n > input.stableReplicas + freePods) {
    return blocked(
      n - input.stableReplicas - freePods,
      g,
      capacity,
      `the promotion needs ${n} pods × ${g} GPUs; the stable's ${input.stableReplicas} and ${freePods} more fit`,
    );
  }
  const last = steps[steps.length - 1]!;
  const promotion = planPromotion(n, last.stableReplicas, last.canaryReplicas, input.stableReplicas + freePods);
  // The mode describes the canary steps; a promotion without room always exchanges pods one by one.
  const mode: RolloutMode = steps.some((s) => s.order === 'stable-first') ? 'swap' : 'surge';
  return {
    mode,
    replicas: n,
    gpusPerReplica: g,
    freePods,
    steps,
    promotion,
    summary: `${mode}: ${steps.map((s) => `${s.weight}% (${s.canaryReplicas} canary / ${s.stableReplicas} stable)`).join(' → ')} → promote; ${fitNow} canary pods fit beside the stable${freePods > fitNow ? ', the pool scales up for the rest' : ''}`,
  };
}

/**
 * From the last step to the new version alone: grow the canary into free room, then retire as
 * many stable pods; with no room, retire one stable pod before each canary pod.
 */
export function planPromotion(n: number, stable: number, canary: number, budget: number): PromotionMove[] {
  const moves: PromotionMove[] = [];
  let s = stable;
  let c = canary;
  while (c < n || s > 0) {
    const room = budget - s - c;
    if (c < n && room > 0) {
      c = Math.min(n, c + room);
      s = Math.max(0, Math.min(s, n - c));
      moves.push({ canaryReplicas: c, stableReplicas: s, order: 'canary-first' });
    } else if (c < n) {
      s = Math.max(0, s - 1);
      c += 1;
      moves.push({ canaryReplicas: c, stableReplicas: s, order: 'stable-first' });
    } else {
      s = 0;
      moves.push({ canaryReplicas: c, stableReplicas: 0, order: 'canary-first' });
    }
  }
  return moves;
}

function blocked(missingPods: number, g: number, capacity: PoolCapacity, why: string): BlockedPlan {
  const missingGpus = Math.max(1, missingPods) * g;
  return {
    mode: 'blocked',
    missingGpus,
    reason: `not enough ${capacity.resource}: ${why}. Missing ${missingGpus} GPUs on pool ${capacity.pool}; ${describeFree(capacity)}, largest block on one node ${capacity.largestFreeOnOneNode}`,
  };
}
