import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { WARMUP_BUDGET_FRACTION, budgetSchedule, constantSchedule, warmupCosineByProgressSchedule, warmupCosineSchedule, warmupInverseSqrtSchedule, type Schedule } from '../../src/train/schedule.js';

const values = (s: Schedule, from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => s(from + i));
const nonIncreasing = (xs: number[]) => xs.every((x, i) => i === 0 || x <= xs[i - 1]! + 1e-15);

describe('constantSchedule', () => {
  it('is constant and refuses bad input', () => {
    const s = constantSchedule(3e-4);
    expect(values(s, 0, 5).every((x) => x === 3e-4)).toBe(true);
    expect(() => s(-1)).toThrow(/step must be a non-negative integer, got -1/);
    expect(() => constantSchedule(Number.NaN)).toThrow(/lr must be a finite number/);
  });
});

describe('warmupCosineSchedule', () => {
  const s = warmupCosineSchedule({ peakLr: 1e-3, warmupSteps: 10, totalSteps: 110, minLr: 1e-4 });

  it('warms up linearly from 0 and peaks at warmupSteps', () => {
    expect(s(0)).toBe(0);
    for (let t = 1; t <= 10; t++) expect(s(t)).toBeCloseTo((1e-3 * t) / 10, 15);
    expect(s(10)).toBe(1e-3);
    expect(Math.max(...values(s, 0, 200))).toBe(1e-3);
  });

  it('decays along a half cosine to the floor and stays there', () => {
    expect(s(60)).toBeCloseTo((1e-3 + 1e-4) / 2, 15); // half-way: the midpoint
    expect(s(110)).toBe(1e-4);
    expect(s(1000)).toBe(1e-4);
    expect(nonIncreasing(values(s, 10, 200))).toBe(true);
  });

  it('is monotone on each side of the peak for any settings', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 100 }), fc.double({ min: 0, max: 1, noNaN: true }), (warmup, decay, floorFraction) => {
        const f = warmupCosineSchedule({ peakLr: 1, warmupSteps: warmup, totalSteps: warmup + decay, minLr: floorFraction });
        const up = values(f, 0, warmup);
        expect(up.every((x, i) => i === 0 || x >= up[i - 1]!)).toBe(true);
        expect(nonIncreasing(values(f, warmup, warmup + decay + 5))).toBe(true);
        expect(f(warmup)).toBeCloseTo(1, 12);
      }),
    );
  });

  it('refuses inconsistent settings', () => {
    expect(() => warmupCosineSchedule({ peakLr: 1, warmupSteps: 10, totalSteps: 5 })).toThrow(/totalSteps 5 is before the end of warm-up/);
    expect(() => warmupCosineSchedule({ peakLr: 1, warmupSteps: 1, totalSteps: 5, minLr: 2 })).toThrow(/minLr 2 is above peakLr 1/);
  });
});

describe('warmupInverseSqrtSchedule', () => {
  it('warms up linearly, peaks at warmupSteps, then falls as 1/√step', () => {
    const s = warmupInverseSqrtSchedule({ peakLr: 2, warmupSteps: 4 });
    expect(values(s, 0, 4)).toEqual([0, 0.5, 1, 1.5, 2]);
    expect(s(16)).toBeCloseTo(1, 15);
    expect(s(64)).toBeCloseTo(0.5, 15);
    expect(nonIncreasing(values(s, 4, 500))).toBe(true);
  });

  it('without warm-up starts at the peak', () => {
    const s = warmupInverseSqrtSchedule({ peakLr: 1, warmupSteps: 0 });
    expect(s(0)).toBe(1);
    expect(s(1)).toBe(1);
    expect(s(4)).toBe(0.5);
  });
});

