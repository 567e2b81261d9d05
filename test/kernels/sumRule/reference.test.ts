/**
 * The reference sum-rule scan backward checked against central finite differences in float64: the ground
 * truth the js, wasm and gpu backends are compared with must itself be right.
 * Loss = Σ G·y + Σ Gs·finalState (+ Σ Gz·finalZ) with fixed random G, so every output path is exercised.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { Rng } from '../../../src/tensor/rng.js';
import { sumScanBackwardReference, sumScanForwardReference } from '../../../kernels/sumRule/reference.js';
import { dot, expectClose, numericGradient, randomArray, smallScanShapes as shapes } from '../helpers.js';

describe('reference sum-rule backward vs finite differences', () => {
  for (const normalise of [false, true]) {
    it(`normalise = ${normalise}`, () => {
      fc.assert(
        fc.property(shapes, ({ N, T, dk, dv, withInitial, seed }) => {
          const rng = new Rng(seed);
          // Positive q, k (as after φ) keep the normaliser away from zero.
          const low = normalise ? 0.1 : -1;
          const q = randomArray(rng, N * T * dk, 'float64', low, 1) as Float64Array;
          const k = randomArray(rng, N * T * dk, 'float64', low, 1) as Float64Array;
          const v = randomArray(rng, N * T * dv, 'float64') as Float64Array;
          const initialState = withInitial ? (randomArray(rng, N * dv * dk, 'float64') as Float64Array) : null;
          const initialZ = withInitial && normalise ? (randomArray(rng, N * dk, 'float64', 0.1, 1) as Float64Array) : null;
          const G = randomArray(rng, N * T * dv, 'float64');
          const Gs = randomArray(rng, N * dv * dk, 'float64');
          const Gz = randomArray(rng, N * dk, 'float64');
          const args = () => ({ q, k, v, N, T, dk, dv, normalise, eps: 1e-3, initialState, initialZ });
          const loss = () => {
            const f = sumScanForwardReference(args());
            return dot(G, f.y) + dot(Gs, f.finalState) + (f.finalZ ? dot(Gz, f.finalZ) : 0);
          };
          const forward = sumScanForwardReference(args());
          const grads = sumScanBackwardReference({ ...args(), forward, dy: G, dFinalState: Gs, dFinalZ: normalise ? Gz : null });
          expectClose(grads.dq, numericGradient(q, loss), 1e-6, 'dq');
          expectClose(grads.dk, numericGradient(k, loss), 1e-6, 'dk');
          expectClose(grads.dv, numericGradient(v, loss), 1e-6, 'dv');
          if (initialState) expectClose(grads.dInitialState, numericGradient(initialState, loss), 1e-6, 'dInitialState');
          else expect(grads.dInitialState).toBeNull();
          if (initialZ) expectClose(grads.dInitialZ, numericGradient(initialZ, loss), 1e-6, 'dInitialZ');
        }),
        { numRuns: 40 },
      );
    });
  }
});
