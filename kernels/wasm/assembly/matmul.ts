/**
 * Float32 matmul in WebAssembly SIMD (AssemblyScript): C = op(A) · op(B) for one matrix, rows
 * [rowStart, rowEnd) of C (so threads can share one product), batched by matmulBatchedF32.
 *
 *  1. Micro-kernel. A 4 × 8 tile of C lives in eight f32x4 accumulators for a whole block of k:
 *     per step two 16-byte loads of B's row, four splatted loads of A (one per tile row), eight
 *     multiply-adds. 11 vector registers of the 16 that x86-64 has, so nothing spills.
 *  2. No copy of A. The four A values of a step are read where they lie: along a row of A (stride
 *     4 bytes) or, for Aᵀ, across one row of A (stride m floats); rows past the edge re-read the
 *     last row and are not written.
 *  3. B is read in place too when its 8 columns are contiguous (B not transposed, a full panel).
 *     Otherwise (Bᵀ, or the last partial panel) the panel is first packed into 8-float rows,
 *     zero-padded, so the kernel never has an edge case in n.
 *  4. Blocking (the GotoBLAS loop order). k is cut into blocks of KC and the rows into blocks of MC:
 *     an MC × KC block of A (64 kB) stays in L2 while every B panel passes it, and each B panel
 *     (KC × 8 floats, 8 kB) stays in L1 while the block's rows pass it. Later k blocks add onto C.
 */

const MR: i32 = 4;
const NR: i32 = 8;
const KC: i32 = 256;
const MC: i32 = 64;

/** Packs columns [j0, j0 + cols) of op(B) (k × n), rows [p0, p0 + kc), into kc rows of 8 floats. */
function packPanel(b: usize, n: i32, k: i32, transB: bool, p0: i32, kc: i32, j0: i32, cols: i32, dst: usize): void {
  for (let p = 0; p < kc; p++) {
    const out = dst + (<usize>(p * NR) << 2);
    for (let c = 0; c < NR; c++) {
      let value: f32 = 0;
      if (c < cols) {
        // op(B)[p, j] = B[j, p] when transposed (B is n × k).
        value = transB ? load<f32>(b + (<usize>((j0 + c) * k + p0 + p) << 2)) : load<f32>(b + (<usize>((p0 + p) * n + j0 + c) << 2));
      }
      store<f32>(out + (<usize>c << 2), value);
    }
  }
}

/** Adds (or writes) one finished 4 × 8 tile into C, clipped to the matrix edge. */
// @ts-ignore: decorator
@inline
function writeTile(c: usize, n: i32, i: i32, j: i32, rows: i32, cols: i32, add: bool, tile: usize,
  c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128): void {
  if (rows == MR && cols == NR) {
    const r0 = c + (<usize>(i * n + j) << 2);
    const stride = <usize>n << 2;
    const r1 = r0 + stride, r2 = r1 + stride, r3 = r2 + stride;
    if (add) {
      c00 = f32x4.add(c00, v128.load(r0)); c01 = f32x4.add(c01, v128.load(r0, 16));
      c10 = f32x4.add(c10, v128.load(r1)); c11 = f32x4.add(c11, v128.load(r1, 16));
      c20 = f32x4.add(c20, v128.load(r2)); c21 = f32x4.add(c21, v128.load(r2, 16));
      c30 = f32x4.add(c30, v128.load(r3)); c31 = f32x4.add(c31, v128.load(r3, 16));
    }
    v128.store(r0, c00); v128.store(r0, c01, 16);
    v128.store(r1, c10); v128.store(r1, c11, 16);
    v128.store(r2, c20); v128.store(r2, c21, 16);
    v128.store(r3, c30); v128.store(r3, c31, 16);
    return;
  }
  v128.store(tile, c00); v128.store(tile, c01, 16);
  v128.store(tile, c10, 32); v128.store(tile, c11, 48);
  v128.store(tile, c20, 64); v128.store(tile, c21, 80);
  v128.store(tile, c30, 96); v128.store(tile, c31, 112);
  for (let r = 0; r < rows; r++) {
    for (let s = 0; s < cols; s++) {
      const at = c + (<usize>((i + r) * n + j + s) << 2);
      const value = load<f32>(tile + (<usize>(r * NR + s) << 2));
      store<f32>(at, add ? load<f32>(at) + value : value);
    }
  }
}

/**
 * One 4 × 8 tile over kc steps. a0..a3 point at op(A)[i + r, p0] and advance by aStep bytes per
 * step; pb points at op(B)[p0, j] and advances by bStep bytes.
 */
