/**
 * Sum rule, float32, fused causal (masked) form: per head, the whole sequence as one chunk of the
 * chunkwise form (kernels/sumRule/causal.ts has the plain loops and the equations). With
 * S = tril(Q Kᵀ) (diagonal included), W0, z0 the initial state and normaliser:
 *   den_i = eps + q_i · z0 + Σ_j S_ij (normalise; else 1),   y_i = (S V + Q W0ᵀ)_i / den_i
 *   W_T = W0 + Vᵀ K,   z_T = z0 + Σ_j k_j
 * and back, with dnum = dY / den, dden_i = −(dY_i · y_i) / den_i, D = dL/dW_T, Dz = dL/dz_T:
 *   dS = tril(dnum Vᵀ + dden 1ᵀ),  dQ = dS K + dnum W0 + dden z0ᵀ,  dK = dSᵀ Q + V D + 1 Dzᵀ,
 *   dV = Sᵀ dnum + K Dᵀ,  dW0 = D + dnumᵀ Q,  dz0 = Dz + Σ_i dden_i q_i.
 *
 * Every product is the same 4 × 8 register tile (`tile4x8`) over operands copied into zero-padded
 * scratch (rows of 8 floats: no edge cases), and only the blocks on or below the diagonal are
 * computed. The forward keeps four rows of S at a time; the backward keeps S and dS whole
 * (T² floats each, so the wasm backend sends only short sequences here: kernels/sumRule/choice.ts).
 * Heads [n0, n1) only: threads split heads.
 */
import { at } from './common';

// @ts-ignore: decorator
@inline
function roundUp8(n: i32): i32 {
  return (n + 7) & ~7;
}

/**
 * C[r, 0..8) += Σ_{p0 ≤ p < p1} A[r·aRow + p·aCol] · B[p·ldb + 0..8) for the four rows r of a tile
 * whose rows are ldc floats apart: eight f32x4 accumulators, four splatted loads of A and two loads
 * of B per step (as the matmul's micro-kernel). Strides in floats, pointers in bytes.
 */
function tile4x8(c: usize, ldc: i32, a: usize, aRow: i32, aCol: i32, b: usize, ldb: i32, p0: i32, p1: i32): void {
  const c1 = at(c, ldc), c2 = at(c1, ldc), c3 = at(c2, ldc);
  let x00 = v128.load(c), x01 = v128.load(c, 16), x10 = v128.load(c1), x11 = v128.load(c1, 16);
  let x20 = v128.load(c2), x21 = v128.load(c2, 16), x30 = v128.load(c3), x31 = v128.load(c3, 16);
  const rowStep = <usize>aRow << 2;
  for (let p = p0; p < p1; p++) {
    const ap = at(a, p * aCol), bp = at(b, p * ldb);
    const b0 = v128.load(bp), b1 = v128.load(bp, 16);
    const a0 = v128.load32_splat(ap), a1 = v128.load32_splat(ap + rowStep);
    const a2 = v128.load32_splat(ap + 2 * rowStep), a3 = v128.load32_splat(ap + 3 * rowStep);
    x00 = f32x4.add(x00, f32x4.mul(a0, b0)); x01 = f32x4.add(x01, f32x4.mul(a0, b1));
    x10 = f32x4.add(x10, f32x4.mul(a1, b0)); x11 = f32x4.add(x11, f32x4.mul(a1, b1));
    x20 = f32x4.add(x20, f32x4.mul(a2, b0)); x21 = f32x4.add(x21, f32x4.mul(a2, b1));
    x30 = f32x4.add(x30, f32x4.mul(a3, b0)); x31 = f32x4.add(x31, f32x4.mul(a3, b1));
  }
  v128.store(c, x00); v128.store(c, x01, 16); v128.store(c1, x10); v128.store(c1, x11, 16);
  v128.store(c2, x20); v128.store(c2, x21, 16); v128.store(c3, x30); v128.store(c3, x31, 16);
}

/** dst (rows × ld, zeroed first) takes src (rows × cols) row by row. */
function packRows(dst: usize, ld: i32, paddedRows: i32, src: usize, rows: i32, cols: i32): void {
  memory.fill(dst, 0, <usize>(paddedRows * ld) << 2);
  for (let i = 0; i < rows; i++) memory.copy(at(dst, i * ld), at(src, i * cols), <usize>cols << 2);
}

/** dst (paddedCols × ld, zeroed first) takes the transpose of src (rows × cols): dst[c·ld + i] = src[i·cols + c]. */
function packTransposed(dst: usize, ld: i32, paddedCols: i32, src: usize, rows: i32, cols: i32): void {
  memory.fill(dst, 0, <usize>(paddedCols * ld) << 2);
  for (let i = 0; i < rows; i++) {
    for (let c = 0; c < cols; c++) store<f32>(at(dst, c * ld + i), load<f32>(at(src, i * cols + c)));
  }
}

