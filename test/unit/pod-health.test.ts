import { toHealthView } from '../../activities/kubernetes/wait-ready';
import { loadOverrun, type PodHealthView } from '../../core/pod-health';

const T0 = Date.parse('2026-12-02T10:00:00Z');
const pod = (over: Partial<PodHealthView> = {}): PodHealthView => ({
  name: 'llm-abc',
  deleting: false,
  ready: false,
  waitingReasons: [],
  restartCount: 0,
  runningSinceMs: T0,
  ...over,
});

describe('model-load budget', () => {
  it.each`
    name                           | over                             | elapsedS | overrun
    ${'loading, within budget'}    | ${{}}                            | ${15}    | ${false}
    ${'loading, past the budget'}  | ${{}}                            | ${16}    | ${true}
    ${'Ready: loaded'}             | ${{ ready: true }}               | ${600}   | ${false}
    ${'terminating'}               | ${{ deleting: true }}            | ${600}   | ${false}
    ${'not running yet (pulling)'} | ${{ runningSinceMs: undefined }} | ${600}   | ${false}
  `('$name → overrun $overrun', ({ over, elapsedS, overrun }) => {
    const got = loadOverrun(pod(over), T0 + elapsedS * 1000, 15_000);
    expect(got !== undefined).toBe(overrun);
    if (overrun) expect(got).toEqual({ pod: 'llm-abc', loadingMs: elapsedS * 1000 });
  });

  it('loading starts when the last app container runs, not before all of them do', () => {
    const status = (states: ({ running: { startedAt: Date } } | { waiting: { reason: string } })[]) =>
      toHealthView({
        metadata: { name: 'p' },
        status: { containerStatuses: states.map((state, i) => ({ name: `c${i}`, state })) },
      } as never);
    expect(status([{ running: { startedAt: new Date(T0) } }, { running: { startedAt: new Date(T0 + 5000) } }]).runningSinceMs).toBe(
      T0 + 5000,
    );
    expect(status([{ running: { startedAt: new Date(T0) } }, { waiting: { reason: 'ContainerCreating' } }]).runningSinceMs).toBeUndefined();
    expect(status([]).runningSinceMs).toBeUndefined();
  });
});
