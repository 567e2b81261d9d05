/** The delta-rule scan against the reference: initial state in, final state out, gradients through both and through β. */
import { it } from 'vitest';
import fc from 'fast-check';
import { Rng } from '../../../src/tensor/rng.js';
import { expectClose, randomArray } from '../helpers.js';
import { type ConformanceCase, ref, scanShapeOf } from '../conformanceCase.js';

export function deltaRuleConformance(c: ConformanceCase): void {
  const { backend, dtype, tol, numRuns } = c;
  const scanShape = scanShapeOf(c);
  it('delta scan forward and backward', () => {
    fc.assert(
      fc.property(scanShape, ({ N, T, dk, dv, withInitial, withFinalGradient, seed }) => {
        const rng = new Rng(seed);
        // Keys with ‖k‖ ≤ 1 and β in [0, 1] keep the delta rule contractive, as after φ'.
        const q = randomArray(rng, N * T * dk, dtype, 0, 2 / dk);
        const k = randomArray(rng, N * T * dk, dtype, 0, 2 / dk);
        const v = randomArray(rng, N * T * dv, dtype);
        const beta = randomArray(rng, N * T, dtype, 0, 1);
        const initialState = withInitial ? randomArray(rng, N * dv * dk, dtype) : null;
        const args = { q, k, v, beta, N, T, dk, dv, initialState };
        const f0 = ref.deltaScanForward(args);
        const f1 = backend.deltaScanForward(args);
        expectClose(f1.y, f0.y, tol, 'y');
        expectClose(f1.finalState, f0.finalState, tol, 'finalState');
        expectClose(f1.writes, f0.writes, tol, 'writes');
        expectClose(f1.retrieved, f0.retrieved, tol, 'retrieved');
        const dy = randomArray(rng, N * T * dv, dtype);
        const dFinalState = withFinalGradient ? randomArray(rng, N * dv * dk, dtype) : null;
        const g0 = ref.deltaScanBackward({ ...args, forward: f0, dy, dFinalState });
        const g1 = backend.deltaScanBackward({ ...args, forward: f1, dy, dFinalState });
        expectClose(g1.dq, g0.dq, tol, 'dq');
        expectClose(g1.dk, g0.dk, tol, 'dk');
        expectClose(g1.dv, g0.dv, tol, 'dv');
        expectClose(g1.dbeta, g0.dbeta, tol, 'dbeta');
        expectClose(g1.dInitialState, g0.dInitialState, tol, 'dInitialState');
      }),
      { numRuns },
    );
  });
}
