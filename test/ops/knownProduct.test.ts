/**
 * matmul's `known` product (src/ops/matmul.ts), as a block run again in backward uses it
 * (src/ops/checkpoint.ts) through Linear's `product`: the value is the known array, not computed
 * again, and the gradients are those of the product computed, bit for bit, on random shapes
 * (batches broadcast, one row, one column, leading axes folded, with and without a bias); float64
 * gradients against finite differences; a clear error for a known product of the wrong shape or dtype.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/tensor/tensor.js';
import { withGradMode } from '../../src/autograd/graph.js';
import { linear } from '../../src/nn/layers.js';
import * as ops from '../../src/ops/index.js';
import { expectGradients, randomTensor, seedArb } from '../helpers.js';

/** a [...batchA, m, k] · b [...batchB, k, n]: b's batch one of a's suffixes (broadcast), or a's one of b's. */
const products = fc
  .record({
    batch: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
    cut: fc.integer({ min: 0, max: 2 }),
    aFull: fc.boolean(),
    m: fc.integer({ min: 1, max: 4 }),
    k: fc.integer({ min: 1, max: 4 }),
    n: fc.integer({ min: 1, max: 4 }),
    seed: seedArb,
  })
  .map(({ batch, cut, aFull, m, k, n, seed }) => {
    const short = batch.slice(Math.min(cut, batch.length));
    return { aShape: [...(aFull ? batch : short), m, k], bShape: [...(aFull ? short : batch), k, n], seed };
  });

/** x [...lead, in] · W [in, out] + b [out] (or no bias). */
const linears = fc.record({
  lead: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }),
  inF: fc.integer({ min: 1, max: 5 }),
  outF: fc.integer({ min: 1, max: 5 }),
  withBias: fc.boolean(),
  seed: seedArb,
});

/** Fresh leaves of `tensors` in `dtype`; the loss Σ y ⊙ R backpropagated; y's array and every leaf's gradient. */
function gradients(tensors: Tensor[], dtype: 'float32' | 'float64', f: (...xs: Tensor[]) => Tensor, seed: number): Float64Array[] {
  const leaves = tensors.map((t) => new Tensor(t.to(dtype).data.slice(), t.shape, { requiresGrad: true }));
  const y = f(...leaves);
  ops.sum(ops.mul(y, randomTensor(y.shape, seed).to(dtype))).backward();
  return [y.data, ...leaves.map((l) => l.grad!.data)].map((d) => Float64Array.from(d));
}

describe('a known product', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    it(`${dtype}: matmul takes the known array as its value and gives the gradients of the computed product, bit for bit`, () => {
      fc.assert(
        fc.property(products, ({ aShape, bShape, seed }) => {
          const tensors = [randomTensor(aShape, seed), randomTensor(bShape, seed + 1)];
          let known: Tensor | null = null;
          const got = gradients(tensors, dtype, (a, b) => {
            known = withGradMode(false, () => ops.matmul(a!, b!));
            const y = ops.matmul(a!, b!, known);
            expect(y.data).toBe(known.data);
            return y;
          }, seed + 2);
          expect(got).toEqual(gradients(tensors, dtype, (a, b) => ops.matmul(a!, b!), seed + 2));
        }),
        { numRuns: 40 },
      );
    });

    it(`${dtype}: Linear's product: x W known, the bias added, the gradients of x, W and b those of linear, bit for bit`, () => {
      fc.assert(
        fc.property(linears, ({ lead, inF, outF, withBias, seed }) => {
          const tensors = [randomTensor([...lead, inF], seed), randomTensor([inF, outF], seed + 1), ...(withBias ? [randomTensor([outF], seed + 2)] : [])];
          const product = (x: Tensor, W: Tensor) => withGradMode(false, () => linear(x, W, null));
          const got = gradients(tensors, dtype, (x, W, b) => linear(x!, W!, b ?? null, product(x!, W!)), seed + 3);
          expect(got).toEqual(gradients(tensors, dtype, (x, W, b) => linear(x!, W!, b ?? null), seed + 3));
        }),
        { numRuns: 40 },
      );
    });
  }

  it('float64 gradients through a known product match finite differences', () => {
    fc.assert(
      fc.property(products, linears, ({ aShape, bShape, seed }, c) => {
        // The known value is rebuilt from the perturbed inputs off the graph: only the backward carries the gradient.
        expectGradients((a, b) => ops.matmul(a, b, withGradMode(false, () => ops.matmul(a, b))), [randomTensor(aShape, seed), randomTensor(bShape, seed + 1)]);
        const linearInputs = [randomTensor([...c.lead, c.inF], c.seed), randomTensor([c.inF, c.outF], c.seed + 1), ...(c.withBias ? [randomTensor([c.outF], c.seed + 2)] : [])];
        expectGradients((x, W, b) => linear(x, W, b ?? null, withGradMode(false, () => linear(x, W, null))), linearInputs);
      }),
      { numRuns: 25 },
    );
  });

  it('names a known product of the wrong shape or dtype', () => {
    const a = randomTensor([2, 3], 1), b = randomTensor([3, 4], 2);
    expect(() => ops.matmul(a, b, randomTensor([2, 5], 3))).toThrow('matmul: the known product must be float64 [2, 4], got float64 [2, 5]');
    expect(() => ops.matmul(a, b, randomTensor([4, 2], 3))).toThrow('matmul: the known product must be float64 [2, 4], got float64 [4, 2]');
    expect(() => ops.matmul(a, b, randomTensor([2, 4], 3).to('float32'))).toThrow('matmul: the known product must be float64 [2, 4], got float32 [2, 4]');
  });
});
