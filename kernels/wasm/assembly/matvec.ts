/**
 * The matrix-vector product of decoding, in WebAssembly SIMD: out = x · Wᵀ for a few rows of x and a
 * Linear's weight W [n, k] ([out, in]) read where it lies, without the packing of matmul.ts (which
 * costs a copy of W per call, the whole price of a one-token step). Output columns [lo, hi) per
 * thread, so threads share the weight's rows. One row of W is read from memory once for all rows of x.
 *
 * W in float32 (matvecF32), or kept in its file's 16-bit format and widened in registers: bfloat16
 * (matvecBF16) and IEEE half (matvecF16). Decoding reads every weight once per token, so two bytes a
 * weight are half the memory traffic of four (docs/pretrained.md, "Speed and memory").
 */
import { at, hsum } from './common';

/** out[r, j] = Σ_p x[r, p] · w[j, p] for r < m, j in [lo, hi): x [m, k], w [n, k], out [m, n]. */
export function matvecF32(x: usize, w: usize, out: usize, m: i32, n: i32, k: i32, lo: i32, hi: i32, _scratch: usize): void {
  const k16 = k & ~15;
  for (let j = lo; j < hi; j++) {
    const wj = at(w, j * k);
    for (let r = 0; r < m; r++) {
      const xr = at(x, r * k);
      // Four accumulators: an add waits only for the one before it on its own accumulator, so four
      // are in flight at once (with two, the adds' latency, not memory, set the pace).
      let acc0 = f32x4.splat(0);
      let acc1 = f32x4.splat(0);
      let acc2 = f32x4.splat(0);
      let acc3 = f32x4.splat(0);
      let p = 0;
      for (; p < k16; p += 16) {
        acc0 = f32x4.add(acc0, f32x4.mul(v128.load(at(xr, p)), v128.load(at(wj, p))));
        acc1 = f32x4.add(acc1, f32x4.mul(v128.load(at(xr, p + 4)), v128.load(at(wj, p + 4))));
        acc2 = f32x4.add(acc2, f32x4.mul(v128.load(at(xr, p + 8)), v128.load(at(wj, p + 8))));
        acc3 = f32x4.add(acc3, f32x4.mul(v128.load(at(xr, p + 12)), v128.load(at(wj, p + 12))));
      }
      let s = hsum(f32x4.add(f32x4.add(acc0, acc1), f32x4.add(acc2, acc3)));
      for (; p < k; p++) s += load<f32>(at(xr, p)) * load<f32>(at(wj, p));
      store<f32>(at(out, r * n + j), s);
    }
  }
}

/** Address of 16-bit element i after ptr. */
// @ts-ignore: decorator
@inline
function at16(ptr: usize, i: usize): usize {
  return ptr + (i << 1);
}

/** A bfloat16 as float32: its 16 bits are the float32's upper half. */
// @ts-ignore: decorator
@inline
function bf16(bits: u32): f32 {
  return reinterpret<f32>(bits << 16);
}

/**
 * matvecF32 with w [n, k] in bfloat16. Eight weights come in one load; a bfloat16 is the upper half of
 * a float32, so shifting each 32-bit lane left by 16 gives the even-numbered weights as float32 and
 * masking off its low half gives the odd-numbered ones: two instructions for eight weights. The caller
 * (kernels/matmul/resident.ts) hands x rearranged to match: below k & ~15, each group of eight as its
 * four even-numbered elements, then its four odd-numbered ones; beyond, as it is. Sixteen weights a
 * turn into four accumulators, as matvecF32.
 */
export function matvecBF16(x: usize, w: usize, out: usize, m: i32, n: i32, k: i32, lo: i32, hi: i32, _scratch: usize): void {
  const upper = i32x4.splat(0xffff0000);
  const k16 = k & ~15;
  for (let j = lo; j < hi; j++) {
    const wj = at16(w, <usize>j * <usize>k);
    for (let r = 0; r < m; r++) {
      const xr = at(x, r * k);
      let even0 = f32x4.splat(0);
      let odd0 = f32x4.splat(0);
      let even1 = f32x4.splat(0);
      let odd1 = f32x4.splat(0);
      let p = 0;
      for (; p < k16; p += 16) {
        const v0 = v128.load(at16(wj, p));
        const v1 = v128.load(at16(wj, p + 8));
        even0 = f32x4.add(even0, f32x4.mul(v128.load(at(xr, p)), i32x4.shl(v0, 16)));
        odd0 = f32x4.add(odd0, f32x4.mul(v128.load(at(xr, p + 4)), v128.and(v0, upper)));
        even1 = f32x4.add(even1, f32x4.mul(v128.load(at(xr, p + 8)), i32x4.shl(v1, 16)));
        odd1 = f32x4.add(odd1, f32x4.mul(v128.load(at(xr, p + 12)), v128.and(v1, upper)));
      }
      let s = hsum(f32x4.add(f32x4.add(even0, even1), f32x4.add(odd0, odd1)));
      for (; p < k; p++) s += load<f32>(at(xr, p)) * bf16(load<u16>(at16(wj, p)));
      store<f32>(at(out, r * n + j), s);
    }
  }
}

