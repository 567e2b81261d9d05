/** Mean ± spread over seeds: the numbers checked against values worked out by hand. */
import { describe, expect, it } from 'vitest';
import { MAX_SEEDS, formatMeanSd, mean, sampleSd, seedList, summarise } from '../../src/report/stats.js';

describe('mean and sample standard deviation', () => {
  it('match hand values', () => {
    expect(mean([2, 4, 9])).toBe(5);
    // deviations −3, −1, 4: squares 9 + 1 + 16 = 26, over n − 1 = 2: 13
    expect(sampleSd([2, 4, 9])).toBeCloseTo(Math.sqrt(13), 12);
    // two values a, b: sd = |a − b| / √2
    expect(sampleSd([10, 12])).toBeCloseTo(2 / Math.SQRT2, 12);
    expect(sampleSd([7, 7, 7])).toBe(0);
  });

  it('one value has no spread (null, not 0), and no values is an error', () => {
    expect(sampleSd([3.5])).toBeNull();
    expect(() => mean([])).toThrow(/no values/);
    expect(() => sampleSd([])).toThrow(/no values/);
  });

  it('summarise gathers n, mean, sd, min and max', () => {
    const s = summarise([9, 2, 4]);
    expect(s).toMatchObject({ n: 3, mean: 5, min: 2, max: 9 });
    expect(s.sd).toBeCloseTo(Math.sqrt(13), 12);
  });
});

describe('formatMeanSd', () => {
  it('prints mean ± sd for several values and the value alone for one (no "± 0")', () => {
    expect(formatMeanSd(summarise([10, 12]), (x) => x.toFixed(2))).toBe('11.00 ± 1.41');
    expect(formatMeanSd(summarise([10]), (x) => x.toFixed(2))).toBe('10.00');
  });
});

describe('seedList', () => {
  it('counts up from the first seed', () => {
    expect(seedList(1, 3)).toEqual([1, 2, 3]);
    expect(seedList(7, 1)).toEqual([7]);
    expect(seedList(0, MAX_SEEDS)).toHaveLength(MAX_SEEDS);
  });

  it('refuses no seeds, too many, and seeds past the safe integers', () => {
    expect(() => seedList(1, 0)).toThrow(/from 1 to 100, got 0/);
    expect(() => seedList(1, MAX_SEEDS + 1)).toThrow(/from 1 to 100/);
    expect(() => seedList(1, 1.5)).toThrow(/from 1 to 100/);
    expect(() => seedList(Number.MAX_SAFE_INTEGER, 2)).toThrow(/past the largest safe integer/);
  });
});
