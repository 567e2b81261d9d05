/**
 * Sum rule, causal masked form, float64 loops written to be read: the plain reference beside the
 * fused WebAssembly kernel (kernels/wasm/assembly/sumRuleCausal.ts), which computes the same
 * products in tiles. Per head, the whole sequence is one chunk of the chunkwise form
 * (./chunkwise.ts): with S = tril(Q Kᵀ) (diagonal included), W0 and z0 the initial state,
 *   den_i = eps + q_i · z0 + Σ_{j ≤ i} S_ij   (normalise; else 1)
 *   y_i   = (Σ_{j ≤ i} S_ij v_j + W0 q_i) / den_i
 *   W_T   = W0 + Σ_j v_j ⊗ k_j,   z_T = z0 + Σ_j k_j.
 * Backward, with dnum_i = dy_i / den_i, dden_i = −(dy_i · y_i) / den_i, D = dL/dW_T, Dz = dL/dz_T:
 *   dS_ij = dnum_i · v_j + dden_i   (j ≤ i)
 *   dq_i  = Σ_{j ≤ i} dS_ij k_j + W0ᵀ dnum_i + dden_i z0
 *   dk_j  = Σ_{i ≥ j} dS_ij q_i + Dᵀ v_j + Dz
 *   dv_j  = Σ_{i ≥ j} S_ij dnum_i + D k_j
 *   dW0   = D + Σ_i dnum_i ⊗ q_i,   dz0 = Dz + Σ_i dden_i q_i.
 * Memory O(T²) per head (S is recomputed entry by entry here; the kernel keeps it): for short sequences.
 * Shapes: q, k [N, T, dk]; v [N, T, dv]; W [N, dv, dk]; z [N, dk].
 */
import type { FloatArray, SumScanBackwardArgs, SumScanForwardArgs, SumScanForwardResult, SumScanGrads } from '../types.js';
import { allocLike } from '../alloc.js';

/** Σ_c x[xo + c] · y[yo + c] for c < n. */
function dotAt(x: FloatArray, xo: number, y: FloatArray, yo: number, n: number): number {
  let s = 0;
  for (let c = 0; c < n; c++) s += x[xo + c]! * y[yo + c]!;
  return s;
}

/** The initial state W0 [dv, dk] and z0 [dk] of head n (zeros where absent). */
function initialOf(args: SumScanForwardArgs, n: number): { W0: Float64Array; z0: Float64Array } {
  const { dk, dv, normalise, initialState, initialZ } = args;
  const W0 = new Float64Array(dv * dk), z0 = new Float64Array(dk);
  if (initialState) for (let c = 0; c < dv * dk; c++) W0[c] = initialState[n * dv * dk + c]!;
  if (normalise && initialZ) for (let c = 0; c < dk; c++) z0[c] = initialZ[n * dk + c]!;
  return { W0, z0 };
}

/** den_i of every row of head n. */
function denominators(args: SumScanForwardArgs, n: number, z0: Float64Array): Float64Array {
  const { q, k, T, dk, normalise, eps } = args;
  const den = new Float64Array(T).fill(1);
  if (!normalise) return den;
  for (let i = 0; i < T; i++) {
    let d = eps + dotAt(q, (n * T + i) * dk, z0, 0, dk);
    for (let j = 0; j <= i; j++) d += dotAt(q, (n * T + i) * dk, k, (n * T + j) * dk, dk);
    den[i] = d;
  }
  return den;
}

export function sumScanForwardCausal(args: SumScanForwardArgs): SumScanForwardResult {
  const { q, k, v, N, T, dk, dv, normalise } = args;
  const y = allocLike(q, N * T * dv), finalState = allocLike(q, N * dv * dk), finalZ = normalise ? allocLike(q, N * dk) : null;
  for (let n = 0; n < N; n++) {
    const { W0, z0 } = initialOf(args, n);
    const den = denominators(args, n, z0);
    for (let i = 0; i < T; i++) {
      const qi = (n * T + i) * dk;
      for (let c = 0; c < dv; c++) {
        let num = dotAt(W0, c * dk, q, qi, dk);
        for (let j = 0; j <= i; j++) num += dotAt(q, qi, k, (n * T + j) * dk, dk) * v[(n * T + j) * dv + c]!;
        y[(n * T + i) * dv + c] = num / den[i]!;
      }
    }
    for (let c = 0; c < dv; c++) {
      for (let e = 0; e < dk; e++) {
        let w = W0[c * dk + e]!;
        for (let j = 0; j < T; j++) w += v[(n * T + j) * dv + c]! * k[(n * T + j) * dk + e]!;
        finalState[(n * dv + c) * dk + e] = w;
      }
    }
    if (finalZ) {
      for (let e = 0; e < dk; e++) {
        let s = z0[e]!;
        for (let j = 0; j < T; j++) s += k[(n * T + j) * dk + e]!;
        finalZ[n * dk + e] = s;
      }
    }
  }
  return { y, finalState, finalZ };
}

