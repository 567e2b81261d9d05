/** castTo (src/ops/cast.ts): a dtype change whose gradient comes back in the input's dtype. */
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/tensor/tensor.js';
import * as ops from '../../src/ops/index.js';

describe('castTo', () => {
  it('changes the dtype forward and casts the gradient back', () => {
    const x = new Tensor(Float32Array.from([1, 2, 3]), [3]);
    x.requiresGrad = true;
    const y = ops.castTo(x, 'float64');
    expect(y.dtype).toBe('float64');
    ops.sum(ops.mul(y, y)).backward();
    expect(x.grad!.dtype).toBe('float32');
    expect(Array.from(x.grad!.data)).toEqual([2, 4, 6]);
  });
});
