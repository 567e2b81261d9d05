/**
 * Sum rule, float32, fused chunkwise form in register tiles: the equations of
 * kernels/sumRule/chunkwise.ts, one kernel call for the whole scan. Per head, chunks of C steps with
 * rows Q, K, V, the state W0, z0 before the chunk and S = tril(Q Kᵀ) (diagonal included):
 *   den_i = eps + q_i · z0 + Σ_j S_ij (normalise; else 1),   Y = (S V + Q W0ᵀ) / den
 *   W1 = W0 + Vᵀ K,   z1 = z0 + Σ_j k_j.
 * Backward, chunks in reverse, with W0 = W1 − Vᵀ K and z0 = z1 − Σ k rebuilt, D = dL/dW1, Dz = dL/dz1,
 * dnum = dY / den, dden_i = −(dY_i · Y_i) / den_i:
 *   dS = tril(dnum Vᵀ + dden 1ᵀ),  dQ = dS K + dnum W0 + dden z0ᵀ,  dK = dSᵀ Q + V D + 1 Dzᵀ,
 *   dV = Sᵀ dnum + K Dᵀ,  then D ← D + dnumᵀ Q,  Dz ← Dz + Σ_i dden_i q_i.
 * With C = T it is the causal masked form (kernels/sumRule/causal.ts, the same equations in plain loops).
 *
 * Every product is one 4 × 8 register tile (`tile4x8`) over operands copied into zero-padded
 * scratch (rows of 8 floats: no edge cases); only the blocks of S on or below the diagonal are
 * computed. Scratch is O(C² + C·d + d²) per thread whatever T is. Heads [n0, n1) only: threads split heads.
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
    // Written c = a·b + c, the form kernels/wasm/build.mjs finds and fuses (relaxed SIMD) as in the matmul.
    x00 = f32x4.add(f32x4.mul(a0, b0), x00); x01 = f32x4.add(f32x4.mul(a0, b1), x01);
    x10 = f32x4.add(f32x4.mul(a1, b0), x10); x11 = f32x4.add(f32x4.mul(a1, b1), x11);
    x20 = f32x4.add(f32x4.mul(a2, b0), x20); x21 = f32x4.add(f32x4.mul(a2, b1), x21);
    x30 = f32x4.add(f32x4.mul(a3, b0), x30); x31 = f32x4.add(f32x4.mul(a3, b1), x31);
  }
  v128.store(c, x00); v128.store(c, x01, 16); v128.store(c1, x10); v128.store(c1, x11, 16);
  v128.store(c2, x20); v128.store(c2, x21, 16); v128.store(c3, x30); v128.store(c3, x31, 16);
}

/** dst (paddedRows × ld, zeroed first) takes src (rows × cols, rows `srcLd` floats apart) times `scale`. */
function packRows(dst: usize, ld: i32, paddedRows: i32, src: usize, rows: i32, cols: i32, srcLd: i32, scale: f32 = 1): void {
  memory.fill(dst, 0, <usize>(paddedRows * ld) << 2);
  for (let i = 0; i < rows; i++) {
    if (scale == 1) memory.copy(at(dst, i * ld), at(src, i * srcLd), <usize>cols << 2);
    else for (let c = 0; c < cols; c++) store<f32>(at(dst, i * ld + c), scale * load<f32>(at(src, i * srcLd + c)));
  }
}

/** dst (paddedCols × ld, zeroed first) takes the transpose of src (rows × cols, rows `srcLd` apart): dst[c·ld + i] = src[i·srcLd + c]. */
function packTransposed(dst: usize, ld: i32, paddedCols: i32, src: usize, rows: i32, cols: i32, srcLd: i32): void {
  memory.fill(dst, 0, <usize>(paddedCols * ld) << 2);
  for (let i = 0; i < rows; i++) {
    for (let c = 0; c < cols; c++) store<f32>(at(dst, c * ld + i), load<f32>(at(src, i * srcLd + c)));
  }
}