// @ts-ignore: decorator
@inline
function tile4x8(a0: usize, a1: usize, a2: usize, a3: usize, aStep: usize, pb: usize, bStep: usize, kc: i32,
  c: usize, n: i32, i: i32, j: i32, rows: i32, cols: i32, add: bool, tile: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16);
    const x0 = v128.load32_splat(a0), x1 = v128.load32_splat(a1);
    const x2 = v128.load32_splat(a2), x3 = v128.load32_splat(a3);
    c00 = f32x4.add(c00, f32x4.mul(x0, b0)); c01 = f32x4.add(c01, f32x4.mul(x0, b1));
    c10 = f32x4.add(c10, f32x4.mul(x1, b0)); c11 = f32x4.add(c11, f32x4.mul(x1, b1));
    c20 = f32x4.add(c20, f32x4.mul(x2, b0)); c21 = f32x4.add(c21, f32x4.mul(x2, b1));
    c30 = f32x4.add(c30, f32x4.mul(x3, b0)); c31 = f32x4.add(c31, f32x4.mul(x3, b1));
    a0 += aStep; a1 += aStep; a2 += aStep; a3 += aStep;
    pb += bStep;
  }
  writeTile(c, n, i, j, rows, cols, add, tile, c00, c01, c10, c11, c20, c21, c30, c31);
}

/** Floats of scratch that matmulF32 needs: every packed B panel of one k block, and one tile. */
export function matmulScratchFloats(_m: i32, n: i32, k: i32): i32 {
  return min(KC, max(k, 1)) * ((n + NR - 1) / NR) * NR + MR * NR;
}

/**
 * Rows [rowStart, rowEnd) of C (m × n) = op(A) · op(B), or C += … when `accumulate`.
 * op(A) is m × k (A is k × m when transA), op(B) is k × n (B is n × k when transB).
 * `scratch` holds matmulScratchFloats(m, n, k) floats.
 */
export function matmulF32(a: usize, b: usize, c: usize, m: i32, n: i32, k: i32, transA: bool, transB: bool, accumulate: bool,
  rowStart: i32, rowEnd: i32, scratch: usize): void {
  if (rowEnd <= rowStart || n <= 0) return;
  if (k <= 0) {
    if (!accumulate) for (let i = rowStart; i < rowEnd; i++) memory.fill(c + (<usize>(i * n) << 2), 0, <usize>n << 2);
    return;
  }
  const panels = (n + NR - 1) / NR;
  const kcMax = min(KC, k);
  const tile = scratch + (<usize>(kcMax * panels * NR) << 2);
  // Bytes between consecutive k steps along a row of op(A), and between rows of op(A).
  const aStep: usize = transA ? <usize>m << 2 : 4;
  const aRow: usize = transA ? 4 : <usize>k << 2;
  // B panels read in place (contiguous 8 columns) or packed into the scratch.
  const direct = !transB;
  for (let p0 = 0; p0 < k; p0 += KC) {
    const kc = min(KC, k - p0);
    const add = accumulate || p0 > 0;
    for (let jp = 0; jp < panels; jp++) {
      const j = jp * NR;
      if (!direct || n - j < NR) packPanel(b, n, k, transB, p0, kc, j, min(NR, n - j), scratch + (<usize>(jp * kcMax * NR) << 2));
    }
    const aStart = a + <usize>p0 * aStep; // op(A)[0, p0]
    for (let i0 = rowStart; i0 < rowEnd; i0 += MC) {
      const iEnd = min(rowEnd, i0 + MC);
      for (let jp = 0; jp < panels; jp++) {
        const j = jp * NR;
        const cols = min(NR, n - j);
        const inPlace = direct && cols == NR;
        const pb = inPlace ? b + (<usize>(p0 * n + j) << 2) : scratch + (<usize>(jp * kcMax * NR) << 2);
        const bStep: usize = inPlace ? <usize>n << 2 : <usize>NR << 2;
        for (let i = i0; i < iEnd; i += MR) {
          const rows = min(MR, iEnd - i);
          // Rows past the edge re-read the last real row; writeTile leaves them out.
          const a0 = aStart + <usize>i * aRow;
          const a1 = rows > 1 ? a0 + aRow : a0;
          const a2 = rows > 2 ? a1 + aRow : a1;
          const a3 = rows > 3 ? a2 + aRow : a2;
          tile4x8(a0, a1, a2, a3, aStep, pb, bStep, kc, c, n, i, j, rows, cols, add, tile);
        }
      }
    }
  }
}

/**
 * Batches [b0, b1) of a batched product, rows [rowStart, rowEnd) of each: out[b] = op(A[b]) · op(B[b]).
 * aStride / bStride are the floats between consecutive matrices (0 broadcasts one matrix).
 * Threads split either the batches or, for a single large product, the rows.
 */
export function matmulBatchedF32(a: usize, b: usize, c: usize, aStride: i32, bStride: i32, m: i32, n: i32, k: i32,
  transA: bool, transB: bool, accumulate: bool, b0: i32, b1: i32, rowStart: i32, rowEnd: i32, scratch: usize): void {
  for (let bi = b0; bi < b1; bi++) {
    matmulF32(a + (<usize>(bi * aStride) << 2), b + (<usize>(bi * bStride) << 2), c + (<usize>(bi * m * n) << 2),
      m, n, k, transA, transB, accumulate, rowStart, rowEnd, scratch);
  }
}
