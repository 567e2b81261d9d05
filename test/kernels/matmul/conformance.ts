/** The matrix product against the reference: both transposes, a matrix broadcast over the batch (stride 0), accumulate. */
import { it } from 'vitest';
import fc from 'fast-check';
import { Rng } from '../../../src/tensor/rng.js';
import { expectClose, randomArray } from '../helpers.js';
import { type ConformanceCase, ref, seed, sideOf } from '../conformanceCase.js';

export function matmulConformance(c: ConformanceCase): void {
  const { backend, dtype, tol, numRuns } = c;
  const dim = sideOf(c);
  it('matmul: transposes, batch broadcast, accumulate', () => {
    fc.assert(
      fc.property(
        fc.record({
          batch: fc.integer({ min: 1, max: 3 }), m: dim, n: dim, k: dim,
          transA: fc.boolean(), transB: fc.boolean(),
          broadcastA: fc.boolean(), broadcastB: fc.boolean(), accumulate: fc.boolean(), seed,
        }),
        ({ batch, m, n, k, transA, transB, broadcastA, broadcastB, accumulate, seed }) => {
          const rng = new Rng(seed);
          const a = randomArray(rng, (broadcastA ? 1 : batch) * m * k, dtype);
          const b = randomArray(rng, (broadcastB ? 1 : batch) * k * n, dtype);
          const start = randomArray(rng, batch * m * n, dtype);
          const common = { a, b, batch, m, n, k, transA, transB, aBatchStride: broadcastA ? 0 : m * k, bBatchStride: broadcastB ? 0 : k * n, accumulate };
          const expected = new Float64Array(start);
          ref.matmul({ ...common, out: expected });
          const actual = start.slice();
          backend.matmul({ ...common, out: actual });
          expectClose(actual, expected, tol, 'matmul');
        },
      ),
      { numRuns },
    );
  });
}
