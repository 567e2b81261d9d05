/** Shared test helpers: random shapes and tensors for property tests. */
import fc from 'fast-check';
import { expect } from 'vitest';
import { Rng, Tensor, checkGradients, describeGradCheck, type Shape } from '../src/index.js';

/** Shapes of rank minRank..maxRank with dimensions 1..maxDim (size-1 dimensions included on purpose). */
export const shapeArb = (minRank = 0, maxRank = 4, maxDim = 3): fc.Arbitrary<number[]> =>
  fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: minRank, maxLength: maxRank });

/** A pair of shapes that broadcast together: b is a suffix of a with some dimensions set to 1, or swapped. */
export const broadcastPairArb = (maxRank = 4, maxDim = 3): fc.Arbitrary<[number[], number[]]> =>
  fc
    .record({
      shape: shapeArb(0, maxRank, maxDim),
      drop: fc.integer({ min: 0, max: maxRank }),
      ones: fc.array(fc.boolean(), { minLength: maxRank, maxLength: maxRank }),
      swap: fc.boolean(),
    })
    .map(({ shape, drop, ones, swap }) => {
      const b = shape.slice(Math.min(drop, shape.length)).map((d, i) => (ones[i] ? 1 : d));
      return swap ? [b, shape] : [shape, b];
    });

/** A float64 tensor with entries uniform in [low, high), away from `avoid` by at least `gap`. */
export function randomTensor(shape: Shape, seed: number, low = -2, high = 2, avoid?: { at: number; gap: number }): Tensor {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let v = low + (high - low) * rng.uniform();
    if (avoid && Math.abs(v - avoid.at) < avoid.gap) v = avoid.at + (v >= avoid.at ? avoid.gap : -avoid.gap);
    data[i] = v;
  }
  return new Tensor(data, shape);
}

export const seedArb = fc.integer({ min: 0, max: 2 ** 31 - 1 });

/** Asserts that fn's gradients match finite differences (float64, error ≤ tolerance). */
export function expectGradients(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[], tolerance = 1e-6, check?: boolean[]): void {
  const result = checkGradients(fn, inputs, { tolerance, ...(check ? { check } : {}) });
  expect(result.ok, describeGradCheck(result, inputs)).toBe(true);
}

export const RUNS = { numRuns: 40 };
