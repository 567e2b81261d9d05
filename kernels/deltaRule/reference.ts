/**
 * Float64 reference of the delta rule (the paper's Eqs. 20–25, q and k already mapped by φ), per head:
 *   v̄_t = W_{t−1} k_t,   u_t = β_t (v_t − v̄_t),   W_t = W_{t−1} + u_t ⊗ k_t,   y_t = W_t q_t.
 * Shapes: q, k [N, T, dk]; v [N, T, dv]; β [N, T]; W [N, dv, dk]. Written for clarity, not speed.
 */
import type { DeltaScanBackwardArgs, DeltaScanForwardArgs, DeltaScanForwardResult, DeltaScanGrads } from '../types.js';
import { allocLike } from '../alloc.js';

export function deltaScanForwardReference(args: DeltaScanForwardArgs): DeltaScanForwardResult {
  const { q, k, v, beta, N, T, dk, dv, initialState } = args;
  const y = allocLike(q, N * T * dv);
  const writes = allocLike(q, N * T * dv);
  const retrieved = allocLike(q, N * T * dv);
  const finalState = allocLike(q, N * dv * dk);
  for (let n = 0; n < N; n++) {
    const W = new Float64Array(dv * dk);
    if (initialState) for (let c = 0; c < dv * dk; c++) W[c] = initialState[n * dv * dk + c]!;
    for (let t = 0; t < T; t++) {
      const row = n * T + t;
      const kt = (j: number) => k[row * dk + j]!;
      const qt = (j: number) => q[row * dk + j]!;
      const u = new Float64Array(dv);
      for (let i = 0; i < dv; i++) {
        let vBar = 0;
        for (let j = 0; j < dk; j++) vBar += W[i * dk + j]! * kt(j);
        u[i] = beta[row]! * (v[row * dv + i]! - vBar);
        retrieved[row * dv + i] = vBar;
        writes[row * dv + i] = u[i]!;
      }
      for (let i = 0; i < dv; i++) for (let j = 0; j < dk; j++) W[i * dk + j]! += u[i]! * kt(j);
      for (let i = 0; i < dv; i++) {
        let s = 0;
        for (let j = 0; j < dk; j++) s += W[i * dk + j]! * qt(j);
        y[row * dv + i] = s;
      }
    }
    finalState.set(W, n * dv * dk);
  }
  return { y, finalState, writes, retrieved };
}

/**
 * Backward, t = T..1, from what the forward kept (u_t, v̄_t and the final W) instead of every W_t.
 * D = dL/dW_t starts at dFinalState (or 0). With g_t = dL/dy_t, one step back:
 *   D      += g_t ⊗ q_t                       (y_t = W_t q_t)
 *   dq_t    = W_tᵀ g_t
 *   du_t    = D k_t,   dk_t = Dᵀ u_t          (W_t = W_{t−1} + u_t ⊗ k_t)
 *   dv_t    = β_t du_t,   dβ_t = du_t · (v_t − v̄_t),   dv̄_t = −β_t du_t
 *   W_{t−1} = W_t − u_t ⊗ k_t                  (rebuilt, not stored)
 *   dk_t   += W_{t−1}ᵀ dv̄_t,   D += dv̄_t ⊗ k_t  (v̄_t = W_{t−1} k_t)
 * and dL/dW_0 = D after step 1.
 */
export function deltaScanBackwardReference(args: DeltaScanBackwardArgs): DeltaScanGrads {
  const { q, k, v, beta, N, T, dk, dv, initialState, forward, dy, dFinalState } = args;
  const dq = allocLike(q, N * T * dk);
  const dkOut = allocLike(q, N * T * dk);
  const dvOut = allocLike(q, N * T * dv);
  const dbeta = allocLike(q, N * T);
  const dInitialState = initialState ? allocLike(q, N * dv * dk) : null;
  for (let n = 0; n < N; n++) {
    const W = new Float64Array(dv * dk);
    const D = new Float64Array(dv * dk);
    for (let c = 0; c < dv * dk; c++) W[c] = forward.finalState[n * dv * dk + c]!;
    if (dFinalState) for (let c = 0; c < dv * dk; c++) D[c] = dFinalState[n * dv * dk + c]!;
    for (let t = T - 1; t >= 0; t--) {
      const row = n * T + t;
      const kt = (j: number) => k[row * dk + j]!;
      const qt = (j: number) => q[row * dk + j]!;
      const gt = (i: number) => dy[row * dv + i]!;
      const ut = (i: number) => forward.writes[row * dv + i]!;
      const b = beta[row]!;
      for (let i = 0; i < dv; i++) for (let j = 0; j < dk; j++) D[i * dk + j]! += gt(i) * qt(j);
      for (let j = 0; j < dk; j++) {
        let s = 0;
        for (let i = 0; i < dv; i++) s += W[i * dk + j]! * gt(i);
        dq[row * dk + j] = s;
      }
      const du = new Float64Array(dv);
      for (let i = 0; i < dv; i++) for (let j = 0; j < dk; j++) du[i]! += D[i * dk + j]! * kt(j);
      const dkt = new Float64Array(dk);
      for (let j = 0; j < dk; j++) for (let i = 0; i < dv; i++) dkt[j]! += D[i * dk + j]! * ut(i);
      let dBeta = 0;
      for (let i = 0; i < dv; i++) {
        dvOut[row * dv + i] = b * du[i]!;
        dBeta += du[i]! * (v[row * dv + i]! - forward.retrieved[row * dv + i]!);
      }
      dbeta[row] = dBeta;
      for (let i = 0; i < dv; i++) for (let j = 0; j < dk; j++) W[i * dk + j]! -= ut(i) * kt(j);
      for (let i = 0; i < dv; i++) {
        const dvBar = -b * du[i]!;
        for (let j = 0; j < dk; j++) {
          dkt[j]! += W[i * dk + j]! * dvBar;
          D[i * dk + j]! += dvBar * kt(j);
        }
      }
      for (let j = 0; j < dk; j++) dkOut[row * dk + j] = dkt[j]!;
    }
    if (dInitialState) dInitialState.set(D, n * dv * dk);
  }
  return { dq, dk: dkOut, dv: dvOut, dbeta, dInitialState };
}