/**
 * Four IEEE halves (the low 16 bits of each lane) as float32, exactly: the magnitude's bits moved to
 * float32's places and scaled by 2^112 (the difference of the two exponent biases), which also turns
 * half subnormals into float32 normals; the all-ones exponent (infinity, NaN) set by hand; the sign or-ed in.
 */
// @ts-ignore: decorator
@inline
function halvesToF32(h: v128): v128 {
  const magnitude = f32x4.mul(i32x4.shl(v128.and(h, i32x4.splat(0x7fff)), 13), f32x4.splat(5.192296858534828e33)); // 2^112
  const special = v128.and(i32x4.eq(v128.and(h, i32x4.splat(0x7c00)), i32x4.splat(0x7c00)), i32x4.splat(0x7f800000));
  return v128.or(v128.or(magnitude, special), i32x4.shl(v128.and(h, i32x4.splat(0x8000)), 16));
}

/** One IEEE half as float32 (halvesToF32 for one value). */
// @ts-ignore: decorator
@inline
function f16(bits: u32): f32 {
  let v = reinterpret<f32>((bits & 0x7fff) << 13) * 5.192296858534828e33;
  let b = reinterpret<u32>(v) | ((bits & 0x8000) << 16);
  if ((bits & 0x7c00) == 0x7c00) b |= 0x7f800000;
  return reinterpret<f32>(b);
}

/** matvecF32 with w [n, k] in IEEE half precision, eight weights a load widened in registers. */
export function matvecF16(x: usize, w: usize, out: usize, m: i32, n: i32, k: i32, lo: i32, hi: i32, _scratch: usize): void {
  const k8 = k & ~7;
  for (let j = lo; j < hi; j++) {
    const wj = at16(w, <usize>j * <usize>k);
    for (let r = 0; r < m; r++) {
      const xr = at(x, r * k);
      let acc0 = f32x4.splat(0);
      let acc1 = f32x4.splat(0);
      for (let p = 0; p < k8; p += 8) {
        const v = v128.load(at16(wj, p));
        acc0 = f32x4.add(acc0, f32x4.mul(v128.load(at(xr, p)), halvesToF32(i32x4.extend_low_i16x8_u(v))));
        acc1 = f32x4.add(acc1, f32x4.mul(v128.load(at(xr, p + 4)), halvesToF32(i32x4.extend_high_i16x8_u(v))));
      }
      let s = hsum(f32x4.add(acc0, acc1));
      for (let p = k8; p < k; p++) s += load<f32>(at(xr, p)) * f16(load<u16>(at16(wj, p)));
      store<f32>(at(out, r * n + j), s);
    }
  }
}

/** Widens n 16-bit floats at `src` (bfloat16 when `brain` is 1, else IEEE half) into float32 at `dst`, items [lo, hi). */
export function widen16(src: usize, dst: usize, brain: i32, lo: i32, hi: i32, _scratch: usize): void {
  let p = lo;
  const upper = hi - 8;
  if (brain) {
    for (; p <= upper; p += 8) {
      const v = v128.load(at16(src, p));
      v128.store(at(dst, p), i32x4.shl(i32x4.extend_low_i16x8_u(v), 16));
      v128.store(at(dst, p + 4), i32x4.shl(i32x4.extend_high_i16x8_u(v), 16));
    }
    for (; p < hi; p++) store<f32>(at(dst, p), bf16(load<u16>(at16(src, p))));
  } else {
    for (; p <= upper; p += 8) {
      const v = v128.load(at16(src, p));
      v128.store(at(dst, p), halvesToF32(i32x4.extend_low_i16x8_u(v)));
      v128.store(at(dst, p + 4), halvesToF32(i32x4.extend_high_i16x8_u(v)));
    }
    for (; p < hi; p++) store<f32>(at(dst, p), f16(load<u16>(at16(src, p))));
  }
}
