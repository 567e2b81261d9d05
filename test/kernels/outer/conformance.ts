/** Outer products and their sums over time against the reference. */
import { it } from 'vitest';
import fc from 'fast-check';
import { Rng } from '../../../src/tensor/rng.js';
import { expectClose, randomArray } from '../helpers.js';
import { type ConformanceCase, ref, seed, sideOf } from '../conformanceCase.js';

export function outerConformance(c: ConformanceCase): void {
  const { backend, dtype, tol, numRuns, maxT } = c;
  const dim = sideOf(c);
  it('outer and outerSum', () => {
    fc.assert(
      fc.property(fc.record({ batch: fc.integer({ min: 1, max: 3 }), T: fc.integer({ min: 1, max: maxT }), m: dim, n: dim, seed }), ({ batch, T, m, n, seed }) => {
        const rng = new Rng(seed);
        const a = randomArray(rng, batch * m, dtype);
        const c = randomArray(rng, batch * n, dtype);
        expectClose(backend.outer(a, c, batch, m, n), ref.outer(a, c, batch, m, n), tol, 'outer');
        const as = randomArray(rng, batch * T * m, dtype);
        const cs = randomArray(rng, batch * T * n, dtype);
        expectClose(backend.outerSum(as, cs, batch, T, m, n), ref.outerSum(as, cs, batch, T, m, n), tol, 'outerSum');
      }),
      { numRuns },
    );
  });
}
