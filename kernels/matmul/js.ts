/**
 * CPU matmul: out[b] = op(A[b]) · op(B[b]) (see MatmulArgs in ../types.ts).
 *
 * How it goes fast in plain JavaScript:
 *  1. Pack. A is copied into panels of 4 rows and B into panels of 4 columns, both in a Float64Array,
 *     laid out so that step p of the inner loop reads 4 consecutive A values and 4 consecutive B
 *     values. Packing absorbs the transposes, makes every inner loop read one dtype (V8 stays
 *     monomorphic) and pads m and n up to multiples of 4 with zeros, so the kernel has no edge cases.
 *  2. Register tile. Each 4 × 4 block of the output lives in 16 local variables for the whole k loop:
 *     16 multiply-adds per 8 loads.
 * Packing costs O(mk + kn) per matrix against O(mnk) for the product. A matrix broadcast over the
 * batch (stride 0) is packed once.
 */
import type { FloatArray, MatmulArgs } from '../types.js';

const TILE = 4;

// Scratch panels, grown on demand and reused: no allocation per call once warm.
let aPanels: Float64Array = new Float64Array(0);
let bPanels: Float64Array = new Float64Array(0);
// One finished 4 × 4 tile on its way out (clipped to the matrix edge).
const tileScratch = new Float64Array(TILE * TILE);

function grow(buffer: Float64Array, n: number): Float64Array {
  return buffer.length >= n ? buffer : new Float64Array(Math.max(n, buffer.length * 2));
}

/** Packs op(A) (m × k) into ceil(m/4) panels of k × 4: panel[(i/4)·k·4 + p·4 + i%4] = op(A)[i, p]. */
function packRows(src: FloatArray, offset: number, m: number, k: number, transposed: boolean, dst: Float64Array): void {
  const mPadded = Math.ceil(m / TILE) * TILE;
  if (mPadded !== m) dst.fill(0, 0, mPadded * k);
  for (let i = 0; i < m; i++) {
    const base = (i >> 2) * k * TILE + (i & 3);
    if (transposed) for (let p = 0; p < k; p++) dst[base + p * TILE] = src[offset + p * m + i]!;
    else for (let p = 0; p < k; p++) dst[base + p * TILE] = src[offset + i * k + p]!;
  }
}

/** Packs op(B) (k × n) into ceil(n/4) panels of k × 4: panel[(j/4)·k·4 + p·4 + j%4] = op(B)[p, j]. */
function packColumns(src: FloatArray, offset: number, k: number, n: number, transposed: boolean, dst: Float64Array): void {
  const nPadded = Math.ceil(n / TILE) * TILE;
  if (nPadded !== n) dst.fill(0, 0, nPadded * k);
  for (let j = 0; j < n; j++) {
    const base = (j >> 2) * k * TILE + (j & 3);
    if (transposed) for (let p = 0; p < k; p++) dst[base + p * TILE] = src[offset + j * k + p]!;
    else for (let p = 0; p < k; p++) dst[base + p * TILE] = src[offset + p * n + j]!;
  }
}

/** The 4 × 4 register-tiled kernel over packed panels, writing (or adding to) out at outOffset. */
function multiplyPanels(A: Float64Array, B: Float64Array, out: FloatArray, outOffset: number, m: number, n: number, k: number, accumulate: boolean): void {
  const panelSize = k * TILE;
  for (let i0 = 0; i0 < m; i0 += TILE) {
    const aBase = (i0 >> 2) * panelSize;
    for (let j0 = 0; j0 < n; j0 += TILE) {
      const bBase = (j0 >> 2) * panelSize;
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
      let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
      let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let p = 0; p < panelSize; p += TILE) {
        const a0 = A[aBase + p]!, a1 = A[aBase + p + 1]!, a2 = A[aBase + p + 2]!, a3 = A[aBase + p + 3]!;
        const b0 = B[bBase + p]!, b1 = B[bBase + p + 1]!, b2 = B[bBase + p + 2]!, b3 = B[bBase + p + 3]!;
        c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
        c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
        c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
        c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
      }
      const tile = tileScratch;
      tile[0] = c00; tile[1] = c01; tile[2] = c02; tile[3] = c03;
      tile[4] = c10; tile[5] = c11; tile[6] = c12; tile[7] = c13;
      tile[8] = c20; tile[9] = c21; tile[10] = c22; tile[11] = c23;
      tile[12] = c30; tile[13] = c31; tile[14] = c32; tile[15] = c33;
      const rows = Math.min(TILE, m - i0);
      const cols = Math.min(TILE, n - j0);
      for (let r = 0; r < rows; r++) {
        const o = outOffset + (i0 + r) * n + j0;
        for (let c = 0; c < cols; c++) out[o + c] = accumulate ? out[o + c]! + tile[r * TILE + c]! : tile[r * TILE + c]!;
      }
    }
  }
}

export function matmulJs(args: MatmulArgs): void {
  const { a, b, out, batch, m, n, k, transA, transB, aBatchStride, bBatchStride } = args;
  const accumulate = args.accumulate ?? false;
  if (k === 0) {
    if (!accumulate) out.fill(0, 0, batch * m * n);
    return;
  }
  const aSize = Math.ceil(m / TILE) * TILE * k;
  const bSize = Math.ceil(n / TILE) * TILE * k;
  aPanels = grow(aPanels, aSize);
  bPanels = grow(bPanels, bSize);
  for (let bi = 0; bi < batch; bi++) {
    if (bi === 0 || aBatchStride !== 0) packRows(a, bi * aBatchStride, m, k, transA, aPanels);
    if (bi === 0 || bBatchStride !== 0) packColumns(b, bi * bBatchStride, k, n, transB, bPanels);
    multiplyPanels(aPanels, bPanels, out, bi * m * n, m, n, k, accumulate);
  }
}
