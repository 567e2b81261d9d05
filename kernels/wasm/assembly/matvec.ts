/**
 * The matrix-vector product of decoding, in WebAssembly SIMD: out = x · Wᵀ for a few rows of x and a
 * Linear's weight W [n, k] ([out, in]) read where it lies, without the packing of matmul.ts (which
 * costs a copy of W per call, the whole price of a one-token step). Output columns [lo, hi) per
 * thread, so threads share the weight's rows. One row of W is read from memory once for all rows of x.
 */
import { at, hsum } from './common';

/** out[r, j] = Σ_p x[r, p] · w[j, p] for r < m, j in [lo, hi): x [m, k], w [n, k], out [m, n]. */
export function matvecF32(x: usize, w: usize, out: usize, m: i32, n: i32, k: i32, lo: i32, hi: i32, _scratch: usize): void {
  const k8 = k & ~7;
  for (let j = lo; j < hi; j++) {
    const wj = at(w, j * k);
    for (let r = 0; r < m; r++) {
      const xr = at(x, r * k);
      // Two accumulators: consecutive adds do not wait on each other.
      let acc0 = f32x4.splat(0);
      let acc1 = f32x4.splat(0);
      for (let p = 0; p < k8; p += 8) {
        acc0 = f32x4.add(acc0, f32x4.mul(v128.load(at(xr, p)), v128.load(at(wj, p))));
        acc1 = f32x4.add(acc1, f32x4.mul(v128.load(at(xr, p + 4)), v128.load(at(wj, p + 4))));
      }
      let s = hsum(f32x4.add(acc0, acc1));
      for (let p = k8; p < k; p++) s += load<f32>(at(xr, p)) * load<f32>(at(wj, p));
      store<f32>(at(out, r * n + j), s);
    }
  }
}
