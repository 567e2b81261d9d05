/**
 * What every family's conformance tests (test/kernels/<family>/conformance.ts) share: the backend and
 * dtype under test with its tolerance, and the random shapes and inputs they draw. The suite that
 * runs them all against one backend is test/kernels/backends/conformance.ts.
 */
import { expect } from 'vitest';
import fc from 'fast-check';
import type { KernelBackend } from '../../kernels/types.js';
import { referenceBackend } from '../../kernels/backends/reference.js';
import type { DTypeName } from './helpers.js';

export interface ConformanceCase {
  backend: KernelBackend;
  dtype: DTypeName;
  /** Allowed scaled error for this dtype (see helpers.scaledError). */
  tol: number;
  numRuns: number;
  /** Largest matrix side and scan length drawn. */
  maxSize: number;
  maxT: number;
  /** Shortest scan drawn (default 1). */
  minT?: number;
}

/** The truth every backend is pinned to. */
export const ref = referenceBackend;

export const seed = fc.integer({ min: 0, max: 1_000_000 });

/** A matrix side or feature size: 1 to maxSize, so sizes that are not multiples of any tile come up. */
export const sideOf = (c: ConformanceCase) => fc.integer({ min: 1, max: c.maxSize });

/** One scan's shape: N heads, T = 1 to maxT steps, sizes dk and dv, with or without state in and gradient out. */
export function scanShapeOf(c: ConformanceCase) {
  const dim = sideOf(c);
  return fc.record({
    N: fc.integer({ min: 1, max: 3 }),
    T: fc.integer({ min: c.minT ?? 1, max: c.maxT }),
    dk: dim,
    dv: dim,
    withInitial: fc.boolean(),
    withFinalGradient: fc.boolean(),
    seed,
  });
}

// Elementwise inputs: mostly O(1), with a share of large magnitudes, exact zeros and (softmax) −∞.
export const element = fc.oneof(
  { weight: 6, arbitrary: fc.double({ min: -6, max: 6, noNaN: true }) },
  { weight: 1, arbitrary: fc.double({ min: -200, max: 200, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(0, -0, 1e-30, -1e-30) },
);

export const arrayOf = (dtype: DTypeName) => (values: number[]) => (dtype === 'float64' ? Float64Array.from(values) : Float32Array.from(values));

// The array passes compute in the arrays' own precision, one rounding per operation, so every
// backend must give the reference's bits. Sizes reach past the point where wasm takes over (512).
export const exact = (actual: ArrayLike<number>, expected: ArrayLike<number>, what: string) =>
  expect(Array.from(actual), what).toEqual(Array.from(expected));
