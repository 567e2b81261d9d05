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
