/**
 * CPU sum rule, fused recurrent form: the same equations as ../reference/sumScan.ts, one pass over the
 * rows of W per time step doing every update and read of that step, with W, z and the current q_t,
 * k_t, v_t in Float64Array scratch (monomorphic inner loops, no allocation inside the scan).
 */
import type { SumScanBackwardArgs, SumScanForwardArgs, SumScanForwardResult, SumScanGrads } from '../types.js';
import { allocLike } from '../alloc.js';

export function sumScanForwardJs(args: SumScanForwardArgs): SumScanForwardResult {
  const { q, k, v, N, T, dk, dv, normalise, eps, initialState, initialZ } = args;
  const y = allocLike(q, N * T * dv);
  const finalState = allocLike(q, N * dv * dk);
  const finalZ = normalise ? allocLike(q, N * dk) : null;
  const W = new Float64Array(dv * dk);
  const z = new Float64Array(dk);
  const qt = new Float64Array(dk);
  const kt = new Float64Array(dk);
  for (let n = 0; n < N; n++) {
    if (initialState) for (let c = 0; c < dv * dk; c++) W[c] = initialState[n * dv * dk + c]!;
    else W.fill(0);
    if (normalise && initialZ) for (let j = 0; j < dk; j++) z[j] = initialZ[n * dk + j]!;
    else z.fill(0);
    for (let t = 0; t < T; t++) {
      const kqOffset = (n * T + t) * dk;
      const vOffset = (n * T + t) * dv;
      for (let j = 0; j < dk; j++) {
        qt[j] = q[kqOffset + j]!;
        kt[j] = k[kqOffset + j]!;
      }
      let scale = 1;
      if (normalise) {
        let denominator = eps;
        for (let j = 0; j < dk; j++) {
          z[j] = z[j]! + kt[j]!;
          denominator += z[j]! * qt[j]!;
        }
        scale = 1 / denominator;
      }
      for (let i = 0; i < dv; i++) {
        const vi = v[vOffset + i]!;
        const r = i * dk;
        let s = 0;
        for (let j = 0; j < dk; j++) {
          const w = W[r + j]! + vi * kt[j]!;
          W[r + j] = w;
          s += w * qt[j]!;
        }
        y[vOffset + i] = s * scale;
      }
    }
    finalState.set(W, n * dv * dk);
    if (finalZ) finalZ.set(z, n * dk);
  }
  return { y, finalState, finalZ };
}

/** Backward with W rebuilt step by step from the final state; the equations are in ../reference/sumScan.ts. */
export function sumScanBackwardJs(args: SumScanBackwardArgs): SumScanGrads {
  const { q, k, v, N, T, dk, dv, normalise, eps, initialState, initialZ, forward, dy, dFinalState, dFinalZ } = args;
  const dq = allocLike(q, N * T * dk);
  const dkOut = allocLike(q, N * T * dk);
  const dvOut = allocLike(q, N * T * dv);
  const dInitialState = initialState ? allocLike(q, N * dv * dk) : null;
  const dInitialZ = initialZ ? allocLike(q, N * dk) : null;
  const W = new Float64Array(dv * dk);
  const D = new Float64Array(dv * dk);
  const z = new Float64Array(dk);
  const Dz = new Float64Array(dk);
  const qt = new Float64Array(dk);
  const kt = new Float64Array(dk);
  const dqt = new Float64Array(dk);
  const dkt = new Float64Array(dk);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < dv * dk; c++) W[c] = forward.finalState[n * dv * dk + c]!;
    if (dFinalState) for (let c = 0; c < dv * dk; c++) D[c] = dFinalState[n * dv * dk + c]!;
    else D.fill(0);
    z.fill(0);
    Dz.fill(0);
    if (normalise) {
      for (let j = 0; j < dk; j++) z[j] = forward.finalZ![n * dk + j]!;
      if (dFinalZ) for (let j = 0; j < dk; j++) Dz[j] = dFinalZ[n * dk + j]!;
    }
    for (let t = T - 1; t >= 0; t--) {
      const kqOffset = (n * T + t) * dk;
      const vOffset = (n * T + t) * dv;
      for (let j = 0; j < dk; j++) {
        qt[j] = q[kqOffset + j]!;
        kt[j] = k[kqOffset + j]!;
      }
      let scale = 1; // 1 / den_t
      let dDenominator = 0;
      if (normalise) {
        let denominator = eps;
        for (let j = 0; j < dk; j++) denominator += z[j]! * qt[j]!;
        scale = 1 / denominator;
        for (let i = 0; i < dv; i++) dDenominator -= dy[vOffset + i]! * forward.y[vOffset + i]!;
        dDenominator *= scale;
        for (let j = 0; j < dk; j++) {
          dqt[j] = dDenominator * z[j]!;
          Dz[j] = Dz[j]! + dDenominator * qt[j]!;
          dkt[j] = Dz[j]!;
          z[j] = z[j]! - kt[j]!; // z_{t−1}
        }
      } else {
        dqt.fill(0);
        dkt.fill(0);
      }
      for (let i = 0; i < dv; i++) {
        const dNumerator = dy[vOffset + i]! * scale;
        const vi = v[vOffset + i]!;
        const r = i * dk;
        let dvi = 0;
        for (let j = 0; j < dk; j++) {
          const w = W[r + j]!;
          dqt[j] = dqt[j]! + w * dNumerator;
          W[r + j] = w - vi * kt[j]!; // W_{t−1}
          const d = D[r + j]! + dNumerator * qt[j]!;
          D[r + j] = d;
          dvi += d * kt[j]!;
          dkt[j] = dkt[j]! + d * vi;
        }
        dvOut[vOffset + i] = dvi;
      }
      for (let j = 0; j < dk; j++) {
        dq[kqOffset + j] = dqt[j]!;
        dkOut[kqOffset + j] = dkt[j]!;
      }
    }
    if (dInitialState) dInitialState.set(D, n * dv * dk);
    if (dInitialZ && normalise) dInitialZ.set(Dz, n * dk);
  }
  return { dq, dk: dkOut, dv: dvOut, dInitialState, dInitialZ };
}
