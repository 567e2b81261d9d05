/** The masked, scaled attention softmax and its backward against the reference. */
import { it } from 'vitest';
import fc from 'fast-check';
import { Rng } from '../../../src/tensor/rng.js';
import { expectClose, randomArray } from '../helpers.js';
import { type ConformanceCase, ref, seed } from '../conformanceCase.js';

export function attentionConformance(c: ConformanceCase): void {
  const { backend, dtype, tol, numRuns } = c;
  it('attention softmax with scale and key mask, forward and backward', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 40 }), fc.boolean(), seed, (B, H, T, S, masked, s) => {
        const rng = new Rng(s);
        const n = B * H * T * S;
        const scores = randomArray(rng, n, dtype, -4, 4), dP = randomArray(rng, n, dtype);
        // About a third of the keys blocked, and now and then a whole row (a padding query).
        const blocked = masked ? randomArray(rng, B * T * S, dtype, 0, 1).map((v, i) => (v < 0.33 || Math.floor(i / S) % 7 === 3 ? 1 : 0)) : null;
        const scale = 1 / Math.sqrt(1 + (s % 40));
        const want = ref.maskedSoftmax(scores, blocked, scale, B, H, T, S);
        expectClose(backend.maskedSoftmax(scores, blocked, scale, B, H, T, S), want, tol, 'P');
        expectClose(backend.maskedSoftmaxBackward(dP, want, blocked, scale, B, H, T, S), ref.maskedSoftmaxBackward(dP, want, blocked, scale, B, H, T, S), tol, 'dS');
      }),
      { numRuns },
    );
  });
}