/** The sum of the four lanes. */
// @ts-ignore: decorator
@inline
function lanes(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/** Σ_{j < n} x[j] · y[j], n a multiple of 4. */
function dot(x: usize, y: usize, n: i32): f32 {
  let acc = f32x4.splat(0);
  for (let j = 0; j < n; j += 4) acc = f32x4.add(acc, f32x4.mul(v128.load(at(x, j)), v128.load(at(y, j))));
  return lanes(acc);
}

/** x[0..n) += scale · y[0..n), n a multiple of 4. */
function addScaled(x: usize, y: usize, scale: f32, n: i32): void {
  const s = f32x4.splat(scale);
  for (let j = 0; j < n; j += 4) v128.store(at(x, j), f32x4.add(v128.load(at(x, j)), f32x4.mul(s, v128.load(at(y, j)))));
}

/**
 * z64 += sign · Σ_{j < L} k_j over the packed keys, in float64, then z = z64 in float32: the
 * normaliser's running sum grows with T, and the backward's z0 = z1 − Σ k would lose the early
 * chunks' small z0 in float32 rounding (their rows have the largest 1 / den).
 */
function accumulateKeys(z64: usize, z: usize, Kp: usize, L: i32, dk8: i32, sign: f64): void {
  for (let j = 0; j < L; j++) {
    for (let c = 0; c < dk8; c++) store<f64>(z64 + (<usize>c << 3), load<f64>(z64 + (<usize>c << 3)) + sign * <f64>load<f32>(at(Kp, j * dk8 + c)));
  }
  for (let c = 0; c < dk8; c++) store<f32>(at(z, c), <f32>load<f64>(z64 + (<usize>c << 3)));
}

/** z64 = z (dk8 floats, float64). */
function widen(z64: usize, z: usize, dk8: i32): void {
  for (let c = 0; c < dk8; c++) store<f64>(z64 + (<usize>c << 3), <f64>load<f32>(at(z, c)));
}

/**
 * Rows i0..i0+3 of S = tril(Q Kᵀ) of a chunk of L steps, written at s (rows ld floats apart), columns
 * [0, roundUp8(min(i0 + 4, L))); the columns past the diagonal are zero. Returns that column count.
 */
function causalScores(s: usize, ld: i32, Qp: usize, dk8: i32, Kt: usize, C8: i32, i0: i32, L: i32, dk: i32): i32 {
  const cols = roundUp8(min(i0 + 4, L));
  for (let r = 0; r < 4; r++) memory.fill(at(s, r * ld), 0, <usize>cols << 2);
  for (let j0 = 0; j0 < cols; j0 += 8) tile4x8(at(s, j0), ld, at(Qp, i0 * dk8), dk8, 1, at(Kt, j0), C8, 0, dk);
  for (let r = 0; r < 4; r++) for (let j = i0 + r + 1; j < cols; j++) store<f32>(at(s, r * ld + j), 0);
  return cols;
}

/** 1 / den for a row of S (`cols` floats at s): 1 / (eps + q · z0 + Σ_j S_j), or 1 without normalisation. */
function inverseDenominator(s: usize, cols: i32, qRow: usize, z0: usize, dk8: i32, normalise: bool, eps: f32): f32 {
  if (!normalise) return 1;
  let acc = f32x4.splat(0);
  for (let j = 0; j < cols; j += 4) acc = f32x4.add(acc, v128.load(at(s, j)));
  return 1 / (eps + dot(qRow, z0, dk8) + lanes(acc));
}

/** Floats of scratch one thread needs for chunks of C steps (backward: the backward's, else the forward's). */
export function sumTiledScratchFloats(C: i32, dk: i32, dv: i32, backward: bool): i32 {
  const C8 = roundUp8(C), dk8 = roundUp8(dk), dv8 = roundUp8(dv);
  const forward = 3 * C8 * dk8 + C8 * dv8 + dk8 * dv8 + dk8 + 4 * max(dk8, dv8) + 4 * C8 + 2 * dk8;
  return backward ? forward + 2 * C8 * dv8 + dv8 * C8 + 2 * C8 * C8 + 2 * C8 + 2 * dv8 * dk8 + dk8 : forward;
}

export function sumTiledForwardF32(q: usize, k: usize, v: usize, y: usize, finalState: usize, finalZ: usize,
  initialState: usize, initialZ: usize, T: i32, dk: i32, dv: i32, normalise: bool, eps: f32, C: i32,
  n0: i32, n1: i32, scratch: usize): void {
  const C8 = roundUp8(C), dk8 = roundUp8(dk), dv8 = roundUp8(dv);
  const Qp = scratch, Kp = at(Qp, C8 * dk8), Kt = at(Kp, C8 * dk8), Vp = at(Kt, dk8 * C8);
  const Wt = at(Vp, C8 * dv8), z = at(Wt, dk8 * dv8), tile = at(z, dk8), S = at(tile, 4 * max(dk8, dv8));
  const z64 = at(S, 4 * C8);
  for (let n = n0; n < n1; n++) {
    // Wt = W0ᵀ [dk8 × dv8], the operand of Q W0ᵀ and of the update.
    if (initialState) packTransposed(Wt, dv8, dk8, at(initialState, n * dv * dk), dv, dk, dk);
    else memory.fill(Wt, 0, <usize>(dk8 * dv8) << 2);
    memory.fill(z, 0, <usize>dk8 << 2);
    if (normalise && initialZ) memory.copy(z, at(initialZ, n * dk), <usize>dk << 2);
    widen(z64, z, dk8);
    for (let t0 = 0; t0 < T; t0 += C) {
      const L = min(C, T - t0), first = n * T + t0;
      packRows(Qp, dk8, C8, at(q, first * dk), L, dk, dk);
      packRows(Kp, dk8, C8, at(k, first * dk), L, dk, dk);
      packTransposed(Kt, C8, dk8, at(k, first * dk), L, dk, dk);
      packRows(Vp, dv8, C8, at(v, first * dv), L, dv, dv);
      for (let i0 = 0; i0 < L; i0 += 4) {
        const cols = causalScores(S, C8, Qp, dk8, Kt, C8, i0, L, dk);
        memory.fill(tile, 0, <usize>(4 * dv8) << 2);
        for (let c0 = 0; c0 < dv8; c0 += 8) {
          tile4x8(at(tile, c0), dv8, S, C8, 1, at(Vp, c0), dv8, 0, min(i0 + 4, L));
          tile4x8(at(tile, c0), dv8, at(Qp, i0 * dk8), dk8, 1, at(Wt, c0), dv8, 0, dk);
        }
        for (let r = 0; r < 4 && i0 + r < L; r++) {
          const scale = inverseDenominator(at(S, r * C8), cols, at(Qp, (i0 + r) * dk8), z, dk8, normalise, eps);
          const yRow = at(y, (first + i0 + r) * dv);
          for (let c = 0; c < dv; c++) store<f32>(at(yRow, c), load<f32>(at(tile, r * dv8 + c)) * scale);
        }
      }
      // W1ᵀ = W0ᵀ + Kᵀ V, z1 = z0 + Σ_j k_j.
      for (let c0 = 0; c0 < dk; c0 += 4) {
        for (let i0 = 0; i0 < dv8; i0 += 8) tile4x8(at(Wt, c0 * dv8 + i0), dv8, at(Kp, c0), 1, dk8, at(Vp, i0), dv8, 0, L);
      }
      if (normalise) accumulateKeys(z64, z, Kp, L, dk8, 1);
    }
    for (let i = 0; i < dv; i++) {
      for (let c = 0; c < dk; c++) store<f32>(at(finalState, (n * dv + i) * dk + c), load<f32>(at(Wt, c * dv8 + i)));
    }
    if (normalise) memory.copy(at(finalZ, n * dk), z, <usize>dk << 2);
  }
}

export function sumTiledBackwardF32(q: usize, k: usize, v: usize, y: usize, finalState: usize, finalZ: usize,
  dy: usize, dFinalState: usize, dFinalZ: usize, dq: usize, dkOut: usize, dvOut: usize, dInitialState: usize, dInitialZ: usize,
  T: i32, dk: i32, dv: i32, normalise: bool, eps: f32, C: i32, n0: i32, n1: i32, scratch: usize): void {
  const C8 = roundUp8(C), dk8 = roundUp8(dk), dv8 = roundUp8(dv);
  const Qp = scratch, Kp = at(Qp, C8 * dk8), Kt = at(Kp, C8 * dk8), Vp = at(Kt, dk8 * C8);
  const Dt = at(Vp, C8 * dv8), z = at(Dt, dk8 * dv8), tile = at(z, dk8), S = at(tile, 4 * max(dk8, dv8));
  const z64 = at(S, 4 * C8), negV = at(z64, 2 * dk8), dNum = at(negV, C8 * dv8), Vt = at(dNum, C8 * dv8);
  const Sc = at(Vt, dv8 * C8), dS = at(Sc, C8 * C8), dDen = at(dS, C8 * C8);
  const W = at(dDen, 2 * C8), D = at(W, dv8 * dk8), Dz = at(D, dv8 * dk8);
  for (let n = n0; n < n1; n++) {
    packRows(W, dk8, dv8, at(finalState, n * dv * dk), dv, dk, dk);
    if (dFinalState) packRows(D, dk8, dv8, at(dFinalState, n * dv * dk), dv, dk, dk);
    else memory.fill(D, 0, <usize>(dv8 * dk8) << 2);
    memory.fill(z, 0, <usize>dk8 << 2);
    memory.fill(Dz, 0, <usize>dk8 << 2);
    if (normalise) memory.copy(z, at(finalZ, n * dk), <usize>dk << 2);
    widen(z64, z, dk8);
    if (normalise && dFinalZ) memory.copy(Dz, at(dFinalZ, n * dk), <usize>dk << 2);
    for (let t0 = ((T - 1) / C) * C; t0 >= 0; t0 -= C) {
      const L = min(C, T - t0), first = n * T + t0;
      packRows(Qp, dk8, C8, at(q, first * dk), L, dk, dk);
      packRows(Kp, dk8, C8, at(k, first * dk), L, dk, dk);
      packTransposed(Kt, C8, dk8, at(k, first * dk), L, dk, dk);
      packRows(Vp, dv8, C8, at(v, first * dv), L, dv, dv);
      packRows(negV, dv8, C8, at(v, first * dv), L, dv, dv, -1);
      packTransposed(Vt, C8, dv8, at(v, first * dv), L, dv, dv);
      // The state before the chunk: W0 = W1 − Vᵀ K, z0 = z1 − Σ k. Dt = Dᵀ of D = dL/dW1.
      for (let i0 = 0; i0 < dv; i0 += 4) {
        for (let c0 = 0; c0 < dk8; c0 += 8) tile4x8(at(W, i0 * dk8 + c0), dk8, at(negV, i0), 1, dv8, at(Kp, c0), dk8, 0, L);
      }
      if (normalise) accumulateKeys(z64, z, Kp, L, dk8, -1);
      packTransposed(Dt, dv8, dk8, D, dv8, dk8, dk8);
      memory.fill(dNum, 0, <usize>(C8 * dv8) << 2);
      memory.fill(dDen, 0, <usize>C8 << 2);
      // Query rows, four at a time: S, dnum, dden, dS, then dQ = dS K + dnum W0 + dden z0ᵀ.
      for (let i0 = 0; i0 < L; i0 += 4) {
        const Srows = at(Sc, i0 * C8), dSrows = at(dS, i0 * C8);
        const cols = causalScores(Srows, C8, Qp, dk8, Kt, C8, i0, L, dk);
        for (let r = 0; r < 4 && i0 + r < L; r++) {
          const i = i0 + r, row = first + i;
          const scale = inverseDenominator(at(Srows, r * C8), cols, at(Qp, i * dk8), z, dk8, normalise, eps);
          let dden: f32 = 0;
          if (normalise) {
            for (let c = 0; c < dv; c++) dden -= load<f32>(at(dy, row * dv + c)) * load<f32>(at(y, row * dv + c));
            dden *= scale;
          }
          store<f32>(at(dDen, i), dden);
          for (let c = 0; c < dv; c++) store<f32>(at(dNum, i * dv8 + c), load<f32>(at(dy, row * dv + c)) * scale);
        }
        for (let r = 0; r < 4; r++) memory.fill(at(dSrows, r * C8), 0, <usize>cols << 2);
        for (let j0 = 0; j0 < cols; j0 += 8) tile4x8(at(dSrows, j0), C8, at(dNum, i0 * dv8), dv8, 1, at(Vt, j0), C8, 0, dv);
        for (let r = 0; r < 4; r++) {
          const i = i0 + r, dden = load<f32>(at(dDen, i)), dSrow = at(dSrows, r * C8);
          for (let j = 0; j < cols; j++) store<f32>(at(dSrow, j), j <= i && i < L ? load<f32>(at(dSrow, j)) + dden : 0);
        }
        memory.fill(tile, 0, <usize>(4 * dk8) << 2);
        for (let c0 = 0; c0 < dk8; c0 += 8) {
          tile4x8(at(tile, c0), dk8, dSrows, C8, 1, at(Kp, c0), dk8, 0, min(i0 + 4, L));
          tile4x8(at(tile, c0), dk8, at(dNum, i0 * dv8), dv8, 1, at(W, c0), dk8, 0, dv);
        }
        for (let r = 0; r < 4 && i0 + r < L; r++) {
          const dqRow = at(dq, (first + i0 + r) * dk);
          addScaled(at(tile, r * dk8), z, load<f32>(at(dDen, i0 + r)), dk8);
          memory.copy(dqRow, at(tile, r * dk8), <usize>dk << 2);
        }
      }
      // Key rows, four at a time: dV = Sᵀ dnum + K Dᵀ and dK = dSᵀ Q + V D + 1 Dzᵀ (rows i ≥ j only).
      for (let j0 = 0; j0 < L; j0 += 4) {
        memory.fill(tile, 0, <usize>(4 * dv8) << 2);
        for (let c0 = 0; c0 < dv8; c0 += 8) {
          tile4x8(at(tile, c0), dv8, at(Sc, j0), 1, C8, at(dNum, c0), dv8, j0, L);
          tile4x8(at(tile, c0), dv8, at(Kp, j0 * dk8), dk8, 1, at(Dt, c0), dv8, 0, dk);
        }
        for (let r = 0; r < 4 && j0 + r < L; r++) memory.copy(at(dvOut, (first + j0 + r) * dv), at(tile, r * dv8), <usize>dv << 2);
        memory.fill(tile, 0, <usize>(4 * dk8) << 2);
        for (let c0 = 0; c0 < dk8; c0 += 8) {
          tile4x8(at(tile, c0), dk8, at(dS, j0), 1, C8, at(Qp, c0), dk8, j0, L);
          tile4x8(at(tile, c0), dk8, at(Vp, j0 * dv8), dv8, 1, at(D, c0), dk8, 0, dv);
        }
        for (let r = 0; r < 4 && j0 + r < L; r++) {
          addScaled(at(tile, r * dk8), Dz, 1, dk8);
          memory.copy(at(dkOut, (first + j0 + r) * dk), at(tile, r * dk8), <usize>dk << 2);
        }
      }
      // D ← D + dnumᵀ Q, Dz ← Dz + Σ_i dden_i q_i: the gradients of the state before the chunk.
      for (let i0 = 0; i0 < dv; i0 += 4) {
        for (let c0 = 0; c0 < dk8; c0 += 8) tile4x8(at(D, i0 * dk8 + c0), dk8, at(dNum, i0), 1, dv8, at(Qp, c0), dk8, 0, L);
      }
      if (normalise) for (let i = 0; i < L; i++) addScaled(Dz, at(Qp, i * dk8), load<f32>(at(dDen, i)), dk8);
    }
    if (dInitialState) for (let i = 0; i < dv; i++) memory.copy(at(dInitialState, (n * dv + i) * dk), at(D, i * dk8), <usize>dk << 2);
    if (dInitialZ && normalise) memory.copy(at(dInitialZ, n * dk), Dz, <usize>dk << 2);
  }
}
