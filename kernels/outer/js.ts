/** CPU outer products. Shapes as in KernelBackend (../types.ts). */
import type { FloatArray } from '../types.js';
import { allocLike } from '../alloc.js';
import { matmulJs } from '../matmul/js.js';

/** out[b, i, j] = a[b, i] · c[b, j]: one row at a time, a[b, i] hoisted out of the inner loop. */
export function outerJs(a: FloatArray, c: FloatArray, batch: number, m: number, n: number): FloatArray {
  const out = allocLike(a, batch * m * n);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < m; i++) {
      const ai = a[b * m + i]!;
      const o = (b * m + i) * n;
      const cOffset = b * n;
      for (let j = 0; j < n; j++) out[o + j] = ai * c[cOffset + j]!;
    }
  }
  return out;
}

/** out[b] = Σ_t a[b, t] ⊗ c[b, t] = A[b]ᵀ · C[b]: a transposed matmul, so it reuses the tiled kernel. */
export function outerSumJs(a: FloatArray, c: FloatArray, batch: number, T: number, m: number, n: number): FloatArray {
  const out = allocLike(a, batch * m * n);
  matmulJs({ a, b: c, out, batch, m, n, k: T, transA: true, transB: false, aBatchStride: T * m, bBatchStride: T * n });
  return out;
}
