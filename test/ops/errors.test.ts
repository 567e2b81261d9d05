/** Bad input gets one clear error naming what was wrong; no silent NaN. */
import { describe, expect, it } from 'vitest';
import * as ops from '../../src/ops/index.js';
import { Tensor, ones, tensor, zeros, noGrad } from '../../src/index.js';

describe('clear errors', () => {
  it('shape mismatches name the op and both shapes', () => {
    expect(() => ops.add(zeros([2, 3]), zeros([4]))).toThrow(/add: shapes \[2, 3\] and \[4\] cannot be broadcast/);
    expect(() => ops.matmul(zeros([2, 3]), zeros([4, 5]))).toThrow(/matmul: inner dimensions differ: \[2, 3\] · \[4, 5\]/);
    expect(() => ops.reshape(zeros([2, 3]), [4])).toThrow(/reshape: cannot reshape \[2, 3\]/);
    expect(() => ops.concat([zeros([2, 3]), zeros([3, 3])], 1)).toThrow(/concat: shapes \[2, 3\], \[3, 3\]/);
    expect(() => ops.layerNorm(zeros([2, 3]), zeros([4]), null)).toThrow(/layerNorm: weight must have shape \[3\]/);
  });
  it('mixing dtypes is refused', () => {
    expect(() => ops.mul(zeros([2], { dtype: 'float32' }), zeros([2], { dtype: 'float64' }))).toThrow(/mul: dtype mismatch \(float32 vs float64\)/);
  });
  it('values outside an op domain are refused instead of becoming NaN', () => {
    expect(() => ops.log(tensor([1, -1]))).toThrow(/log: input must be positive \(value -1 at flat index 1\)/);
    expect(() => ops.sqrt(tensor([-4]))).toThrow(/sqrt: input must be non-negative/);
    expect(() => ops.pow(tensor([-2]), 0.5)).toThrow(/pow: input must be non-negative/);
    expect(() => ops.div(ones([2]), tensor([1, 0]))).toThrow(/div: division by zero/);
    expect(() => ops.crossEntropy(tensor([[0, NaN]]), [0])).toThrow(/crossEntropy: non-finite logits in row 0/);
    expect(() => ops.crossEntropy(tensor([[0, 1]]), [2])).toThrow(/target 2 at position 0 is not a class index in \[0, 2\)/);
    expect(() => ops.embedding(zeros([3, 2]), [0, 3])).toThrow(/embedding: id 3 at position 1 is outside the vocabulary \[0, 3\)/);
  });
  it('backward needs a scalar, and a graph can be walked once', () => {
    const x = new Tensor(new Float64Array([1, 2]), [2], { requiresGrad: true });
    const y = ops.mul(x, 3);
    expect(() => y.backward()).toThrow(/backward\(\): called on a tensor of shape \[2\]; it needs a scalar/);
    const loss = ops.sum(y);
    loss.backward();
    expect(Array.from(x.grad!.data)).toEqual([3, 3]);
    expect(() => loss.backward()).toThrow(/already released/);
    expect(() => ops.sum(y)).toThrow(/already released/);
  });
  it('backward on a tensor without grad is refused; noGrad records nothing', () => {
    expect(() => ops.sum(ones([2])).backward()).toThrow(/does not require grad/);
    const x = ones([2], { requiresGrad: true });
    const y = noGrad(() => ops.sum(ops.mul(x, 2)));
    expect(y.requiresGrad).toBe(false);
    expect(y.node).toBeNull();
  });
  it('gradients accumulate across backward calls until cleared; detach cuts the graph', () => {
    const x = ones([2], { requiresGrad: true, dtype: 'float64' });
    ops.sum(ops.mul(x, 2)).backward();
    ops.sum(ops.mul(x, 5)).backward();
    expect(Array.from(x.grad!.data)).toEqual([7, 7]);
    const d = ops.mul(x, 2).detach();
    expect(d.requiresGrad).toBe(false);
  });
  it('tensor() refuses ragged arrays and non-numbers', () => {
    expect(() => tensor([[1, 2], [3]] as never)).toThrow(/ragged/);
    expect(() => tensor(['a'] as never)).toThrow(/expected a number/);
  });
});
