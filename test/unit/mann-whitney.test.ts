import { mannWhitneyU } from '../../core/analysis/mann-whitney';

// Reference values from SciPy 1.17.1 `scipy.stats.mannwhitneyu` (the first pair is the example
// in SciPy's documentation: males vs females, U = 17, exact p = 0.1111, asymptotic p = 0.11135).
const males = [19, 22, 16, 29, 24];
const females = [20, 11, 17, 12];
const withTiesA = [1.2, 1.5, 1.5, 2.0, 2.2, 2.2, 2.2, 3.1, 3.3, 4.0, 4.1, 5.0];
const withTiesB = [0.9, 1.1, 1.5, 1.6, 2.0, 2.0, 2.1, 2.4, 2.5, 2.9];
const smallC = [3.1, 2.7, 3.8, 4.4, 2.9, 3.5];
const smallD = [1.9, 2.2, 2.8, 2.1, 2.6, 3.0, 2.4];

describe('Mann-Whitney U against SciPy', () => {
  it.each`
    name                                 | x            | y            | alternative    | method          | u     | p                       | used
    ${'docs example, exact'}             | ${males}     | ${females}   | ${'two-sided'} | ${'auto'}       | ${17} | ${0.1111111111111111}   | ${'exact'}
    ${'docs example, asymptotic'}        | ${males}     | ${females}   | ${'two-sided'} | ${'asymptotic'} | ${17} | ${0.11134688653314041}  | ${'asymptotic'}
    ${'ties: normal approx., two-sided'} | ${withTiesA} | ${withTiesB} | ${'two-sided'} | ${'auto'}       | ${83} | ${0.13657742724880367}  | ${'asymptotic'}
    ${'ties: greater'}                   | ${withTiesA} | ${withTiesB} | ${'greater'}   | ${'auto'}       | ${83} | ${0.06828871362440184}  | ${'asymptotic'}
    ${'ties: less'}                      | ${withTiesA} | ${withTiesB} | ${'less'}      | ${'auto'}       | ${83} | ${0.9400056073691933}   | ${'asymptotic'}
    ${'small, no ties: exact two-sided'} | ${smallC}    | ${smallD}    | ${'two-sided'} | ${'auto'}       | ${39} | ${0.008158508158508158} | ${'exact'}
    ${'small, no ties: exact greater'}   | ${smallC}    | ${smallD}    | ${'greater'}   | ${'auto'}       | ${39} | ${0.004079254079254079} | ${'exact'}
    ${'small, no ties: exact less'}      | ${smallC}    | ${smallD}    | ${'less'}      | ${'auto'}       | ${39} | ${0.9976689976689977}   | ${'exact'}
  `('$name: U = $u, p = $p', ({ x, y, alternative, method, u, p, used }) => {
    const r = mannWhitneyU(x, y, alternative, method);
    expect(r.u).toBe(u);
    expect(r.method).toBe(used);
    // The normal tail comes from a Chebyshev erfc (fractional error < 1.2e-7).
    expect(Math.abs(r.p - p) / p).toBeLessThan(1e-6);
  });

  it('finds no evidence when every value is equal, and refuses empty samples', () => {
    expect(mannWhitneyU([1, 1, 1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1, 1, 1, 1], 'greater').p).toBe(1);
    expect(() => mannWhitneyU([], [1])).toThrow(RangeError);
  });
});
