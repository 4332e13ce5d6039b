import { endpointsLag } from '../../core/service-endpoints';

// Traffic has moved only when a Service's EndpointSlices follow its new selector.
describe('endpointsLag', () => {
  const pods = (...names: string[]) => new Set(names);
  it.each([
    ['caught up', [{ pod: 'c-1', ready: true, terminating: false }], pods('c-1'), pods('c-1'), undefined],
    [
      'an old pod still listed',
      [
        { pod: 's-1', ready: true, terminating: false },
        { pod: 'c-1', ready: true, terminating: false },
      ],
      pods('c-1'),
      pods('c-1'),
      'still lists s-1',
    ],
    ['a Ready pod not listed yet', [], pods('c-1'), pods('c-1'), 'does not list c-1 yet'],
    ['listed but not ready yet', [{ pod: 'c-1', ready: false, terminating: false }], pods('c-1'), pods('c-1'), 'does not list c-1 yet'],
    ['a loading pod may be missing', [{ pod: 'c-1', ready: true, terminating: false }], pods('c-1'), pods('c-1', 'c-2'), undefined],
    ['nothing selected, nothing listed', [], pods(), pods(), undefined],
    [
      'an old pod terminating (no new connections) does not hold it up',
      [
        { pod: 's-1', ready: false, terminating: true },
        { pod: 'c-1', ready: true, terminating: false },
      ],
      pods('c-1'),
      pods('c-1'),
      undefined,
    ],
  ])('%s', (_, endpoints, ready, selected, expected) => {
    expect(endpointsLag(endpoints, ready, selected)).toBe(expected);
  });
});
