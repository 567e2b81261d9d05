/** Cross-entropy rows (label smoothing, skipped rows) and their gradient against the reference. */
import { it } from 'vitest';
import fc from 'fast-check';
import { Rng } from '../../../src/tensor/rng.js';
import { expectClose, randomArray } from '../helpers.js';
import { type ConformanceCase, ref, seed } from '../conformanceCase.js';

export function crossEntropyConformance(c: ConformanceCase): void {
  const { backend, dtype, tol, numRuns } = c;
  it('cross-entropy rows with label smoothing and skipped rows, forward and backward', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 120 }), fc.constantFrom(0, 0.1), seed, (rows, C, eps, s) => {
        const rng = new Rng(s);
        const logits = randomArray(rng, rows * C, dtype, -5, 5);
        const targets = Int32Array.from({ length: rows }, (_, r) => (r % 5 === 4 ? -1 : rng.int(C)));
        const rowScale = randomArray(rng, rows, dtype, -2, 2);
        const got = backend.crossEntropyRows(logits, targets, rows, C, eps);
        const want = ref.crossEntropyRows(logits, targets, rows, C, eps);
        expectClose(got.probs, want.probs, tol, 'probs');
        expectClose(got.logSumExp, want.logSumExp, tol * 4, 'logSumExp');
        expectClose(got.losses, want.losses, tol * 4, 'losses');
        expectClose(backend.crossEntropyRowsBackward(want.probs, targets, rowScale, rows, C, eps), ref.crossEntropyRowsBackward(want.probs, targets, rowScale, rows, C, eps), tol, 'gradient');
      }),
      { numRuns },
    );
  });
}
