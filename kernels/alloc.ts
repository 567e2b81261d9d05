/** Allocation helpers shared by the backends: outputs take the dtype of the inputs. */
import type { FloatArray } from './types.js';

/** A zeroed array of `n` elements with the same dtype as `like`. */
export function allocLike(like: FloatArray, n: number): FloatArray {
  return like instanceof Float64Array ? new Float64Array(n) : new Float32Array(n);
}
