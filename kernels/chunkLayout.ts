/**
 * Helpers for the chunkwise-parallel scans: moving a chunk of time steps of every head into a
 * contiguous [N, L, d] block and back, causal masks, and a shorthand for a batched matmul.
 * The chunkwise scans are written against a `Matmul` function so the same algorithm runs on the
 * gpu.js kernels and on the CPU kernels.
 */
import type { FloatArray, MatmulArgs } from './types.js';

export type Matmul = (args: MatmulArgs) => void;

/** dst[n, l, :] = src[n, t0 + l, :] for l < L; src is [N, T, d], dst is [N, L, d]. */
export function gatherChunk(src: FloatArray, dst: FloatArray, N: number, T: number, d: number, t0: number, L: number): void {
  for (let n = 0; n < N; n++) dst.set(src.subarray((n * T + t0) * d, (n * T + t0 + L) * d), n * L * d);
}

/** dst[n, t0 + l, :] = src[n, l, :]: the inverse of gatherChunk. */
export function scatterChunk(src: FloatArray, dst: FloatArray, N: number, T: number, d: number, t0: number, L: number): void {
  for (let n = 0; n < N; n++) dst.set(src.subarray(n * L * d, (n + 1) * L * d), (n * T + t0) * d);
}

/** Zeroes x[n, i, j] for j > i − offset, on [N, L, L]: offset 0 keeps the diagonal (tril), 1 drops it. */
export function maskCausal(x: FloatArray, N: number, L: number, offset: 0 | 1): void {
  for (let n = 0; n < N; n++) {
    for (let i = 0; i < L; i++) {
      const row = (n * L + i) * L;
      for (let j = i + 1 - offset; j < L; j++) x[row + j] = 0;
    }
  }
}

/** out[b] (+)= op(a[b]) · op(c[b]) for b < N, every operand its own matrix (no broadcast). */
export function batchedProduct(
  matmul: Matmul,
  out: FloatArray,
  a: FloatArray,
  c: FloatArray,
  N: number,
  m: number,
  n: number,
  k: number,
  options: { transA?: boolean; transB?: boolean; accumulate?: boolean } = {},
): FloatArray {
  matmul({
    a, b: c, out, batch: N, m, n, k,
    transA: options.transA ?? false,
    transB: options.transB ?? false,
    aBatchStride: m * k,
    bBatchStride: k * n,
    accumulate: options.accumulate ?? false,
  });
  return out;
}

/** x −= y elementwise. */
export function subtractInPlace(x: FloatArray, y: FloatArray): void {
  for (let i = 0; i < x.length; i++) x[i] = x[i]! - y[i]!;
}