export function sumScanBackwardCausal(args: SumScanBackwardArgs): SumScanGrads {
  const { q, k, v, N, T, dk, dv, normalise, initialState, initialZ, forward, dy, dFinalState, dFinalZ } = args;
  const dq = allocLike(q, N * T * dk), dkOut = allocLike(q, N * T * dk), dvOut = allocLike(q, N * T * dv);
  const dInitialState = initialState ? allocLike(q, N * dv * dk) : null;
  const dInitialZ = initialZ ? allocLike(q, N * dk) : null;
  for (let n = 0; n < N; n++) {
    const { W0, z0 } = initialOf(args, n);
    const den = denominators(args, n, z0);
    const row = (i: number) => n * T + i;
    const dNum = new Float64Array(T * dv), dDen = new Float64Array(T);
    for (let i = 0; i < T; i++) {
      for (let c = 0; c < dv; c++) dNum[i * dv + c] = dy[row(i) * dv + c]! / den[i]!;
      if (normalise) dDen[i] = -dotAt(dy, row(i) * dv, forward.y, row(i) * dv, dv) / den[i]!;
    }
    const S = (i: number, j: number) => dotAt(q, row(i) * dk, k, row(j) * dk, dk);
    const dS = (i: number, j: number) => dotAt(dNum, i * dv, v, row(j) * dv, dv) + dDen[i]!;
    const D = (c: number, e: number) => (dFinalState ? dFinalState[(n * dv + c) * dk + e]! : 0);
    const Dz = (e: number) => (normalise && dFinalZ ? dFinalZ[n * dk + e]! : 0);
    for (let i = 0; i < T; i++) {
      for (let e = 0; e < dk; e++) {
        let s = dDen[i]! * z0[e]!;
        for (let j = 0; j <= i; j++) s += dS(i, j) * k[row(j) * dk + e]!;
        for (let c = 0; c < dv; c++) s += W0[c * dk + e]! * dNum[i * dv + c]!;
        dq[row(i) * dk + e] = s;
      }
    }
    for (let j = 0; j < T; j++) {
      for (let e = 0; e < dk; e++) {
        let s = Dz(e);
        for (let i = j; i < T; i++) s += dS(i, j) * q[row(i) * dk + e]!;
        for (let c = 0; c < dv; c++) s += D(c, e) * v[row(j) * dv + c]!;
        dkOut[row(j) * dk + e] = s;
      }
      for (let c = 0; c < dv; c++) {
        let s = 0;
        for (let i = j; i < T; i++) s += S(i, j) * dNum[i * dv + c]!;
        for (let e = 0; e < dk; e++) s += D(c, e) * k[row(j) * dk + e]!;
        dvOut[row(j) * dv + c] = s;
      }
    }
    if (dInitialState) {
      for (let c = 0; c < dv; c++) {
        for (let e = 0; e < dk; e++) {
          let s = D(c, e);
          for (let i = 0; i < T; i++) s += dNum[i * dv + c]! * q[row(i) * dk + e]!;
          dInitialState[(n * dv + c) * dk + e] = s;
        }
      }
    }
    if (dInitialZ && normalise) {
      for (let e = 0; e < dk; e++) {
        let s = Dz(e);
        for (let i = 0; i < T; i++) s += dDen[i]! * q[row(i) * dk + e]!;
        dInitialZ[n * dk + e] = s;
      }
    }
  }
  return { dq, dk: dkOut, dv: dvOut, dInitialState, dInitialZ };
}
