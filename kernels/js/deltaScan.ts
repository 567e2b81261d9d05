/**
 * CPU delta rule, fused recurrent form: the equations of ../reference/deltaScan.ts with each time
 * step done in two passes over a row of W (read v̄, then write and read y), W and the current q_t,
 * k_t in Float64Array scratch. Memory: the forward keeps u_t and v̄_t ([N, T, dv] each) and the final
 * W; the backward rebuilds W_{t−1} = W_t − u_t ⊗ k_t instead of storing every state.
 */
import type { DeltaScanBackwardArgs, DeltaScanForwardArgs, DeltaScanForwardResult, DeltaScanGrads } from '../types.js';
import { allocLike } from '../alloc.js';

export function deltaScanForwardJs(args: DeltaScanForwardArgs): DeltaScanForwardResult {
  const { q, k, v, beta, N, T, dk, dv, initialState } = args;
  const y = allocLike(q, N * T * dv);
  const writes = allocLike(q, N * T * dv);
  const retrieved = allocLike(q, N * T * dv);
  const finalState = allocLike(q, N * dv * dk);
  const W = new Float64Array(dv * dk);
  const qt = new Float64Array(dk);
  const kt = new Float64Array(dk);
  for (let n = 0; n < N; n++) {
    if (initialState) for (let c = 0; c < dv * dk; c++) W[c] = initialState[n * dv * dk + c]!;
    else W.fill(0);
    for (let t = 0; t < T; t++) {
      const kqOffset = (n * T + t) * dk;
      const vOffset = (n * T + t) * dv;
      const b = beta[n * T + t]!;
      for (let j = 0; j < dk; j++) {
        qt[j] = q[kqOffset + j]!;
        kt[j] = k[kqOffset + j]!;
      }
      for (let i = 0; i < dv; i++) {
        const r = i * dk;
        let vBar = 0;
        for (let j = 0; j < dk; j++) vBar += W[r + j]! * kt[j]!;
        const u = b * (v[vOffset + i]! - vBar);
        retrieved[vOffset + i] = vBar;
        writes[vOffset + i] = u;
        let s = 0;
        for (let j = 0; j < dk; j++) {
          const w = W[r + j]! + u * kt[j]!;
          W[r + j] = w;
          s += w * qt[j]!;
        }
        y[vOffset + i] = s;
      }
    }
    finalState.set(W, n * dv * dk);
  }
  return { y, finalState, writes, retrieved };
}

export function deltaScanBackwardJs(args: DeltaScanBackwardArgs): DeltaScanGrads {
  const { q, k, v, beta, N, T, dk, dv, initialState, forward, dy, dFinalState } = args;
  const dq = allocLike(q, N * T * dk);
  const dkOut = allocLike(q, N * T * dk);
  const dvOut = allocLike(q, N * T * dv);
  const dbeta = allocLike(q, N * T);
  const dInitialState = initialState ? allocLike(q, N * dv * dk) : null;
  const W = new Float64Array(dv * dk);
  const D = new Float64Array(dv * dk);
  const qt = new Float64Array(dk);
  const kt = new Float64Array(dk);
  const dqt = new Float64Array(dk);
  const dkt = new Float64Array(dk);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < dv * dk; c++) W[c] = forward.finalState[n * dv * dk + c]!;
    if (dFinalState) for (let c = 0; c < dv * dk; c++) D[c] = dFinalState[n * dv * dk + c]!;
    else D.fill(0);
    for (let t = T - 1; t >= 0; t--) {
      const kqOffset = (n * T + t) * dk;
      const vOffset = (n * T + t) * dv;
      const b = beta[n * T + t]!;
      for (let j = 0; j < dk; j++) {
        qt[j] = q[kqOffset + j]!;
        kt[j] = k[kqOffset + j]!;
      }
      dqt.fill(0);
      dkt.fill(0);
      let dBeta = 0;
      for (let i = 0; i < dv; i++) {
        const r = i * dk;
        const g = dy[vOffset + i]!;
        const u = forward.writes[vOffset + i]!;
        // Pass 1: D += g ⊗ q (row i), dq += W_tᵀ g, du_i = (D k)_i.
        let du = 0;
        for (let j = 0; j < dk; j++) {
          const d = D[r + j]! + g * qt[j]!;
          D[r + j] = d;
          dqt[j] = dqt[j]! + W[r + j]! * g;
          du += d * kt[j]!;
        }
        dvOut[vOffset + i] = b * du;
        dBeta += du * (v[vOffset + i]! - forward.retrieved[vOffset + i]!);
        const dvBar = -b * du;
        // Pass 2: dk += Dᵀu + W_{t−1}ᵀ dv̄, rebuild W_{t−1}, then D += dv̄ ⊗ k.
        for (let j = 0; j < dk; j++) {
          const d = D[r + j]!;
          const w = W[r + j]! - u * kt[j]!;
          W[r + j] = w;
          dkt[j] = dkt[j]! + d * u + w * dvBar;
          D[r + j] = d + dvBar * kt[j]!;
        }
      }
      dbeta[n * T + t] = dBeta;
      for (let j = 0; j < dk; j++) {
        dq[kqOffset + j] = dqt[j]!;
        dkOut[kqOffset + j] = dkt[j]!;
      }
    }
    if (dInitialState) dInitialState.set(D, n * dv * dk);
  }
  return { dq, dk: dkOut, dv: dvOut, dbeta, dInitialState };
}
