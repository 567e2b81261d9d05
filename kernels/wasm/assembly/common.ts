/** Small helpers shared by the kernels: float addressing, horizontal sums, padded copies. */

/** Address of float number i after ptr. */
// @ts-ignore: decorator
@inline
export function at(ptr: usize, i: i32): usize {
  return ptr + (<usize>i << 2);
}

/** The sum of the four lanes. */
// @ts-ignore: decorator
@inline
export function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/** The number rounded up to a multiple of four (a whole vector). */
// @ts-ignore: decorator
@inline
export function roundUp4(n: i32): i32 {
  return (n + 3) & ~3;
}

/** Copies n floats and zeroes dst up to `padded` floats, so vector loops can run past n. */
export function copyPadded(dst: usize, src: usize, n: i32, padded: i32): void {
  memory.copy(dst, src, <usize>n << 2);
  if (padded > n) memory.fill(at(dst, n), 0, <usize>(padded - n) << 2);
}

/** Copies a rows × cols matrix into one whose rows are `stride` floats apart (zero padding beyond). */
export function copyRowsPadded(dst: usize, src: usize, rows: i32, cols: i32, stride: i32, paddedRows: i32): void {
  memory.fill(dst, 0, <usize>(paddedRows * stride) << 2);
  for (let i = 0; i < rows; i++) memory.copy(at(dst, i * stride), at(src, i * cols), <usize>cols << 2);
}

/** The inverse of copyRowsPadded: the first `cols` floats of each padded row. */
export function copyRowsUnpadded(dst: usize, src: usize, rows: i32, cols: i32, stride: i32): void {
  for (let i = 0; i < rows; i++) memory.copy(at(dst, i * cols), at(src, i * stride), <usize>cols << 2);
}

/**
 * The vector at float i when it lies below n, else the lanes of it that do and `pad` in the rest: the
 * last, partial vector of an array (loads past the end read `pad`, 0 by default). With storeSome, one
 * loop body serves whole vectors and the tail, so the math in it is compiled once; the partial
 * vector's lanes are a call (once per array), which keeps the module small.
 */
// @ts-ignore: decorator
@inline
export function loadTail(ptr: usize, i: i32, n: i32, pad: f32 = 0): v128 {
  return i + 4 <= n ? v128.load(at(ptr, i)) : loadPartial(ptr, i, n, pad);
}

function loadPartial(ptr: usize, i: i32, n: i32, pad: f32): v128 {
  let v = f32x4.splat(pad);
  if (i < n) v = f32x4.replace_lane(v, 0, load<f32>(at(ptr, i)));
  if (i + 1 < n) v = f32x4.replace_lane(v, 1, load<f32>(at(ptr, i + 1)));
  if (i + 2 < n) v = f32x4.replace_lane(v, 2, load<f32>(at(ptr, i + 2)));
  return v;
}

/** Stores v at float i, or (at the end of an array) only its lanes below hi. */
// @ts-ignore: decorator
@inline
export function storeSome(ptr: usize, i: i32, hi: i32, v: v128): void {
  if (i + 4 <= hi) v128.store(at(ptr, i), v);
  else storePartial(ptr, i, hi, v);
}

function storePartial(ptr: usize, i: i32, n: i32, v: v128): void {
  if (i < n) store<f32>(at(ptr, i), f32x4.extract_lane(v, 0));
  if (i + 1 < n) store<f32>(at(ptr, i + 1), f32x4.extract_lane(v, 1));
  if (i + 2 < n) store<f32>(at(ptr, i + 2), f32x4.extract_lane(v, 2));
}
