import { summarizePool } from '../../core/gpu-capacity';
import { planPromotion, planRollout, type BlockedPlan, type PlanInput, type RolloutPlan } from '../../core/rollout-plan';

/** A pool of `nodes` nodes × `perNode` GPUs with `used` GPUs taken on each node, in order. */
function pool(perNode: number, used: number[]) {
  const nodes = used.map((_, i) => ({
    name: `n${i}`,
    labels: { pool: 'a100' },
    allocatableGpus: perNode,
    ready: true,
    unschedulable: false,
  }));
  const pods = used.map((u, i) => ({
    name: `p${i}`,
    namespace: 'x',
    nodeName: `n${i}`,
    phase: 'Running',
    containers: [{ gpus: u }],
    initContainers: [],
  }));
  return summarizePool('a100', 'pool', nodes, pods);
}

const input = (over: Partial<PlanInput>): PlanInput => ({
  replicas: 4,
  stableReplicas: 4,
  gpusPerReplica: 4,
  stableGpusPerReplica: 4,
  steps: [{ weight: 25 }, { weight: 50 }],
  exactWeights: false,
  allowSwap: true,
  capacity: pool(8, [8, 8]),
  ...over,
});

describe('planRollout', () => {
  it.each`
    name                                   | over                                                              | mode         | firstStep
    ${'room for the canary: surge'}        | ${{ capacity: pool(8, [8, 8, 0]) }}                               | ${'surge'}   | ${{ canaryReplicas: 1, stableReplicas: 4, order: 'canary-first' }}
    ${'full pool: swap'}                   | ${{}}                                                             | ${'swap'}    | ${{ canaryReplicas: 1, stableReplicas: 3, order: 'stable-first' }}
    ${'full pool, swap not allowed'}       | ${{ allowSwap: false }}                                           | ${'blocked'} | ${undefined}
    ${'bigger canary pods cannot swap'}    | ${{ gpusPerReplica: 8 }}                                          | ${'blocked'} | ${undefined}
    ${'first release with room'}           | ${{ stableReplicas: 0, capacity: pool(8, [0, 0]) }}               | ${'initial'} | ${undefined}
    ${'first release without room'}        | ${{ stableReplicas: 0, replicas: 5, capacity: pool(8, [0, 0]) }}  | ${'blocked'} | ${undefined}
    ${'one stable pod, full pool'}         | ${{ replicas: 1, stableReplicas: 1, steps: [{ weight: 50 }] }}    | ${'blocked'} | ${undefined}
    ${'full pool that scales: surge'}      | ${{ poolScales: true }}                                           | ${'surge'}   | ${{ canaryReplicas: 1, stableReplicas: 4, order: 'canary-first' }}
    ${'scaling, swap not allowed'}         | ${{ poolScales: true, allowSwap: false }}                         | ${'surge'}   | ${{ canaryReplicas: 1, stableReplicas: 4 }}
    ${'first release, empty scaling pool'} | ${{ poolScales: true, stableReplicas: 0, capacity: pool(8, []) }} | ${'initial'} | ${undefined}
  `('$name → $mode', ({ over, mode, firstStep }) => {
    const plan = planRollout(input(over));
    expect(plan.mode).toBe(mode);
    if (firstStep) expect((plan as RolloutPlan).steps[0]).toMatchObject(firstStep);
  });

  it.each`
    name                                 | over                                                                                                        | missingGpus
    ${'one 4-GPU stable pod, full pool'} | ${{ replicas: 1, stableReplicas: 1, steps: [{ weight: 50 }] }}                                              | ${4}
    ${'one 8-GPU stable pod, full pool'} | ${{ replicas: 1, stableReplicas: 1, gpusPerReplica: 8, stableGpusPerReplica: 8, steps: [{ weight: 100 }] }} | ${8}
  `("a swap that would leave no pod serving misses one pod's GPUs, not g × g: $name", ({ over, missingGpus }) => {
    const plan = planRollout(input(over)) as BlockedPlan;
    expect(plan).toMatchObject({ mode: 'blocked', missingGpus });
    expect(plan.reason).toMatch(/would stop serving/);
    expect(plan.reason).toContain(`Missing ${missingGpus} GPUs`);
  });

  // Both were planned, and failed on Insufficient GPUs mid-promotion, until the property test (test/property/) found them.
  it.each`
    name                                                             | over                                                                                                                                   | missingGpus | reason
    ${'bigger canary pods, room for one: no exchange frees a place'} | ${{ replicas: 2, stableReplicas: 2, gpusPerReplica: 8, stableGpusPerReplica: 4, steps: [{ replicas: 1 }], capacity: pool(8, [8, 0]) }} | ${8}        | ${/a stable pod \(4 GPUs\) gone does not free room for one/}
    ${'more replicas than the stable and the free room hold'}        | ${{ replicas: 4, stableReplicas: 1, steps: [{ replicas: 1 }], capacity: pool(8, [8, 4]) }}                                             | ${8}        | ${/the promotion needs 4 pods × 4 GPUs; the stable's 1 and 1 more fit/}
  `('a promotion the pool cannot hold is refused up front: $name', ({ over, missingGpus, reason }) => {
    const plan = planRollout(input(over)) as BlockedPlan;
    expect(plan).toMatchObject({ mode: 'blocked', missingGpus });
    expect(plan.reason).toMatch(reason);
  });

  it('names the missing GPUs and where the free ones are when blocked', () => {
    const plan = planRollout(input({ allowSwap: false, capacity: pool(8, [8, 4]) })) as BlockedPlan;
    expect(plan.mode).toBe('blocked');
    expect(plan.missingGpus).toBe(4); // 2 canary pods at 50 %, 1 fits in the 4 free GPUs
    expect(plan.reason).toMatch(/Missing 4 GPUs on pool a100/);
    expect(plan.reason).toMatch(/n0: 0, n1: 4/);
    expect(plan.reason).toMatch(/rollout\.allowSwap: false/);
  });

  it('uses free room first and swaps only what is missing', () => {
    const plan = planRollout(input({ capacity: pool(8, [8, 4]) })) as RolloutPlan; // 1 pod fits
    expect(plan.steps.map((s) => [s.canaryReplicas, s.stableReplicas])).toEqual([
      [1, 4],
      [2, 3],
    ]);
    expect(plan.steps.map((s) => s.order)).toEqual(['canary-first', 'stable-first']);
  });

  it('sets replica-ratio weights from the pod ratio, gateway weights from the spec', () => {
    const ratio = planRollout(input({ capacity: pool(8, [8, 8, 0, 0]), steps: [{ weight: 10 }] })) as RolloutPlan;
    expect(ratio.steps[0]).toMatchObject({ canaryReplicas: 1, stableReplicas: 4, weight: 20 });
    const gw = planRollout(input({ capacity: pool(8, [8, 8, 0, 0]), steps: [{ weight: 10 }], exactWeights: true })) as RolloutPlan;
    expect(gw.steps[0]).toMatchObject({ canaryReplicas: 1, stableReplicas: 4, weight: 10 });
  });

  it('honours explicit replica steps, bake times and manual gates', () => {
    const plan = planRollout(
      input({
        capacity: pool(8, [8, 8, 0, 0]),
        steps: [
          { replicas: 2, gate: 'manual' },
          { weight: 75, bake: 1000 },
        ],
      }),
    ) as RolloutPlan;
    expect(plan.steps[0]).toMatchObject({ canaryReplicas: 2, gate: 'manual' });
    expect(plan.steps[1]).toMatchObject({ canaryReplicas: 3, bakeMs: 1000 });
  });

  it('never plans a state with more pods than the pool holds', () => {
    for (const used of [
      [8, 8],
      [8, 4],
      [4, 4],
      [8, 8, 0],
    ]) {
      const capacity = pool(8, used);
      const plan = planRollout(input({ capacity }));
      if (plan.mode === 'blocked') continue;
      const budget = 4 + plan.freePods;
      for (const s of [...plan.steps, ...plan.promotion]) expect(s.canaryReplicas + s.stableReplicas).toBeLessThanOrEqual(budget);
    }
  });
});

describe('planPromotion', () => {
  it.each`
    name                     | n    | stable | canary | budget | moves
    ${'room for everything'} | ${4} | ${4}   | ${2}   | ${8}   | ${[[4, 0]]}
    ${'no room: one by one'} | ${3} | ${2}   | ${1}   | ${3}   | ${[[2, 1], [3, 0]]}
    ${'some room'}           | ${4} | ${4}   | ${1}   | ${6}   | ${[[2, 2], [4, 0]]}
    ${'canary already full'} | ${2} | ${1}   | ${2}   | ${3}   | ${[[2, 0]]}
  `('$name', ({ n, stable, canary, budget, moves }) => {
    const plan = planPromotion(n, stable, canary, budget);
    expect(plan.map((m) => [m.canaryReplicas, m.stableReplicas])).toEqual(moves);
    const last = plan[plan.length - 1]!;
    expect(last).toMatchObject({ canaryReplicas: n, stableReplicas: 0 });
    for (const m of plan) expect(m.canaryReplicas + m.stableReplicas).toBeLessThanOrEqual(budget);
  });
});
