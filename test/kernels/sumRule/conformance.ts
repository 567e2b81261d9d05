/** The sum-rule scan against the reference, with and without normalisation: initial state in, final state out, gradients through both. */
import { it } from 'vitest';
import fc from 'fast-check';
import { Rng } from '../../../src/tensor/rng.js';
import { expectClose, randomArray } from '../helpers.js';
import { type ConformanceCase, ref, scanShapeOf } from '../conformanceCase.js';

export function sumRuleConformance(c: ConformanceCase): void {
  const { backend, dtype, tol, numRuns } = c;
  const scanShape = scanShapeOf(c);
  for (const normalise of [false, true]) {
    it(`sum scan forward and backward (normalise = ${normalise})`, () => {
      fc.assert(
        fc.property(scanShape, ({ N, T, dk, dv, withInitial, withFinalGradient, seed }) => {
          const rng = new Rng(seed);
          // q, k positive and scaled like φ' outputs (sum to about one), so y stays O(1).
          const q = randomArray(rng, N * T * dk, dtype, 0.1 / dk, 2 / dk);
          const k = randomArray(rng, N * T * dk, dtype, 0.1 / dk, 2 / dk);
          const v = randomArray(rng, N * T * dv, dtype);
          const initialState = withInitial ? randomArray(rng, N * dv * dk, dtype) : null;
          const initialZ = withInitial && normalise ? randomArray(rng, N * dk, dtype, 0, 1 / dk) : null;
          const args = { q, k, v, N, T, dk, dv, normalise, eps: 1e-5, initialState, initialZ };
          const f0 = ref.sumScanForward(args);
          const f1 = backend.sumScanForward(args);
          expectClose(f1.y, f0.y, tol, 'y');
          expectClose(f1.finalState, f0.finalState, tol, 'finalState');
          expectClose(f1.finalZ, f0.finalZ, tol, 'finalZ');
          const dy = randomArray(rng, N * T * dv, dtype);
          const dFinalState = withFinalGradient ? randomArray(rng, N * dv * dk, dtype) : null;
          const dFinalZ = withFinalGradient && normalise ? randomArray(rng, N * dk, dtype) : null;
          const g0 = ref.sumScanBackward({ ...args, forward: f0, dy, dFinalState, dFinalZ });
          const g1 = backend.sumScanBackward({ ...args, forward: f1, dy, dFinalState, dFinalZ });
          // With one key dimension the normalised read y = W q / (z q) does not depend on q: dq is
          // the difference of two equal terms, sums over dv products, and float32 leaves their
          // rounding (growing like √dv) where the exact value is about zero.
          expectClose(g1.dq, g0.dq, normalise && dk === 1 ? tol * Math.sqrt(dv) : tol, 'dq');
          expectClose(g1.dk, g0.dk, tol, 'dk');
          expectClose(g1.dv, g0.dv, tol, 'dv');
          expectClose(g1.dInitialState, g0.dInitialState, tol, 'dInitialState');
          expectClose(g1.dInitialZ, g0.dInitialZ, tol, 'dInitialZ');
        }),
        { numRuns },
      );
    });
  }
}