describe('warmupCosineByProgressSchedule (a time budget)', () => {
  const s = warmupCosineByProgressSchedule({ peakLr: 1e-3, warmupSteps: 10, minLr: 1e-4 });

  it('warms up over steps, then follows half a cosine over the budget used, to minLr at the end', () => {
    expect(s(5, 0)).toBeCloseTo(5e-4, 12);
    expect(s(10, 0)).toBeCloseTo(1e-3, 12);
    expect(s(100, 0.5)).toBeCloseTo(5.5e-4, 12);
    expect(s(100, 1)).toBeCloseTo(1e-4, 12);
    expect(s(100, 1.5)).toBeCloseTo(1e-4, 12); // past the budget (the last step's eval ran over): the floor
    expect(s(3, 0.5)).toBeCloseTo(0.3 * 5.5e-4, 12); // warm-up and decay multiply
  });

  it('never rises as the budget is used', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (a, b) => {
        const [lo, hi] = a < b ? [a, b] : [b, a];
        return s(50, hi) <= s(50, lo) + 1e-18;
      }),
    );
  });

  it('refuses a missing or negative progress, and a floor above the peak', () => {
    expect(() => s(5)).toThrow(/progress must be a number in \[0, 1\], got undefined/);
    expect(() => s(5, -0.1)).toThrow(/progress must be a number/);
    expect(() => warmupCosineByProgressSchedule({ peakLr: 1, warmupSteps: 1, minLr: 2 })).toThrow(/minLr 2 is above peakLr 1/);
  });
});

describe('budgetSchedule', () => {
  it('decays to a tenth of the peak at the end of a step budget and of a time budget', () => {
    expect(budgetSchedule({ peakLr: 2e-3, warmupSteps: 10, steps: 100 })(100)).toBeCloseTo(2e-4, 12);
    const byTime = budgetSchedule({ peakLr: 2e-3, warmupSteps: 10 });
    expect(byTime(500, 0)).toBeCloseTo(2e-3, 12);
    expect(byTime(500, 1)).toBeCloseTo(2e-4, 12);
  });

  it('ends the warm-up of a time budget by a tenth of the time, as a short run on a slow machine needs', () => {
    // 200 warm-up steps, but a run that makes 150 steps in its minutes (a 2-minute run at 1.25 steps/s).
    const byTime = budgetSchedule({ peakLr: 2e-3, warmupSteps: 200 });
    const decay = (p: number) => 2e-4 + 1.8e-3 * 0.5 * (1 + Math.cos(Math.PI * p));
    expect(WARMUP_BUDGET_FRACTION).toBe(0.1);
    expect(byTime(1, 0)).toBeCloseTo(2e-3 / 200, 15); // the steps lead at the start
    expect(byTime(10, 0.05)).toBeCloseTo(0.5 * decay(0.05), 15); // half the tenth: half the peak
    expect(byTime(15, 0.1)).toBeCloseTo(decay(0.1), 15); // a tenth of the time: warm-up done at step 15 of 200
    expect(byTime(120, 0.8)).toBeCloseTo(decay(0.8), 15);
    // A fast machine reaches 200 steps before a tenth of the time: the steps end the warm-up, as before.
    expect(byTime(100, 0.01)).toBeCloseTo(0.5 * decay(0.01), 15);
    expect(byTime(200, 0.02)).toBeCloseTo(decay(0.02), 15);
    // Rising, never past the peak, during warm-up whichever clock leads.
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 199 }), fc.double({ min: 0, max: 0.2, noNaN: true }), (step, p) => {
        const lr = byTime(step, p);
        return lr <= decay(p) + 1e-18 && byTime(step + 1, p) >= lr;
      }),
    );
    // A step budget keeps its own rule (the command lines cap warm-up at a tenth of the steps).
    expect(budgetSchedule({ peakLr: 2e-3, warmupSteps: 200, steps: 1000 })(100)).toBeCloseTo(1e-3, 15);
    expect(() => warmupCosineByProgressSchedule({ peakLr: 1, warmupSteps: 1, warmupBudgetFraction: 0 })).toThrow(/warmupBudgetFraction must be > 0, got 0/);
  });
});
