/**
 * Float32 matmul in WebAssembly SIMD (AssemblyScript): C = op(A) · op(B) for one matrix, rows
 * [rowStart, rowEnd) of C (so two threads can share one product). The layout, step by step:
 *
 *  1. Pack. op(A) rows go into panels of MR = 4 rows (k × 4, row-interleaved) and op(B) columns into
 *     panels of NR = 8 columns (k × 8). Packing absorbs the transposes and pads m and n with zeros, so
 *     the micro-kernel has no edge cases.
 *  2. Micro-kernel. A 4 × 8 tile of C lives in eight f32x4 accumulators for the whole k loop: per step
 *     two 16-byte loads of B, four splatted loads of A, eight multiply-adds. 11 vector registers of
 *     the 16 that x86-64 has, so nothing spills.
 *  3. Blocking. k is cut into blocks of KC so that a B panel (KC × 8 floats) stays in L1 while the
 *     A panels stream past it; later blocks add onto C. The rows are cut into blocks of MC, so that
 *     the packed A panels that stream past each B panel (MC × KC floats, 256 kB at most) stay in L2.
 */

const MR: i32 = 4;
const NR: i32 = 8;
const KC: i32 = 256;
const MC: i32 = 256;

/**
 * Stores the 4 × 4 transpose of rows r0..r3 as four vectors 16 bytes apart from dst + 0, stride
 * `stride` bytes: dst[j] = (r0[j], r1[j], r2[j], r3[j]).
 */
