import { budgetSpent, burnRate, evaluateBurnRates } from '../../core/analysis/burn-rate';

const H = 3_600_000;

describe('burn rates (SRE workbook, ch. 5)', () => {
  it('reproduces the workbook figures: 14.4× for 1h spends 2% of a 30-day budget, 6× for 6h spends 5%', () => {
    expect(budgetSpent(14.4, H, 30 * 24 * H)).toBeCloseTo(0.02, 10);
    expect(budgetSpent(6, 6 * H, 30 * 24 * H)).toBeCloseTo(0.05, 10);
    // A 99.9% objective leaves 0.1%: an error ratio of 1.44% burns it 14.4 times too fast.
    expect(burnRate(0.0144, 0.999)).toBeCloseTo(14.4, 10);
  });

  const pair = { long: H, short: H / 12, factor: 14.4 };
  it.each`
    name                                     | long      | short        | firing   | noData
    ${'both windows over the factor'}        | ${0.02}   | ${0.05}      | ${true}  | ${false}
    ${'long over, short recovered'}          | ${0.02}   | ${0.001}     | ${false} | ${false}
    ${'short spike, long below'}             | ${0.01}   | ${0.5}       | ${false} | ${false}
    ${'exactly at the factor does not fire'} | ${0.0144} | ${0.0144}    | ${false} | ${false}
    ${'no requests in the short window'}     | ${0.02}   | ${undefined} | ${false} | ${true}
  `('$name → firing $firing', ({ long, short, firing, noData }) => {
    const [e] = evaluateBurnRates(0.999, [pair], (ms) => (ms === pair.long ? long : short));
    expect(e!.firing).toBe(firing);
    expect(e!.noData).toBe(noData);
  });
});
