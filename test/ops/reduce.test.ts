/** sum, mean and max against a plain loop over the broadcast index map, bit for bit, on random shapes and axes. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as ops from '../../src/ops/index.js';
import { Tensor, allocate, type DType } from '../../src/tensor/tensor.js';
import { broadcastIndex } from '../../src/ops/broadcast.js';
import { Rng } from '../../src/tensor/rng.js';

/** Shapes of rank 1–4 with sizes 1–5, a subset of their axes (possibly all), keepdims, dtype, seed. */
const cases = fc
  .record({ shape: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 }), pick: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), keepdims: fc.boolean(), dtype: fc.constantFrom<DType>('float32', 'float64'), seed: fc.integer({ min: 0, max: 1e6 }) })
  .map(({ shape, pick, ...rest }) => ({ shape, axes: shape.map((_, i) => i).filter((i) => pick[i]), ...rest }));

/** What each output element gets, by the index map, adding into an array of the dtype one element at a time. */
function reference(x: Tensor, axes: number[], op: 'sum' | 'max'): number[] {
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const index = broadcastIndex(kept, x.shape) ?? Int32Array.from({ length: x.size }, (_, i) => i);
  const out = allocate(x.dtype, kept.reduce((a, b) => a * b, 1));
  if (op === 'max') out.fill(-Infinity);
  for (let i = 0; i < x.size; i++) out[index[i]!] = op === 'sum' ? out[index[i]!]! + x.data[i]! : Math.max(out[index[i]!]!, x.data[i]!);
  return Array.from(out);
}

describe('reductions', () => {
  it('sum, mean and max equal the index-map loop bit for bit, and so do their gradients', () => {
    fc.assert(
      fc.property(cases, ({ shape, axes, keepdims, dtype, seed }) => {
        const rng = new Rng(seed);
        const size = shape.reduce((a, b) => a * b, 1);
        const data = allocate(dtype, size);
        for (let i = 0; i < size; i++) data[i] = rng.normal();
        const x = new Tensor(data, shape, { requiresGrad: true });
        const count = axes.reduce((a, i) => a * shape[i]!, 1);
        const summed = ops.sum(x, axes, keepdims);
        expect(Array.from(summed.data)).toEqual(reference(x, axes, 'sum'));
        expect(Array.from(ops.mean(x, axes, keepdims).data)).toEqual(reference(x, axes, 'sum').map((s) => Array.from(allocate(dtype, 1).fill(s / count))[0]));
        expect(Array.from(ops.max(x, axes, keepdims).data)).toEqual(reference(x, axes, 'max'));
        // Backward: every element gets its output's gradient (divided by the count for the mean).
        const kept = shape.map((d, i) => (axes.includes(i) ? 1 : d));
        const index = broadcastIndex(kept, shape) ?? Int32Array.from({ length: size }, (_, i) => i);
        const g = Array.from({ length: summed.size }, (_, j) => j + 0.5);
        for (const [op, divisor] of [[ops.sum, 1], [ops.mean, count]] as const) {
          x.grad = null;
          op(x, axes, keepdims).backward(new Tensor(allocate(dtype, summed.size).map((_, j) => g[j]!), summed.shape));
          expect(Array.from(x.grad!.data)).toEqual(Array.from(allocate(dtype, size).map((_, i) => g[index[i]!]! / divisor)));
        }
      }),
      { numRuns: 300 },
    );
  });
});