/** Σ_{j < n} x[j] · y[j], n a multiple of 4. */
function dot(x: usize, y: usize, n: i32): f32 {
  let acc = f32x4.splat(0);
  for (let j = 0; j < n; j += 4) acc = f32x4.add(acc, f32x4.mul(v128.load(at(x, j)), v128.load(at(y, j))));
  return f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
}

/**
 * Rows i0..i0+3 of S = tril(Q Kᵀ), written at s (rows ld floats apart), columns [0, roundUp8(min(i0 + 4, T)));
 * the columns past the diagonal are zero. Returns that column count.
 */
function causalScores(s: usize, ld: i32, Qp: usize, dk8: i32, Kt: usize, T8: i32, i0: i32, T: i32, dk: i32): i32 {
  const cols = roundUp8(min(i0 + 4, T));
  for (let r = 0; r < 4; r++) memory.fill(at(s, r * ld), 0, <usize>cols << 2);
  for (let j0 = 0; j0 < cols; j0 += 8) tile4x8(at(s, j0), ld, at(Qp, i0 * dk8), dk8, 1, at(Kt, j0), T8, 0, dk);
  for (let r = 0; r < 4; r++) for (let j = i0 + r + 1; j < cols; j++) store<f32>(at(s, r * ld + j), 0);
  return cols;
}

/** 1 / den for row i of the block held at s: 1 / (eps + q_i · z0 + Σ_j S_ij), or 1 without normalisation. */
function inverseDenominator(s: usize, cols: i32, qRow: usize, z0: usize, dk8: i32, normalise: bool, eps: f32): f32 {
  if (!normalise) return 1;
  let acc = f32x4.splat(0);
  for (let j = 0; j < cols; j += 4) acc = f32x4.add(acc, v128.load(at(s, j)));
  const sum = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  return 1 / (eps + dot(qRow, z0, dk8) + sum);
}

/** Floats of scratch one thread needs for the forward (backward: true for the backward) at this shape. */
export function sumCausalScratchFloats(T: i32, dk: i32, dv: i32, backward: bool): i32 {
  const T8 = roundUp8(T), dk8 = roundUp8(dk), dv8 = roundUp8(dv);
  const common = 3 * T8 * dk8 + T8 * dv8 + 2 * dv8 * dk8 + 2 * dk8 + 4 * max(dk8, dv8);
  return backward ? common + dv8 * T8 + 2 * T8 * T8 + T8 * dv8 + 2 * T8 + dk8 * dv8 : common + 4 * T8 + dk8 * dv8;
}

export function sumCausalForwardF32(q: usize, k: usize, v: usize, y: usize, finalState: usize, finalZ: usize,
  initialState: usize, initialZ: usize, T: i32, dk: i32, dv: i32, normalise: bool, eps: f32,
  n0: i32, n1: i32, scratch: usize): void {
  const T8 = roundUp8(T), dk8 = roundUp8(dk), dv8 = roundUp8(dv);
  const Qp = scratch, Kp = at(Qp, T8 * dk8), Kt = at(Kp, T8 * dk8), Vp = at(Kt, dk8 * T8);
  const W = at(Vp, T8 * dv8), W0t = at(W, dv8 * dk8), z = at(W0t, dk8 * dv8), z0 = at(z, dk8);
  const tile = at(z0, dk8), S = at(tile, 4 * max(dk8, dv8));
  for (let n = n0; n < n1; n++) {
    packRows(Qp, dk8, T8, at(q, n * T * dk), T, dk);
    packRows(Kp, dk8, T8, at(k, n * T * dk), T, dk);
    packTransposed(Kt, T8, dk8, at(k, n * T * dk), T, dk);
    packRows(Vp, dv8, T8, at(v, n * T * dv), T, dv);
    if (initialState) {
      packRows(W, dk8, dv8, at(initialState, n * dv * dk), dv, dk);
      packTransposed(W0t, dv8, dk8, at(initialState, n * dv * dk), dv, dk);
    }
    memory.fill(z0, 0, <usize>dk8 << 2);
    if (normalise && initialZ) memory.copy(z0, at(initialZ, n * dk), <usize>dk << 2);
    for (let i0 = 0; i0 < T; i0 += 4) {
      const cols = causalScores(S, T8, Qp, dk8, Kt, T8, i0, T, dk);
      memory.fill(tile, 0, <usize>(4 * dv8) << 2);
      for (let c0 = 0; c0 < dv8; c0 += 8) {
        tile4x8(at(tile, c0), dv8, S, T8, 1, at(Vp, c0), dv8, 0, min(i0 + 4, T));
        if (initialState) tile4x8(at(tile, c0), dv8, at(Qp, i0 * dk8), dk8, 1, at(W0t, c0), dv8, 0, dk);
      }
      for (let r = 0; r < 4 && i0 + r < T; r++) {
        const scale = inverseDenominator(at(S, r * T8), cols, at(Qp, (i0 + r) * dk8), z0, dk8, normalise, eps);
        const yRow = at(y, (n * T + i0 + r) * dv);
        for (let c = 0; c < dv; c++) store<f32>(at(yRow, c), load<f32>(at(tile, r * dv8 + c)) * scale);
      }
    }
    // W_T = W0 + Vᵀ K, z_T = z0 + Σ_j k_j.
    if (!initialState) memory.fill(W, 0, <usize>(dv8 * dk8) << 2);
    for (let i0 = 0; i0 < dv; i0 += 4) {
      for (let c0 = 0; c0 < dk8; c0 += 8) tile4x8(at(W, i0 * dk8 + c0), dk8, at(Vp, i0), 1, dv8, at(Kp, c0), dk8, 0, T);
    }
    for (let i = 0; i < dv; i++) memory.copy(at(finalState, (n * dv + i) * dk), at(W, i * dk8), <usize>dk << 2);
    if (normalise) {
      memory.copy(z, z0, <usize>dk8 << 2);
      for (let j = 0; j < T; j++) {
        for (let c = 0; c < dk8; c += 4) v128.store(at(z, c), f32x4.add(v128.load(at(z, c)), v128.load(at(Kp, j * dk8 + c))));
      }
      memory.copy(at(finalZ, n * dk), z, <usize>dk << 2);
    }
  }
}

