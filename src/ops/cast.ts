/** A differentiable change of dtype (float32 ↔ float64). */
import { record } from '../autograd/graph.js';
import { Tensor, allocate, type DType } from '../tensor/tensor.js';

/** x in another dtype; the gradient is cast back. */
export function castTo(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  const out = allocate(dtype, x.size);
  out.set(x.data);
  return record('castTo', [x], new Tensor(out, x.shape), (g) => {
    const gx = allocate(x.dtype, g.length);
    gx.set(g);
    return [gx];
  });
}
