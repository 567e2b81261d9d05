/** Float64 reference outer products, written for clarity. Shapes as in KernelBackend (../types.ts). */
import type { FloatArray } from '../types.js';
import { allocLike } from '../alloc.js';

/** out[b, i, j] = a[b, i] · c[b, j]; a: [batch, m], c: [batch, n] → [batch, m, n] */
export function outerReference(a: FloatArray, c: FloatArray, batch: number, m: number, n: number): FloatArray {
  const out = allocLike(a, batch * m * n);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) out[(b * m + i) * n + j] = a[b * m + i]! * c[b * n + j]!;
    }
  }
  return out;
}

/** out[b, i, j] = Σ_t a[b, t, i] · c[b, t, j]; a: [batch, T, m], c: [batch, T, n] → [batch, m, n] */
export function outerSumReference(a: FloatArray, c: FloatArray, batch: number, T: number, m: number, n: number): FloatArray {
  const out = allocLike(a, batch * m * n);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let t = 0; t < T; t++) s += a[(b * T + t) * m + i]! * c[(b * T + t) * n + j]!;
        out[(b * m + i) * n + j] = s;
      }
    }
  }
  return out;
}
