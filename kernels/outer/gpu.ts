/** gpu.js outer products: one thread per output cell. Float64 inputs go to the js kernels. */
import type { IKernelFunctionThis } from 'gpu.js';
import type { FloatArray } from '../types.js';
import { outerJs, outerSumJs } from './js.js';
import { asFloat32, cachedKernel } from '../gpu/context.js';
import { matmulGpu } from '../matmul/gpu.js';

interface OuterConstants {
  [key: string]: number;
  m: number;
  n: number;
}

export function outerCell(this: IKernelFunctionThis<OuterConstants>, a: number[], c: number[]): number {
  const cell = this.thread.x;
  const perMatrix = this.constants.m * this.constants.n;
  const batch = Math.floor(cell / perMatrix);
  const within = cell - batch * perMatrix;
  const i = Math.floor(within / this.constants.n);
  const j = within - i * this.constants.n;
  return a[batch * this.constants.m + i] * c[batch * this.constants.n + j];
}

/** out[b, i, j] = a[b, i] · c[b, j] */
export function outerGpu(a: FloatArray, c: FloatArray, batch: number, m: number, n: number): FloatArray {
  if (!(a instanceof Float32Array) || !(c instanceof Float32Array) || batch * m * n === 0) return outerJs(a, c, batch, m, n);
  const kernel = cachedKernel(`outer:${batch}:${m}:${n}`, (gpu) => gpu.createKernel(outerCell, { output: [batch * m * n], constants: { m, n } }));
  return asFloat32(kernel(a, c), 'outer');
}

/** out[b] = Σ_t a[b, t] ⊗ c[b, t] = A[b]ᵀ C[b]: the matmul kernel with A transposed. */
export function outerSumGpu(a: FloatArray, c: FloatArray, batch: number, T: number, m: number, n: number): FloatArray {
  if (!(a instanceof Float32Array) || !(c instanceof Float32Array)) return outerSumJs(a, c, batch, T, m, n);
  const out = new Float32Array(batch * m * n);
  matmulGpu({ a, b: c, out, batch, m, n, k: T, transA: true, transB: false, aBatchStride: T * m, bBatchStride: T * n });
  return out;
}
