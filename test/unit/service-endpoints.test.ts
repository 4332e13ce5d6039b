import { endpointsLag } from '../../core/service-endpoints';

// Traffic has moved only when a Service's EndpointSlices follow its new selector.
describe('endpointsLag', () => {
  const pods = (...names: string[]) => new Set(names);
  it.each([
    ['caught up', [{ pod: 'c-1', ready: true }], pods('c-1'), pods('c-1'), undefined],
    [
      'an old pod still listed',
      [
        { pod: 's-1', ready: true },
        { pod: 'c-1', ready: true },
      ],
      pods('c-1'),
      pods('c-1'),
      'still lists s-1',
    ],
    ['a Ready pod not listed yet', [], pods('c-1'), pods('c-1'), 'does not list c-1 yet'],
    ['listed but not ready yet', [{ pod: 'c-1', ready: false }], pods('c-1'), pods('c-1'), 'does not list c-1 yet'],
    ['a loading pod may be missing', [{ pod: 'c-1', ready: true }], pods('c-1'), pods('c-1', 'c-2'), undefined],
    ['nothing selected, nothing listed', [], pods(), pods(), undefined],
  ])('%s', (_, endpoints, ready, selected, expected) => {
    expect(endpointsLag(endpoints, ready, selected)).toBe(expected);
  });
});
