/**
 * Linear maps of one input stacked into one compact matrix (src/nn/fla/layers.ts, stackedLinears):
 * each map's weight is a row range of the stacked matrix over the same memory, and the one product of
 * a one-token step gives the bits of the separate products, for every format and odd sizes.
 */
import fc from 'fast-check';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng, Tensor } from '../../src/index.js';
import { forwardStacked, stackedLinears } from '../../src/nn/fla/index.js';
import { loadHfDeltaNet } from '../../src/io/huggingFace.js';
import { float32ToBf16Bits, float32ToF16Bits } from '../../src/io/halfFloat.js';
import { CompactMatrix, type CompactDType } from '../../kernels/index.js';

const FIXTURES = new URL('../fixtures/fla/', import.meta.url).pathname;

/** Random values in ±1 into a compact matrix of any format. */
function fillRandom(w: CompactMatrix, rng: Rng): void {
  for (let i = 0; i < w.values.length; i++) {
    const v = 2 * rng.uniform() - 1;
    w.values[i] = w.dtype === 'float32' ? v : w.dtype === 'bfloat16' ? float32ToBf16Bits(v) : float32ToF16Bits(v);
  }
}

describe('stacked compact projections', () => {
  it('one product over the stacked matrix gives the bits of each map alone (1 to 6 rows of x, odd sizes)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<CompactDType>('float32', 'bfloat16', 'float16'),
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 1000 }),
        (dtype, inFeatures, outs, rows, seed) => {
          const rng = new Rng(seed);
          const { linears, stacked } = stackedLinears(inFeatures, outs, { rng, std: 0.02, empty: true, compact: dtype });
          expect(stacked).not.toBeNull();
          fillRandom(stacked!, rng);
          let firstRow = 0;
          for (const [i, linear] of linears.entries()) {
            const w = linear.weight as CompactMatrix;
            expect([w.rows, w.cols, w.dtype]).toEqual([outs[i], inFeatures, dtype]);
            // A view of the stacked matrix's memory, not a copy.
            expect(w.values.buffer).toBe(stacked!.values.buffer);
            expect(w.values.byteOffset).toBe(stacked!.values.byteOffset + firstRow * inFeatures * stacked!.values.BYTES_PER_ELEMENT);
            firstRow += outs[i]!;
          }
          const x = new Tensor(Float32Array.from({ length: rows * inFeatures }, () => rng.normal()), [1, rows, inFeatures]);
          const together = forwardStacked(x, linears, stacked);
          linears.forEach((linear, i) => {
            const alone = linear.forward(x);
            expect(together[i]!.shape).toEqual([1, rows, outs[i]]);
            expect(Array.from(together[i]!.data)).toEqual(Array.from(alone.data));
          });
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a row range outside the matrix, or of another width or format, is refused', () => {
    const w = new CompactMatrix(5, 3, 'bfloat16');
    expect(() => w.rowsView(4, 6)).toThrow('CompactMatrix: rows [4, 6) of bfloat16 width 3 are not rows of a bfloat16 matrix [5, 3]');
    expect(() => new CompactMatrix(2, 4, 'bfloat16', w)).toThrow('CompactMatrix: rows [0, 2) of bfloat16 width 4 are not rows of a bfloat16 matrix [5, 3]');
    expect(() => new CompactMatrix(2, 3, 'float16', w)).toThrow('are not rows of a bfloat16 matrix');
  });

  it('a model loaded with resident weights stacks q, k, v, b, g and gate, up; a plain one does not', () => {
    const gate = loadHfDeltaNet(join(FIXTURES, 'gate'), { resident: true }).model;
    const { hiddenSize: hidden, keyDim, valueDim, numHeads, intermediateSize } = gate.config;
    for (const layer of gate.model.layers) {
      const stacked = layer.attn.stackedInputProjections!;
      expect([stacked.rows, stacked.cols]).toEqual([2 * keyDim + valueDim + numHeads + valueDim, hidden]);
      expect((layer.attn.gProj!.weight as CompactMatrix).values.buffer).toBe(stacked.values.buffer);
      expect([layer.mlp.gateUp!.rows, layer.mlp.gateUp!.cols]).toEqual([2 * intermediateSize, hidden]);
    }
    const plain = loadHfDeltaNet(join(FIXTURES, 'gate')).model;
    expect(plain.model.layers[0]!.attn.stackedInputProjections).toBeNull();
    expect(plain.model.layers[0]!.mlp.gateUp).toBeNull();
  });
});
