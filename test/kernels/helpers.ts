/** Shared helpers for the kernel tests: seeded random arrays and tolerant comparisons. */
import { expect } from 'vitest';
import fc from 'fast-check';
import { Rng } from '../../src/tensor/rng.js';
import type { FloatArray } from '../../kernels/types.js';

export type DTypeName = 'float32' | 'float64';

export function randomArray(rng: Rng, n: number, dtype: DTypeName, low = -1, high = 1): FloatArray {
  const out = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = low + (high - low) * rng.uniform();
  return out;
}

/** Largest |actual − expected| relative to max(1, largest |expected|), so float32 sums compare fairly. */
export function scaledError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let scale = 1;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]!));
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.abs(actual[i]! - expected[i]!);
    if (!(e <= worst)) worst = e; // NaN propagates as a failure
  }
  return worst / scale;
}

export function expectClose(actual: ArrayLike<number> | null, expected: ArrayLike<number> | null, tolerance: number, what: string): void {
  if (expected === null || actual === null) {
    expect(actual === null, `${what}: one side is null`).toBe(expected === null);
    return;
  }
  const error = scaledError(actual, expected);
  expect(error, `${what}: scaled error ${error}`).toBeLessThanOrEqual(tolerance);
}

/** Tolerance for comparing a backend to the float64 reference. */
export function toleranceFor(dtype: DTypeName): number {
  return dtype === 'float64' ? 1e-10 : 2e-4;
}

/** Σ_i weights[i] · values[i]: turns an output into a scalar loss for finite differences. */
export function dot(weights: ArrayLike<number>, values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += weights[i]! * values[i]!;
  return s;
}

/**
 * Central finite differences of a scalar function of one array, element by element, restoring it after.
 * Returns the numeric gradient.
 */
export function numericGradient(x: Float64Array, loss: () => number, eps = 1e-6): Float64Array {
  const grad = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const saved = x[i]!;
    x[i] = saved + eps;
    const plus = loss();
    x[i] = saved - eps;
    const minus = loss();
    x[i] = saved;
    grad[i] = (plus - minus) / (2 * eps);
  }
  return grad;
}

/** Scan shapes small enough for finite differences: N ≤ 2 heads, T ≤ 5 steps, dk, dv ≤ 4, with or without initial state. */
export const smallScanShapes = fc.record({
  N: fc.integer({ min: 1, max: 2 }),
  T: fc.integer({ min: 1, max: 5 }),
  dk: fc.integer({ min: 1, max: 4 }),
  dv: fc.integer({ min: 1, max: 4 }),
  withInitial: fc.boolean(),
  seed: fc.integer({ min: 0, max: 1_000_000 }),
});
