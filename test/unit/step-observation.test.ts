import { withObservation } from '../../core/release/observation';
import type { ReleaseStatus } from '../../core/release/types';

// A step's observation taken into the release's status: newer evidence wins, and its load
// reports replace the status's reports of the same step only.
const report = (step: number, markdown: string) => ({ step, markdown, summary: { requests: 0, completed: 0, errors: {} } }) as never;
const status = (over: Partial<ReleaseStatus> = {}): ReleaseStatus =>
  ({ service: 's', namespace: 'n', version: 'v2', phase: 'canary', lastReason: 'before', ...over }) as ReleaseStatus;

describe('withObservation', () => {
  it.each([
    ['nothing observed yet', status({ loadTests: [report(1, 'a')] }), {}, 'before', ['1:a']],
    ['a new step appends', status({ loadTests: [report(1, 'a')] }), { loadTests: [report(2, 'b')] }, 'before', ['1:a', '2:b']],
    [
      'after a hold, the step is replaced',
      status({ loadTests: [report(1, 'a'), report(2, 'b')] }),
      { loadTests: [report(2, 'b'), report(2, 'c')], lastReason: 'load test failed: x' },
      'load test failed: x',
      ['1:a', '2:b', '2:c'],
    ],
  ])('%s', (_what, st, observation, lastReason, tests) => {
    const merged = withObservation(st, observation);
    expect(merged.lastReason).toBe(lastReason);
    expect((merged.loadTests ?? []).map((t) => `${t.step}:${t.markdown}`)).toEqual(tests);
  });
});
