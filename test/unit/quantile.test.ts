import { median, quantile } from '../../core/median';

// Reference values from numpy.quantile (linear interpolation, its default).
describe('quantile', () => {
  it.each([
    [[1, 2, 3, 4], 0.5, 2.5],
    [[1, 2, 3, 4], 0.99, 3.97],
    [[10, 1, 7], 0, 1],
    [[10, 1, 7], 1, 10],
    [[10, 1, 7], 0.25, 4],
    [[5], 0.99, 5],
  ])('of %p at %p is %p', (values, q, expected) => {
    expect(quantile(values, q)).toBeCloseTo(expected, 10);
  });

  it('leaves its input unsorted, and the median is the 0.5 quantile', () => {
    const v = [3, 1, 2];
    expect(median(v)).toBe(2);
    expect(v).toEqual([3, 1, 2]);
  });
});
