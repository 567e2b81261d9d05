/**
 * The reference delta-rule scan backward checked against central finite differences in float64: the ground
 * truth the js, wasm and gpu backends are compared with must itself be right.
 * Loss = Σ G·y + Σ Gs·finalState with fixed random G, so every output path is exercised.
 */
import { describe, it } from 'vitest';
import fc from 'fast-check';
import { Rng } from '../../../src/tensor/rng.js';
import { deltaScanBackwardReference, deltaScanForwardReference } from '../../../kernels/deltaRule/reference.js';
import { dot, expectClose, numericGradient, randomArray, smallScanShapes as shapes } from '../helpers.js';

describe('reference delta-rule backward vs finite differences', () => {
  it('matches for q, k, v, β and the initial state', () => {
    fc.assert(
      fc.property(shapes, ({ N, T, dk, dv, withInitial, seed }) => {
        const rng = new Rng(seed);
        const q = randomArray(rng, N * T * dk, 'float64') as Float64Array;
        const k = randomArray(rng, N * T * dk, 'float64') as Float64Array;
        const v = randomArray(rng, N * T * dv, 'float64') as Float64Array;
        const beta = randomArray(rng, N * T, 'float64', 0, 1) as Float64Array;
        const initialState = withInitial ? (randomArray(rng, N * dv * dk, 'float64') as Float64Array) : null;
        const G = randomArray(rng, N * T * dv, 'float64');
        const Gs = randomArray(rng, N * dv * dk, 'float64');
        const args = () => ({ q, k, v, beta, N, T, dk, dv, initialState });
        const loss = () => {
          const f = deltaScanForwardReference(args());
          return dot(G, f.y) + dot(Gs, f.finalState);
        };
        const forward = deltaScanForwardReference(args());
        const grads = deltaScanBackwardReference({ ...args(), forward, dy: G, dFinalState: Gs });
        expectClose(grads.dq, numericGradient(q, loss), 1e-6, 'dq');
        expectClose(grads.dk, numericGradient(k, loss), 1e-6, 'dk');
        expectClose(grads.dv, numericGradient(v, loss), 1e-6, 'dv');
        expectClose(grads.dbeta, numericGradient(beta, loss), 1e-6, 'dbeta');
        if (initialState) expectClose(grads.dInitialState, numericGradient(initialState, loss), 1e-6, 'dInitialState');
      }),
      { numRuns: 40 },
    );
  });
});
