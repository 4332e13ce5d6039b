import fc from 'fast-check';
import type { PoolCapacity } from '../../core/gpu-capacity';
import { podsThatFit } from '../../core/gpu-capacity';
import { planRollout, type PlanInput, type PromotionMove } from '../../core/rollout-plan';
import type { CanaryStep } from '../../core/service-spec';

// The planner's promises, over any pool and spec: never fewer than one serving pod, never more
// canary pods than the pool can hold, and always the new version alone at the end.

const capacityOf = (free: number[]): PoolCapacity => {
  const nodes = free.map((f, i) => ({ name: `n${i}`, allocatable: 8, requested: 8 - f, free: f, schedulable: true }));
  return {
    pool: 'p',
    resource: 'nvidia.com/gpu',
    nodes,
    allocatable: nodes.length * 8,
    requested: nodes.reduce((n, x) => n + x.requested, 0),
    free: free.reduce((n, f) => n + f, 0),
    largestFreeOnOneNode: Math.max(0, ...free),
  };
};

const step: fc.Arbitrary<CanaryStep> = fc.oneof(
  fc.record({ weight: fc.integer({ min: 0, max: 100 }) }),
  fc.record({ replicas: fc.integer({ min: 1, max: 8 }) }),
);

const input: fc.Arbitrary<PlanInput> = fc
  .record({
    replicas: fc.integer({ min: 1, max: 8 }),
    stableReplicas: fc.integer({ min: 0, max: 8 }),
    gpusPerReplica: fc.constantFrom(1, 2, 4, 8),
    stableGpusPerReplica: fc.constantFrom(1, 2, 4, 8),
    steps: fc.array(step, { minLength: 1, maxLength: 4 }),
    exactWeights: fc.boolean(),
    allowSwap: fc.boolean(),
    free: fc.array(fc.integer({ min: 0, max: 8 }), { minLength: 0, maxLength: 6 }),
  })
  .map(({ free, steps, replicas, ...rest }) => ({
    ...rest,
    replicas,
    // The spec refuses steps with more replicas than the service, and falling weights.
    steps: steps.map((s) => (s.replicas !== undefined ? { replicas: Math.min(s.replicas, replicas) } : s)),
    capacity: capacityOf(free),
  }));

interface State {
  stable: number;
  canary: number;
}

/** Checks one change (a step or a promotion move) against the pool: the canary pods it adds must fit. */
function checkMove(i: PlanInput, before: State, after: State & { order: PromotionMove['order'] }, readyCanary: number): string | undefined {
  const freePods = podsThatFit(i.capacity, i.gpusPerReplica);
  // A stable pod gone frees room for a canary pod only if the canary pod is no bigger.
  const freedBy = (stable: number) => (i.gpusPerReplica <= i.stableGpusPerReplica ? i.stableReplicas - stable : 0);
  const stableWhileGrowing = after.order === 'stable-first' ? after.stable : before.stable;
  if (after.canary > before.canary && after.canary > freePods + freedBy(stableWhileGrowing))
    return `${after.canary} canary pods with ${stableWhileGrowing} stable: only ${freePods} fit beside the stable, ${freedBy(stableWhileGrowing)} freed`;
  // Serving while the change happens: the stable left and the canary pods already Ready.
  const serving = Math.min(before.stable, after.stable) + readyCanary;
  if (before.stable + before.canary > 0 && serving < 1) return `no serving pod during ${JSON.stringify(before)} → ${JSON.stringify(after)}`;
  return undefined;
}

describe('rollout planner properties', () => {
  it('never plans fewer than one serving pod, more canary pods than fit, or an end with the old version', () => {
    fc.assert(
      fc.property(input, (i) => {
        const plan = planRollout(i);
        if (plan.mode === 'blocked') {
          expect(plan.missingGpus).toBeGreaterThan(0);
          return;
        }
        let state: State = { stable: i.stableReplicas, canary: 0 };
        const moves = [...plan.steps, ...plan.promotion];
        for (const m of moves) {
          const move = { stable: m.stableReplicas, canary: m.canaryReplicas, order: m.order };
          const problem = checkMove(i, state, move, Math.min(state.canary, move.canary));
          if (problem) throw new Error(`${problem}; plan: ${plan.summary}; promotion ${JSON.stringify(plan.promotion)}`);
          state = { stable: move.stable, canary: move.canary };
        }
        expect(state).toEqual({ stable: 0, canary: i.replicas });
        for (const s of plan.steps) expect(s.weight).toBeGreaterThanOrEqual(0);
      }),
      {
        numRuns: 5_000,
        seed: 20261203,
        examples: [
          // Canary pods bigger than stable ones on a pool with one canary pod's room.
          [
            {
              replicas: 2,
              stableReplicas: 2,
              gpusPerReplica: 2,
              stableGpusPerReplica: 1,
              steps: [{ replicas: 1 }],
              exactWeights: false,
              allowSwap: true,
              capacity: capacityOf([2]),
            },
          ],
        ],
      },
    );
  });
});