// @ts-ignore: decorator
@inline
function storeTransposed(dst: usize, stride: usize, r0: v128, r1: v128, r2: v128, r3: v128): void {
  const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
  const t2 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5), t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
  v128.store(dst, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
  v128.store(dst + stride, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
  v128.store(dst + 2 * stride, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * stride, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
}

/** Packs rows [i0, i0 + rows) of op(A) (op(A) is m × k), columns [p0, p0 + kc), into MR-row panels. */
function packA(a: usize, m: i32, k: i32, transA: bool, i0: i32, rows: i32, p0: i32, kc: i32, dst: usize): void {
  const panels = (rows + MR - 1) / MR;
  for (let ip = 0; ip < panels; ip++) {
    const base = dst + (<usize>(ip * kc * MR) << 2);
    const first = i0 + ip * MR;
    if (first + MR <= i0 + rows) {
      // A whole panel: four floats of each of four rows at a time, as vectors.
      if (transA) {
        // op(A)[i, p] = A[p, i]: the panel's four rows are four consecutive floats of a row of A.
        for (let p = 0; p < kc; p++) v128.store(base + (<usize>(p * MR) << 2), v128.load(a + (<usize>((p0 + p) * m + first) << 2)));
        continue;
      }
      const row0 = a + (<usize>(first * k + p0) << 2), stride = <usize>k << 2;
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        const src = row0 + (<usize>p << 2);
        storeTransposed(base + (<usize>(p * MR) << 2), 16, v128.load(src), v128.load(src + stride), v128.load(src + 2 * stride), v128.load(src + 3 * stride));
      }
      for (; p < kc; p++) {
        for (let r = 0; r < MR; r++) store<f32>(base + (<usize>(p * MR + r) << 2), load<f32>(row0 + <usize>r * stride + (<usize>p << 2)));
      }
      continue;
    }
    for (let r = 0; r < MR; r++) {
      const i = first + r;
      if (i >= i0 + rows) {
        for (let p = 0; p < kc; p++) store<f32>(base + (<usize>(p * MR + r) << 2), 0);
      } else if (transA) {
        for (let p = 0; p < kc; p++) store<f32>(base + (<usize>(p * MR + r) << 2), load<f32>(a + (<usize>((p0 + p) * m + i) << 2)));
      } else {
        const src = a + (<usize>(i * k + p0) << 2);
        for (let p = 0; p < kc; p++) store<f32>(base + (<usize>(p * MR + r) << 2), load<f32>(src + (<usize>p << 2)));
      }
    }
  }
}

/** Packs op(B) (k × n), rows [p0, p0 + kc), into NR-column panels: panel[p·8 + c] = op(B)[p0 + p, j0 + c]. */
function packB(b: usize, n: i32, k: i32, transB: bool, p0: i32, kc: i32, dst: usize): void {
  const panels = (n + NR - 1) / NR;
  for (let jp = 0; jp < panels; jp++) {
    const base = dst + (<usize>(jp * kc * NR) << 2);
    const j0 = jp * NR;
    const cols = min(NR, n - j0);
    if (!transB && cols == NR) {
      // The common case: eight consecutive floats of a row of B, copied as two vectors.
      for (let p = 0; p < kc; p++) {
        const src = b + (<usize>((p0 + p) * n + j0) << 2);
        const out = base + (<usize>(p * NR) << 2);
        v128.store(out, v128.load(src));
        v128.store(out, v128.load(src, 16), 16);
      }
      continue;
    }
    let p = 0;
    if (transB && cols == NR) {
      // op(B)[p, j] = B[j, p]: four floats of each of eight rows of B, transposed as two 4 × 4 blocks.
      const row0 = b + (<usize>(j0 * k + p0) << 2), stride = <usize>k << 2;
      for (; p + 4 <= kc; p += 4) {
        const src = row0 + (<usize>p << 2), out = base + (<usize>(p * NR) << 2);
        storeTransposed(out, 32, v128.load(src), v128.load(src + stride), v128.load(src + 2 * stride), v128.load(src + 3 * stride));
        const src4 = src + 4 * stride;
        storeTransposed(out + 16, 32, v128.load(src4), v128.load(src4 + stride), v128.load(src4 + 2 * stride), v128.load(src4 + 3 * stride));
      }
    }
    for (; p < kc; p++) {
      const out = base + (<usize>(p * NR) << 2);
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

/** The 4 × 8 micro-kernel over every panel pair of one k block. */
function multiplyPanels(aPack: usize, bPack: usize, c: usize, n: i32, i0: i32, rows: i32, kc: i32, add: bool, tile: usize): void {
  const aPanels = (rows + MR - 1) / MR;
  const bPanels = (n + NR - 1) / NR;
  for (let jp = 0; jp < bPanels; jp++) {
    const pbStart = bPack + (<usize>(jp * kc * NR) << 2);
    const j = jp * NR;
    const cols = min(NR, n - j);
    for (let ip = 0; ip < aPanels; ip++) {
      let pa = aPack + (<usize>(ip * kc * MR) << 2);
      let pb = pbStart;
      let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
      let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
      for (let p = 0; p < kc; p++) {
        const b0 = v128.load(pb), b1 = v128.load(pb, 16);
        const a0 = v128.load32_splat(pa), a1 = v128.load32_splat(pa, 4);
        const a2 = v128.load32_splat(pa, 8), a3 = v128.load32_splat(pa, 12);
        c00 = f32x4.add(f32x4.mul(a0, b0), c00); c01 = f32x4.add(f32x4.mul(a0, b1), c01);
        c10 = f32x4.add(f32x4.mul(a1, b0), c10); c11 = f32x4.add(f32x4.mul(a1, b1), c11);
        c20 = f32x4.add(f32x4.mul(a2, b0), c20); c21 = f32x4.add(f32x4.mul(a2, b1), c21);
        c30 = f32x4.add(f32x4.mul(a3, b0), c30); c31 = f32x4.add(f32x4.mul(a3, b1), c31);
        pa += 16;
        pb += 32;
      }
      const i = i0 + ip * MR;
      writeTile(c, n, i, j, min(MR, i0 + rows - i), cols, add, tile, c00, c01, c10, c11, c20, c21, c30, c31);
    }
  }
}

/** Floats of scratch that matmulF32 needs for an m × n × k product (packed A rows, packed B, one tile). */
export function matmulScratchFloats(m: i32, n: i32, k: i32): i32 {
  const kc = min(KC, max(k, 1));
  return ((min(m, MC) + MR - 1) / MR) * MR * kc + ((n + NR - 1) / NR) * NR * kc + MR * NR;
}

/**
 * Rows [rowStart, rowEnd) of C (m × n) = op(A) · op(B), or C += … when `accumulate`.
 * op(A) is m × k (A is k × m when transA), op(B) is k × n (B is n × k when transB).
 * `scratch` holds matmulScratchFloats(rowEnd − rowStart, n, k) floats.
 */
export function matmulF32(a: usize, b: usize, c: usize, m: i32, n: i32, k: i32, transA: bool, transB: bool, accumulate: bool,
  rowStart: i32, rowEnd: i32, scratch: usize): void {
  const rows = rowEnd - rowStart;
  if (rows <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate) for (let i = rowStart; i < rowEnd; i++) memory.fill(c + (<usize>(i * n) << 2), 0, <usize>n << 2);
    return;
  }
  const kcMax = min(KC, k);
  const aPack = scratch;
  const bPack = aPack + (<usize>(((min(rows, MC) + MR - 1) / MR) * MR * kcMax) << 2);
  const tile = bPack + (<usize>(((n + NR - 1) / NR) * NR * kcMax) << 2);
  for (let p0 = 0; p0 < k; p0 += KC) {
    const kc = min(KC, k - p0);
    packB(b, n, k, transB, p0, kc, bPack);
    for (let i0 = rowStart; i0 < rowEnd; i0 += MC) {
      const mc = min(MC, rowEnd - i0);
      packA(a, m, k, transA, i0, mc, p0, kc, aPack);
      multiplyPanels(aPack, bPack, c, n, i0, mc, kc, accumulate || p0 > 0, tile);
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
