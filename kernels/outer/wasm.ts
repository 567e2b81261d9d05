/** Σ_t a_t ⊗ c_t as one wasm matrix product (the outer product itself stays in js: kernels/backends/wasm.ts). */
import type { FloatArray } from '../types.js';
import { allocLike } from '../alloc.js';
import { matmulWasm } from '../matmul/wasm.js';

export function outerSumWasm(a: FloatArray, c: FloatArray, batch: number, T: number, m: number, n: number): FloatArray {
  const out = allocLike(a, batch * m * n);
  matmulWasm({ a, b: c, out, batch, m, n, k: T, transA: true, transB: false, aBatchStride: T * m, bBatchStride: T * n });
  return out;
}
