/** The feature maps' passes give the reference's bits: ELU + 1 backward, sum normalisation and its backward. */
import { it } from 'vitest';
import fc from 'fast-check';
import { Rng } from '../../../src/tensor/rng.js';
import { randomArray } from '../helpers.js';
import { type ConformanceCase, arrayOf, element, exact, ref, seed } from '../conformanceCase.js';

export function featureMapConformance(c: ConformanceCase): void {
  const { backend, dtype, numRuns } = c;
  const toArray = arrayOf(c.dtype);
  it('feature maps: ELU + 1 backward, sum normalisation and its backward', () => {
    fc.assert(
      fc.property(fc.array(element, { minLength: 1, maxLength: 1500 }), fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 70 }), seed, (values, rows, D, s) => {
        const rng = new Rng(s);
        const x = toArray(values);
        const out = ref.eluPlusOne(x), g = randomArray(rng, x.length, dtype);
        exact(backend.eluPlusOneBackward(x, out, g), ref.eluPlusOneBackward(x, out, g), 'eluPlusOneBackward');
        // Positive features, as φ gives them.
        const phi = randomArray(rng, rows * D, dtype, 0, 2), gy = randomArray(rng, rows * D, dtype);
        const got = backend.sumNormaliseRows(phi, rows, D, 1e-6), want = ref.sumNormaliseRows(phi, rows, D, 1e-6);
        exact(got.out, want.out, 'sumNormalise out');
        exact(got.sums, want.sums, 'sumNormalise sums');
        exact(backend.sumNormaliseRowsBackward(gy, want.out, want.sums, rows, D), ref.sumNormaliseRowsBackward(gy, want.out, want.sums, rows, D), 'sumNormalise backward');
      }),
      { numRuns },
    );
  });
}
