/**
 * The one allocator of the code base (the Tensor re-exports it): typed arrays of float32 (the default:
 * speed, memory) or float64 (gradient checks and references). Backends' outputs take the dtype of their inputs.
 */
import type { FloatArray } from './types.js';

export type DType = 'float32' | 'float64';

/** A zeroed array of `n` elements of the given dtype. */
export function allocate(dtype: DType, n: number): FloatArray {
  return dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
}

export function dtypeOf(data: FloatArray): DType {
  return data instanceof Float64Array ? 'float64' : 'float32';
}

/** A zeroed array of `n` elements with the same dtype as `like`. */
export function allocLike(like: FloatArray, n: number): FloatArray {
  return allocate(dtypeOf(like), n);
}
