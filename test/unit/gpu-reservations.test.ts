import type { PoolCapacity } from '../../core/gpu-capacity';
import {
  capacityLeft,
  emptyLedger,
  peakGpus,
  releaseReservation,
  reserve,
  slackOf,
  unclaimedByOthers,
  type GpuReservation,
} from '../../core/gpu-reservations';
import { planRollout, type RolloutPlan } from '../../core/rollout-plan';

const pool = (free: number[]): PoolCapacity => ({
  pool: 'l4',
  resource: 'nvidia.com/gpu',
  nodes: free.map((f, i) => ({ name: `n${i}`, allocatable: 4, requested: 4 - f, free: f, schedulable: true })),
  allocatable: 4 * free.length,
  requested: free.reduce((n, f) => n + 4 - f, 0),
  free: free.reduce((n, f) => n + f, 0),
  largestFreeOnOneNode: Math.max(...free),
});
const held = (holder: string, gpus: number, service = holder): GpuReservation => ({
  holder,
  runId: 'r1',
  service,
  version: 'v2',
  gpus,
  since: '2026-12-03T00:00:00Z',
});

describe('GPU reservations', () => {
  it.each([
    ['nobody else', [], {}, 0],
    ['another release, none of its pods yet', [held('a', 4)], {}, 4],
    ['another release, half of it placed', [held('a', 4)], { a: 2 }, 2],
    ['another release, all placed (no double count)', [held('a', 4)], { a: 4 }, 0],
    ['own reservation never counts', [held('me', 8)], {}, 0],
    ['two others', [held('a', 4), held('b', 2)], { a: 1 }, 5],
  ])('unclaimed by others: %s', (_what, reservations, heldBy, expected) => {
    expect(unclaimedByOthers({ version: 1, reservations }, 'me', heldBy).gpus).toBe(expected);
  });

  it.each([
    [[4, 4], 0, [4, 4]],
    [[4, 4], 3, [2, 3]],
    [[4, 1], 3, [1, 1]],
    [[2, 2], 9, [0, 0]],
  ])('capacity left on %j after %i reserved: %j', (free, reserved, expected) => {
    const left = capacityLeft(pool(free), reserved);
    expect(left.nodes.map((n) => n.free)).toEqual(expected);
    expect(left.free).toBe(expected.reduce((a, b) => a + b, 0));
    expect(left.largestFreeOnOneNode).toBe(Math.max(...expected));
  });

  const planned = (free: number[], stable: number, replicas = stable, steps = [{ weight: 50 }]) =>
    planRollout({
      replicas,
      stableReplicas: stable,
      gpusPerReplica: 1,
      stableGpusPerReplica: 1,
      steps,
      exactWeights: false,
      allowSwap: true,
      capacity: pool(free),
    }) as RolloutPlan;

  it.each([
    ['first release of 2', planned([4, 4], 0, 2), 0, 2],
    ['surge 2 beside 2', planned([4, 4], 2), 2, 4],
    ['swap on a full pool: never more than the stable held', planned([0, 0], 2), 2, 2],
  ])('peak GPUs: %s', (_what, plan, stable, expected) => {
    expect(plan.mode).not.toBe('blocked');
    expect(peakGpus(plan, stable, 1)).toBe(expected);
  });

  it('reserves against the ledger it read, and only that one', () => {
    const first = reserve(emptyLedger(), held('a', 4), 0);
    expect(first).toMatchObject({ ok: true, ledger: { version: 1 } });
    const stale = reserve(first.ledger, held('b', 2), 0);
    expect(stale.ok).toBe(false);
    const again = reserve(first.ledger, held('a', 6), 1);
    expect(again.ledger.reservations).toEqual([{ ...held('a', 6), atVersion: 2 }]);
    expect(releaseReservation(again.ledger, 'a', 'other-run')).toBe(again.ledger);
    expect(releaseReservation(again.ledger, 'a', 'r1')).toEqual({ version: 3, reservations: [] });
  });

  it.each`
    read | since                   | slack | ok       | why
    ${1} | ${[]}                   | ${0}  | ${true}  | ${'nothing changed'}
    ${1} | ${[['b', 2]]}           | ${0}  | ${false} | ${'changed, no slack'}
    ${1} | ${[['b', 2], ['c', 3]]} | ${5}  | ${true}  | ${'what others took fits the slack'}
    ${1} | ${[['b', 2], ['c', 3]]} | ${4}  | ${false} | ${'one GPU too many'}
    ${0} | ${[['b', 2]]}           | ${1}  | ${false} | ${'a reservation made before the read counts when read from earlier'}
    ${1} | ${[['me', 6]]}          | ${0}  | ${true}  | ${'its own earlier reservation never counts'}
  `('reserves with a slack: $why', ({ read, since, slack, ok }) => {
    // Version 1: a's 4 GPUs; then each of `since` in turn.
    let ledger = reserve(emptyLedger(), held('a', 4), 0).ledger;
    for (const [holder, gpus] of since as [string, number][]) ledger = reserve(ledger, held(holder, gpus), ledger.version).ledger;
    expect(reserve(ledger, held('me', 2), read as number, slack as number).ok).toBe(ok);
  });

  it('a reservation from a ledger without versions counts as taken since any read', () => {
    const ledger = { version: 3, reservations: [held('a', 4)] };
    expect(reserve(ledger, held('me', 1), 2, 3).ok).toBe(false);
    expect(reserve(ledger, held('me', 1), 2, 4).ok).toBe(true);
  });

  it.each([
    ['a first release of 2 on a roomy pool', [4, 4], 0, 2, 6],
    ['a surge canary beside 2: what its promotion does not need is spare', [4, 4], 2, 2, 6],
    ['a swap on a full pool has nothing to spare', [0, 0], 2, 2, 0],
  ])('slack: %s', (_what, free, stable, replicas, expected) => {
    const plan = (capacity: PoolCapacity) =>
      planRollout({
        replicas,
        stableReplicas: stable,
        gpusPerReplica: 1,
        stableGpusPerReplica: 1,
        steps: [{ weight: 50 }],
        exactWeights: false,
        allowSwap: true,
        capacity,
      });
    const capacity = pool(free);
    const planned = plan(capacity) as RolloutPlan;
    const slack = slackOf(capacity, 0, planned, plan);
    expect(slack).toBe(expected);
    // Taking one GPU more than the slack changes the moves (or blocks the plan).
    const moves = (p: ReturnType<typeof plan>) => (p.mode === 'blocked' ? p.mode : JSON.stringify([p.mode, p.steps, p.promotion]));
    if (slack < capacity.free) expect(moves(plan(capacityLeft(capacity, slack + 1)))).not.toBe(moves(planned));
  });
});
