/** GELU, ELU + 1, row softmax and layer normalisation against the reference on large, tiny, zero and −∞ inputs. */
import { expect, it } from 'vitest';
import fc from 'fast-check';
import { Rng } from '../../../src/tensor/rng.js';
import { expectClose, randomArray } from '../helpers.js';
import { type ConformanceCase, arrayOf, element, ref } from '../conformanceCase.js';

export function elementwiseConformance(c: ConformanceCase): void {
  const { backend, dtype, tol, numRuns } = c;
  const toArray = arrayOf(c.dtype);
  it('elementwise: gelu, gelu with its slope, elu + 1', () => {
    fc.assert(
      fc.property(fc.array(element, { minLength: 1, maxLength: 700 }), (values) => {
        const x = toArray(values);
        const gelu = backend.gelu(x);
        expectClose(gelu, ref.gelu(x), tol, 'gelu');
        const both = backend.geluWithSlope(x), expected = ref.geluWithSlope(x);
        expectClose(both.y, expected.y, tol, 'geluWithSlope y');
        // The value alone and the value with its slope are the same computation.
        expect(Array.from(both.y), 'geluWithSlope y = gelu').toEqual(Array.from(gelu));
        expectClose(both.slope, expected.slope, tol, 'geluWithSlope slope');
        expectClose(backend.eluPlusOne(x), ref.eluPlusOne(x), tol, 'eluPlusOne');
      }),
      { numRuns },
    );
  });

  it('layer norm rows, forward and backward', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 150 }), fc.integer({ min: 0, max: 1_000_000 }), fc.constantFrom(1e-5, 1e-2), (rows, D, seed, eps) => {
        const rng = new Rng(seed);
        // An offset per row (layer norm removes it) and rows that are constant (variance 0: eps decides).
        const x = randomArray(rng, rows * D, dtype);
        for (let r = 0; r < rows; r++) for (let j = 0; j < D; j++) x[r * D + j] = r % 3 === 2 ? 0.5 : x[r * D + j]! + 3 * r;
        const w = randomArray(rng, D, dtype), b = randomArray(rng, D, dtype), g = randomArray(rng, rows * D, dtype);
        const got = backend.layerNormRows(x, w, b, rows, D, eps);
        const want = ref.layerNormRows(x, w, b, rows, D, eps);
        expectClose(got.out, want.out, tol, 'out');
        expectClose(got.xhat, want.xhat, tol, 'xhat');
        expectClose(got.rstd, want.rstd, tol, 'rstd');
        const gotBack = backend.layerNormRowsBackward(g, want.xhat, want.rstd, w, rows, D);
        const wantBack = ref.layerNormRowsBackward(g, want.xhat, want.rstd, w, rows, D);
        expectClose(gotBack.dx, wantBack.dx, tol, 'dx');
        expectClose(gotBack.dWeight, wantBack.dWeight, tol, 'dWeight');
        expectClose(gotBack.dBias, wantBack.dBias, tol, 'dBias');
      }),
      { numRuns },
    );
  });

  it('elementwise: row softmax and log-sum-exp', () => {
    const entry = fc.oneof({ weight: 12, arbitrary: element }, { weight: 1, arbitrary: fc.constant(-Infinity) });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 300 }), fc.infiniteStream(entry), (rows, C, stream) => {
        const values = [...stream.take(rows * C)];
        // Every row keeps one finite entry (an all-masked row has no softmax).
        for (let r = 0; r < rows; r++) if (values[r * C] === -Infinity) values[r * C] = 0;
        const x = toArray(values);
        const got = backend.softmaxRows(x, rows, C);
        const want = ref.softmaxRows(x, rows, C);
        expectClose(got.probs, want.probs, tol, 'probs');
        expectClose(got.logSumExp, want.logSumExp, tol * 4, 'logSumExp');
        for (let i = 0; i < values.length; i++) if (values[i] === -Infinity) expect(got.probs[i], 'a masked entry gets exactly zero weight').toBe(0);
      }),
      { numRuns },
    );
  });
}
