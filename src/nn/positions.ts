/**
 * Sinusoidal absolute positions (Vaswani et al.): defined for any offset, with no parameters, so a
 * model can read positions of tokens generated one at a time.
 */
import { Tensor, allocate, type DType } from '../tensor/tensor.js';

/** [T, D] encodings of positions offset, offset + 1, …, offset + T − 1. */
export function sinusoidalPositions(T: number, D: number, offset = 0, dtype: DType = 'float32'): Tensor {
  const data = allocate(dtype, T * D);
  for (let t = 0; t < T; t++) {
    const pos = offset + t;
    for (let i = 0; i < D; i += 2) {
      const angle = pos / Math.pow(10000, i / D);
      data[t * D + i] = Math.sin(angle);
      if (i + 1 < D) data[t * D + i + 1] = Math.cos(angle);
    }
  }
  return new Tensor(data, [T, D]);
}
