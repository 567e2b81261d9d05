/**
 * Float64 reference of the sum rule (linear attention as a fast weight programmer), per head:
 *   W_t = W_{t−1} + v_t ⊗ k_t,   y_t = W_t q_t
 * or with attention normalisation
 *   z_t = z_{t−1} + k_t,         y_t = W_t q_t / (z_t · q_t + eps).
 * Shapes: q, k [N, T, dk]; v [N, T, dv]; W [N, dv, dk]; z [N, dk]. Written for clarity, not speed.
 */
import type { SumScanBackwardArgs, SumScanForwardArgs, SumScanForwardResult, SumScanGrads } from '../types.js';
import { allocLike } from '../alloc.js';

export function sumScanForwardReference(args: SumScanForwardArgs): SumScanForwardResult {
  const { q, k, v, N, T, dk, dv, normalise, eps, initialState, initialZ } = args;
  const y = allocLike(q, N * T * dv);
  const finalState = allocLike(q, N * dv * dk);
  const finalZ = normalise ? allocLike(q, N * dk) : null;
  for (let n = 0; n < N; n++) {
    const W = new Float64Array(dv * dk);
    const z = new Float64Array(dk);
    if (initialState) for (let c = 0; c < dv * dk; c++) W[c] = initialState[n * dv * dk + c]!;
    if (normalise && initialZ) for (let j = 0; j < dk; j++) z[j] = initialZ[n * dk + j]!;
    for (let t = 0; t < T; t++) {
      const kt = (j: number) => k[(n * T + t) * dk + j]!;
      const qt = (j: number) => q[(n * T + t) * dk + j]!;
      const vt = (i: number) => v[(n * T + t) * dv + i]!;
      for (let i = 0; i < dv; i++) for (let j = 0; j < dk; j++) W[i * dk + j]! += vt(i) * kt(j);
      let denominator = 1;
      if (normalise) {
        for (let j = 0; j < dk; j++) z[j]! += kt(j);
        denominator = eps;
        for (let j = 0; j < dk; j++) denominator += z[j]! * qt(j);
      }
      for (let i = 0; i < dv; i++) {
        let s = 0;
        for (let j = 0; j < dk; j++) s += W[i * dk + j]! * qt(j);
        y[(n * T + t) * dv + i] = s / denominator;
      }
    }
    finalState.set(W, n * dv * dk);
    if (finalZ) finalZ.set(z, n * dk);
  }
  return { y, finalState, finalZ };
}

/**
 * Backward, t = T..1, rebuilding W_{t−1} = W_t − v_t ⊗ k_t and z_{t−1} = z_t − k_t from the final
 * state instead of storing every W_t. With num_t = W_t q_t and den_t = z_t · q_t + eps (den = 1 when
 * not normalising) and g_t = dL/dy_t:
 *   dnum_t = g_t / den_t,   dden_t = −(g_t · y_t) / den_t
 *   D_t  = dL/dW_t = D_{t+1} + dnum_t ⊗ q_t   (D_{T+1} = dFinalState)
 *   Dz_t = dL/dz_t = Dz_{t+1} + dden_t q_t    (Dz_{T+1} = dFinalZ)
 *   dq_t = W_tᵀ dnum_t + dden_t z_t,  dv_t = D_t k_t,  dk_t = D_tᵀ v_t + Dz_t
 * and dL/dW_0 = D_1, dL/dz_0 = Dz_1.
 */
export function sumScanBackwardReference(args: SumScanBackwardArgs): SumScanGrads {
  const { q, k, v, N, T, dk, dv, normalise, eps, initialState, initialZ, forward, dy, dFinalState, dFinalZ } = args;
  const dq = allocLike(q, N * T * dk);
  const dkOut = allocLike(q, N * T * dk);
  const dvOut = allocLike(q, N * T * dv);
  const dInitialState = initialState ? allocLike(q, N * dv * dk) : null;
  // Without normalisation z never touches the output, so its gradient is zero.
  const dInitialZ = initialZ ? allocLike(q, N * dk) : null;
  for (let n = 0; n < N; n++) {
    const W = new Float64Array(dv * dk);
    const z = new Float64Array(dk);
    const D = new Float64Array(dv * dk);
    const Dz = new Float64Array(dk);
    for (let c = 0; c < dv * dk; c++) W[c] = forward.finalState[n * dv * dk + c]!;
    if (dFinalState) for (let c = 0; c < dv * dk; c++) D[c] = dFinalState[n * dv * dk + c]!;
    if (normalise) {
      for (let j = 0; j < dk; j++) z[j] = forward.finalZ![n * dk + j]!;
      if (dFinalZ) for (let j = 0; j < dk; j++) Dz[j] = dFinalZ[n * dk + j]!;
    }
    for (let t = T - 1; t >= 0; t--) {
      const row = n * T + t;
      const kt = (j: number) => k[row * dk + j]!;
      const qt = (j: number) => q[row * dk + j]!;
      const vt = (i: number) => v[row * dv + i]!;
      const gt = (i: number) => dy[row * dv + i]!;
      let denominator = 1;
      let dDenominator = 0;
      if (normalise) {
        denominator = eps;
        for (let j = 0; j < dk; j++) denominator += z[j]! * qt(j);
        for (let i = 0; i < dv; i++) dDenominator -= (gt(i) * forward.y[row * dv + i]!) / denominator;
      }
      const dNumerator = (i: number) => gt(i) / denominator;
      for (let j = 0; j < dk; j++) {
        let s = dDenominator * z[j]!;
        for (let i = 0; i < dv; i++) s += W[i * dk + j]! * dNumerator(i);
        dq[row * dk + j] = s;
      }
      for (let i = 0; i < dv; i++) for (let j = 0; j < dk; j++) D[i * dk + j]! += dNumerator(i) * qt(j);
      for (let j = 0; j < dk; j++) Dz[j]! += dDenominator * qt(j);
      for (let i = 0; i < dv; i++) {
        let s = 0;
        for (let j = 0; j < dk; j++) s += D[i * dk + j]! * kt(j);
        dvOut[row * dv + i] = s;
      }
      for (let j = 0; j < dk; j++) {
        let s = normalise ? Dz[j]! : 0;
        for (let i = 0; i < dv; i++) s += D[i * dk + j]! * vt(i);
        dkOut[row * dk + j] = s;
      }
      // Step back to W_{t−1}, z_{t−1}.
      for (let i = 0; i < dv; i++) for (let j = 0; j < dk; j++) W[i * dk + j]! -= vt(i) * kt(j);
      if (normalise) for (let j = 0; j < dk; j++) z[j]! -= kt(j);
    }
    if (dInitialState) dInitialState.set(D, n * dv * dk);
    if (dInitialZ && normalise) dInitialZ.set(Dz, n * dk);
  }
  return { dq, dk: dkOut, dv: dvOut, dInitialState, dInitialZ };
}
