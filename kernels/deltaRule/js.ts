/**
 * CPU delta rule, fused recurrent form: the equations of ./reference.ts, each time step
 * in two passes over W (retrieve v̄, then write and read y). Memory: the forward keeps u_t and v̄_t
 * ([N, T, dv] each) and the final W; the backward rebuilds W_{t−1} = W_t − u_t ⊗ k_t.
 *
 * Speed, as in ../sumRule/js.ts: four rows of W per pass share every load of q_t[j], k_t[j] and every
 * update of the dq_t[j], dk_t[j] accumulators; rows are padded to a multiple of four with zero rows
 * (v = 0, dy = 0, so u = 0 there and they stay zero); scratch is Float64Array.
 */
import type { DeltaScanBackwardArgs, DeltaScanForwardArgs, DeltaScanForwardResult, DeltaScanGrads, FloatArray } from '../types.js';
import { allocLike } from '../alloc.js';

const ROWS = 4;

function at(x: FloatArray, offset: number, i: number, size: number): number {
  return i < size ? x[offset + i]! : 0;
}

function put(x: FloatArray, offset: number, i: number, size: number, value: number): void {
  if (i < size) x[offset + i] = value;
}

export function deltaScanForwardJs(args: DeltaScanForwardArgs): DeltaScanForwardResult {
  const { q, k, v, beta, N, T, dk, dv, initialState } = args;
  const y = allocLike(q, N * T * dv);
  const writes = allocLike(q, N * T * dv);
  const retrieved = allocLike(q, N * T * dv);
  const finalState = allocLike(q, N * dv * dk);
  const rows = Math.ceil(dv / ROWS) * ROWS;
  const W = new Float64Array(rows * dk);
  const qt = new Float64Array(dk);
  const kt = new Float64Array(dk);
  for (let n = 0; n < N; n++) {
    W.fill(0);
    if (initialState) for (let c = 0; c < dv * dk; c++) W[c] = initialState[n * dv * dk + c]!;
    for (let t = 0; t < T; t++) {
      const kqOffset = (n * T + t) * dk;
      const vo = (n * T + t) * dv;
      const b = beta[n * T + t]!;
      for (let j = 0; j < dk; j++) {
        qt[j] = q[kqOffset + j]!;
        kt[j] = k[kqOffset + j]!;
      }
      for (let i = 0; i < rows; i += ROWS) {
        const r0 = i * dk, r1 = r0 + dk, r2 = r1 + dk, r3 = r2 + dk;
        // Pass 1: v̄ = W_{t−1} k_t for four rows.
        let p0 = 0, p1 = 0, p2 = 0, p3 = 0;
        for (let j = 0; j < dk; j++) {
          const kj = kt[j]!;
          p0 += W[r0 + j]! * kj; p1 += W[r1 + j]! * kj; p2 += W[r2 + j]! * kj; p3 += W[r3 + j]! * kj;
        }
        const u0 = b * (at(v, vo, i, dv) - p0), u1 = b * (at(v, vo, i + 1, dv) - p1);
        const u2 = b * (at(v, vo, i + 2, dv) - p2), u3 = b * (at(v, vo, i + 3, dv) - p3);
        // Pass 2: W_t = W_{t−1} + u ⊗ k_t and y = W_t q_t.
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (let j = 0; j < dk; j++) {
          const kj = kt[j]!, qj = qt[j]!;
          const w0 = W[r0 + j]! + u0 * kj, w1 = W[r1 + j]! + u1 * kj, w2 = W[r2 + j]! + u2 * kj, w3 = W[r3 + j]! + u3 * kj;
          W[r0 + j] = w0; W[r1 + j] = w1; W[r2 + j] = w2; W[r3 + j] = w3;
          s0 += w0 * qj; s1 += w1 * qj; s2 += w2 * qj; s3 += w3 * qj;
        }
        put(retrieved, vo, i, dv, p0); put(retrieved, vo, i + 1, dv, p1); put(retrieved, vo, i + 2, dv, p2); put(retrieved, vo, i + 3, dv, p3);
        put(writes, vo, i, dv, u0); put(writes, vo, i + 1, dv, u1); put(writes, vo, i + 2, dv, u2); put(writes, vo, i + 3, dv, u3);
        put(y, vo, i, dv, s0); put(y, vo, i + 1, dv, s1); put(y, vo, i + 2, dv, s2); put(y, vo, i + 3, dv, s3);
      }
    }
    finalState.set(W.subarray(0, dv * dk), n * dv * dk);
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
  const rows = Math.ceil(dv / ROWS) * ROWS;
  const W = new Float64Array(rows * dk);
  const D = new Float64Array(rows * dk);
  const qt = new Float64Array(dk);
  const kt = new Float64Array(dk);
  const dqt = new Float64Array(dk);
  const dkt = new Float64Array(dk);
  for (let n = 0; n < N; n++) {
    W.fill(0);
    D.fill(0);
    for (let c = 0; c < dv * dk; c++) W[c] = forward.finalState[n * dv * dk + c]!;
    if (dFinalState) for (let c = 0; c < dv * dk; c++) D[c] = dFinalState[n * dv * dk + c]!;
    for (let t = T - 1; t >= 0; t--) {
      const kqOffset = (n * T + t) * dk;
      const vo = (n * T + t) * dv;
      const b = beta[n * T + t]!;
      for (let j = 0; j < dk; j++) {
        qt[j] = q[kqOffset + j]!;
        kt[j] = k[kqOffset + j]!;
      }
      dqt.fill(0);
      dkt.fill(0);
      let dBeta = 0;
      for (let i = 0; i < rows; i += ROWS) {
        const r0 = i * dk, r1 = r0 + dk, r2 = r1 + dk, r3 = r2 + dk;
        const g0 = at(dy, vo, i, dv), g1 = at(dy, vo, i + 1, dv), g2 = at(dy, vo, i + 2, dv), g3 = at(dy, vo, i + 3, dv);
        const u0 = at(forward.writes, vo, i, dv), u1 = at(forward.writes, vo, i + 1, dv);
        const u2 = at(forward.writes, vo, i + 2, dv), u3 = at(forward.writes, vo, i + 3, dv);
        // Pass 1: D += g ⊗ q_t, dq_t += W_tᵀ g, du = D k_t.
        let e0 = 0, e1 = 0, e2 = 0, e3 = 0;
        for (let j = 0; j < dk; j++) {
          const kj = kt[j]!, qj = qt[j]!;
          const d0 = D[r0 + j]! + g0 * qj, d1 = D[r1 + j]! + g1 * qj, d2 = D[r2 + j]! + g2 * qj, d3 = D[r3 + j]! + g3 * qj;
          D[r0 + j] = d0; D[r1 + j] = d1; D[r2 + j] = d2; D[r3 + j] = d3;
          dqt[j] = dqt[j]! + W[r0 + j]! * g0 + W[r1 + j]! * g1 + W[r2 + j]! * g2 + W[r3 + j]! * g3;
          e0 += d0 * kj; e1 += d1 * kj; e2 += d2 * kj; e3 += d3 * kj;
        }
        // dv_t = β du, dβ_t = du · (v_t − v̄_t), dv̄ = −β du.
        put(dvOut, vo, i, dv, b * e0); put(dvOut, vo, i + 1, dv, b * e1); put(dvOut, vo, i + 2, dv, b * e2); put(dvOut, vo, i + 3, dv, b * e3);
        dBeta += e0 * (at(v, vo, i, dv) - at(forward.retrieved, vo, i, dv)) + e1 * (at(v, vo, i + 1, dv) - at(forward.retrieved, vo, i + 1, dv));
        dBeta += e2 * (at(v, vo, i + 2, dv) - at(forward.retrieved, vo, i + 2, dv)) + e3 * (at(v, vo, i + 3, dv) - at(forward.retrieved, vo, i + 3, dv));
        const h0 = -b * e0, h1 = -b * e1, h2 = -b * e2, h3 = -b * e3;
        // Pass 2: dk_t += Dᵀ u + W_{t−1}ᵀ dv̄, rebuild W_{t−1}, then D += dv̄ ⊗ k_t.
        for (let j = 0; j < dk; j++) {
          const kj = kt[j]!;
          const d0 = D[r0 + j]!, d1 = D[r1 + j]!, d2 = D[r2 + j]!, d3 = D[r3 + j]!;
          const w0 = W[r0 + j]! - u0 * kj, w1 = W[r1 + j]! - u1 * kj, w2 = W[r2 + j]! - u2 * kj, w3 = W[r3 + j]! - u3 * kj;
          W[r0 + j] = w0; W[r1 + j] = w1; W[r2 + j] = w2; W[r3 + j] = w3;
          dkt[j] = dkt[j]! + d0 * u0 + d1 * u1 + d2 * u2 + d3 * u3 + w0 * h0 + w1 * h1 + w2 * h2 + w3 * h3;
          D[r0 + j] = d0 + h0 * kj; D[r1 + j] = d1 + h1 * kj; D[r2 + j] = d2 + h2 * kj; D[r3 + j] = d3 + h3 * kj;
        }
      }
      dbeta[n * T + t] = dBeta;
      for (let j = 0; j < dk; j++) {
        dq[kqOffset + j] = dqt[j]!;
        dkOut[kqOffset + j] = dkt[j]!;
      }
    }
    if (dInitialState) dInitialState.set(D.subarray(0, dv * dk), n * dv * dk);
  }
  return { dq, dk: dkOut, dv: dvOut, dbeta, dInitialState };
}