export function sumCausalBackwardF32(q: usize, k: usize, v: usize, y: usize, initialState: usize, initialZ: usize,
  dy: usize, dFinalState: usize, dFinalZ: usize, dq: usize, dkOut: usize, dvOut: usize, dInitialState: usize, dInitialZ: usize,
  T: i32, dk: i32, dv: i32, normalise: bool, eps: f32, n0: i32, n1: i32, scratch: usize): void {
  const T8 = roundUp8(T), dk8 = roundUp8(dk), dv8 = roundUp8(dv);
  const Qp = scratch, Kp = at(Qp, T8 * dk8), Kt = at(Kp, T8 * dk8), Vp = at(Kt, dk8 * T8);
  const W0 = at(Vp, T8 * dv8), D = at(W0, dv8 * dk8), Dz = at(D, dv8 * dk8), z0 = at(Dz, dk8);
  const tile = at(z0, dk8), Vt = at(tile, 4 * max(dk8, dv8)), S = at(Vt, dv8 * T8), dS = at(S, T8 * T8);
  const dNum = at(dS, T8 * T8), dDen = at(dNum, T8 * dv8), Dt = at(dDen, 2 * T8);
  for (let n = n0; n < n1; n++) {
    packRows(Qp, dk8, T8, at(q, n * T * dk), T, dk);
    packRows(Kp, dk8, T8, at(k, n * T * dk), T, dk);
    packTransposed(Kt, T8, dk8, at(k, n * T * dk), T, dk);
    packRows(Vp, dv8, T8, at(v, n * T * dv), T, dv);
    packTransposed(Vt, T8, dv8, at(v, n * T * dv), T, dv);
    if (initialState) packRows(W0, dk8, dv8, at(initialState, n * dv * dk), dv, dk);
    if (dFinalState) {
      packRows(D, dk8, dv8, at(dFinalState, n * dv * dk), dv, dk);
      packTransposed(Dt, dv8, dk8, at(dFinalState, n * dv * dk), dv, dk);
    } else memory.fill(D, 0, <usize>(dv8 * dk8) << 2);
    memory.fill(z0, 0, <usize>dk8 << 2);
    memory.fill(Dz, 0, <usize>dk8 << 2);
    if (normalise && initialZ) memory.copy(z0, at(initialZ, n * dk), <usize>dk << 2);
    if (normalise && dFinalZ) memory.copy(Dz, at(dFinalZ, n * dk), <usize>dk << 2);
    memory.fill(dNum, 0, <usize>(T8 * dv8) << 2);
    memory.fill(dDen, 0, <usize>T8 << 2);
    // Query rows, four at a time: S, dnum, dden, dS, then dQ = dS K + dnum W0 + dden z0ᵀ.
    for (let i0 = 0; i0 < T; i0 += 4) {
      const Srows = at(S, i0 * T8), dSrows = at(dS, i0 * T8);
      const cols = causalScores(Srows, T8, Qp, dk8, Kt, T8, i0, T, dk);
      for (let r = 0; r < 4 && i0 + r < T; r++) {
        const i = i0 + r, row = n * T + i;
        const scale = inverseDenominator(at(Srows, r * T8), cols, at(Qp, i * dk8), z0, dk8, normalise, eps);
        let dden: f32 = 0;
        if (normalise) {
          for (let c = 0; c < dv; c++) dden -= load<f32>(at(dy, row * dv + c)) * load<f32>(at(y, row * dv + c));
          dden *= scale;
        }
        store<f32>(at(dDen, i), dden);
        for (let c = 0; c < dv; c++) store<f32>(at(dNum, i * dv8 + c), load<f32>(at(dy, row * dv + c)) * scale);
      }
      for (let r = 0; r < 4; r++) memory.fill(at(dSrows, r * T8), 0, <usize>cols << 2);
      for (let j0 = 0; j0 < cols; j0 += 8) tile4x8(at(dSrows, j0), T8, at(dNum, i0 * dv8), dv8, 1, at(Vt, j0), T8, 0, dv);
      for (let r = 0; r < 4; r++) {
        const i = i0 + r, dden = load<f32>(at(dDen, i)), dSrow = at(dSrows, r * T8);
        for (let j = 0; j < cols; j++) store<f32>(at(dSrow, j), j <= i && i < T ? load<f32>(at(dSrow, j)) + dden : 0);
      }
      memory.fill(tile, 0, <usize>(4 * dk8) << 2);
      for (let c0 = 0; c0 < dk8; c0 += 8) {
        tile4x8(at(tile, c0), dk8, dSrows, T8, 1, at(Kp, c0), dk8, 0, min(i0 + 4, T));
        if (initialState) tile4x8(at(tile, c0), dk8, at(dNum, i0 * dv8), dv8, 1, at(W0, c0), dk8, 0, dv);
      }
      for (let r = 0; r < 4 && i0 + r < T; r++) {
        const i = i0 + r, dden = load<f32>(at(dDen, i)), dqRow = at(dq, (n * T + i) * dk);
        for (let c = 0; c < dk; c++) store<f32>(at(dqRow, c), load<f32>(at(tile, r * dk8 + c)) + dden * load<f32>(at(z0, c)));
      }
    }
    // Key rows, four at a time: dV = Sᵀ dnum + K Dᵀ and dK = dSᵀ Q + V D + 1 Dzᵀ (rows i ≥ j only).
    for (let j0 = 0; j0 < T; j0 += 4) {
      memory.fill(tile, 0, <usize>(4 * dv8) << 2);
      for (let c0 = 0; c0 < dv8; c0 += 8) {
        tile4x8(at(tile, c0), dv8, at(S, j0), 1, T8, at(dNum, c0), dv8, j0, T);
        if (dFinalState) tile4x8(at(tile, c0), dv8, at(Kp, j0 * dk8), dk8, 1, at(Dt, c0), dv8, 0, dk);
      }
      for (let r = 0; r < 4 && j0 + r < T; r++) memory.copy(at(dvOut, (n * T + j0 + r) * dv), at(tile, r * dv8), <usize>dv << 2);
      memory.fill(tile, 0, <usize>(4 * dk8) << 2);
      for (let c0 = 0; c0 < dk8; c0 += 8) {
        tile4x8(at(tile, c0), dk8, at(dS, j0), 1, T8, at(Qp, c0), dk8, j0, T);
        if (dFinalState) tile4x8(at(tile, c0), dk8, at(Vp, j0 * dv8), dv8, 1, at(D, c0), dk8, 0, dv);
      }
      for (let r = 0; r < 4 && j0 + r < T; r++) {
        const dkRow = at(dkOut, (n * T + j0 + r) * dk);
        for (let c = 0; c < dk; c++) store<f32>(at(dkRow, c), load<f32>(at(tile, r * dk8 + c)) + load<f32>(at(Dz, c)));
      }
    }
    // dW0 = D + dnumᵀ Q (D is overwritten: it is no longer needed), dz0 = Dz + Σ_i dden_i q_i.
    if (dInitialState) {
      for (let i0 = 0; i0 < dv; i0 += 4) {
        for (let c0 = 0; c0 < dk8; c0 += 8) tile4x8(at(D, i0 * dk8 + c0), dk8, at(dNum, i0), 1, dv8, at(Qp, c0), dk8, 0, T);
      }
      for (let i = 0; i < dv; i++) memory.copy(at(dInitialState, (n * dv + i) * dk), at(D, i * dk8), <usize>dk << 2);
    }
    if (dInitialZ && normalise) {
      for (let i = 0; i < T; i++) {
        const dd = f32x4.splat(load<f32>(at(dDen, i)));
        for (let c = 0; c < dk8; c += 4) v128.store(at(Dz, c), f32x4.add(v128.load(at(Dz, c)), f32x4.mul(dd, v128.load(at(Qp, i * dk8 + c)))));
      }
      memory.copy(at(dInitialZ, n * dk), Dz, <usize>dk << 2);
    }
  }
}
