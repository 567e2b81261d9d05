/**
 * Sum rule, chunkwise-parallel form. Within a chunk of L steps (rows Q, K, V of every head), with W0
 * the state before the chunk and M = tril(Q Kᵀ) (diagonal included):
 *   num = Q W0ᵀ + M V,   den_i = q_i · z0 + Σ_j M_ij + eps (normalise; else 1),   Y = num / den,
 *   W1 = W0 + Vᵀ K,      z1 = z0 + Σ_i k_i.
 * Every O(L²·d) and O(L·d²) product is a batched matmul; only O(L·d) and O(L²) elementwise glue runs
 * here. Memory is O(L²) per head, not O(T²). The backward walks the chunks in reverse, rebuilding
 * W0 = W1 − Vᵀ K and z0 = z1 − Σ k, with D = dL/dW1 and Dz = dL/dz1:
 *   dnum = dY / den,  dden_i = −(dY_i · Y_i) / den_i,  dM = tril(dnum Vᵀ + dden 1ᵀ)
 *   dQ = dnum W0 + dM K + dden z0ᵀ,  dK = dMᵀ Q + V D + 1 Dzᵀ,  dV = Mᵀ dnum + K Dᵀ
 *   D ← D + dnumᵀ Q,  Dz ← Dz + Σ_i dden_i q_i.
 */
import type { SumScanBackwardArgs, SumScanForwardArgs, SumScanForwardResult, SumScanGrads } from '../types.js';
import { allocLike } from '../alloc.js';
import { batchedProduct, gatherChunk, maskCausal, scatterChunk, subtractInPlace, type Matmul } from '../chunkLayout.js';

export function sumScanForwardChunked(args: SumScanForwardArgs, matmul: Matmul, chunkSize: number): SumScanForwardResult {
  const { q, k, v, N, T, dk, dv, normalise, eps, initialState, initialZ } = args;
  const y = allocLike(q, N * T * dv);
  const W = allocLike(q, N * dv * dk);
  if (initialState) W.set(initialState);
  const z = new Float64Array(N * dk);
  if (normalise && initialZ) z.set(initialZ);
  const C = Math.min(chunkSize, T);
  const Q = allocLike(q, N * C * dk), K = allocLike(q, N * C * dk), V = allocLike(q, N * C * dv);
  const M = allocLike(q, N * C * C), num = allocLike(q, N * C * dv);
  for (let t0 = 0; t0 < T; t0 += C) {
    const L = Math.min(C, T - t0);
    const [Qc, Kc, Vc] = [Q.subarray(0, N * L * dk), K.subarray(0, N * L * dk), V.subarray(0, N * L * dv)];
    const [Mc, numC] = [M.subarray(0, N * L * L), num.subarray(0, N * L * dv)];
    gatherChunk(q, Qc, N, T, dk, t0, L);
    gatherChunk(k, Kc, N, T, dk, t0, L);
    gatherChunk(v, Vc, N, T, dv, t0, L);
    batchedProduct(matmul, Mc, Qc, Kc, N, L, L, dk, { transB: true });
    maskCausal(Mc, N, L, 0);
    batchedProduct(matmul, numC, Qc, W, N, L, dv, dk, { transB: true });
    batchedProduct(matmul, numC, Mc, Vc, N, L, dv, L, { accumulate: true });
    if (normalise) {
      for (let n = 0; n < N; n++) {
        for (let i = 0; i < L; i++) {
          let den = eps;
          for (let j = 0; j < dk; j++) den += Qc[(n * L + i) * dk + j]! * z[n * dk + j]!;
          for (let j = 0; j <= i; j++) den += Mc[(n * L + i) * L + j]!;
          for (let c = 0; c < dv; c++) numC[(n * L + i) * dv + c] = numC[(n * L + i) * dv + c]! / den;
        }
        for (let i = 0; i < L; i++) for (let j = 0; j < dk; j++) z[n * dk + j] = z[n * dk + j]! + Kc[(n * L + i) * dk + j]!;
      }
    }
    scatterChunk(numC, y, N, T, dv, t0, L);
    batchedProduct(matmul, W, Vc, Kc, N, dv, dk, L, { transA: true, accumulate: true });
  }
  const finalZ = normalise ? allocLike(q, N * dk) : null;
  if (finalZ) finalZ.set(z);
  return { y, finalState: W, finalZ };
}

export function sumScanBackwardChunked(args: SumScanBackwardArgs, matmul: Matmul, chunkSize: number): SumScanGrads {
  const { q, k, v, N, T, dk, dv, normalise, eps, initialState, initialZ, forward, dy, dFinalState, dFinalZ } = args;
  const dq = allocLike(q, N * T * dk), dkOut = allocLike(q, N * T * dk), dvOut = allocLike(q, N * T * dv);
  const W = allocLike(q, N * dv * dk);
  W.set(forward.finalState);
  const D = allocLike(q, N * dv * dk);
  if (dFinalState) D.set(dFinalState);
  const z = new Float64Array(N * dk), Dz = new Float64Array(N * dk);
  if (normalise) {
    z.set(forward.finalZ!);
    if (dFinalZ) Dz.set(dFinalZ);
  }
  const C = Math.min(chunkSize, T);
  const Q = allocLike(q, N * C * dk), K = allocLike(q, N * C * dk), V = allocLike(q, N * C * dv);
  const dY = allocLike(q, N * C * dv), Y = allocLike(q, N * C * dv), dNum = allocLike(q, N * C * dv);
  const M = allocLike(q, N * C * C), dM = allocLike(q, N * C * C);
  const dQ = allocLike(q, N * C * dk), dK = allocLike(q, N * C * dk), dV = allocLike(q, N * C * dv);
  const VK = allocLike(q, N * dv * dk);
  const dDen = new Float64Array(N * C);
  for (let t0 = Math.floor((T - 1) / C) * C; t0 >= 0; t0 -= C) {
    const L = Math.min(C, T - t0);
    const [Qc, Kc, Vc] = [Q.subarray(0, N * L * dk), K.subarray(0, N * L * dk), V.subarray(0, N * L * dv)];
    const [dYc, Yc, dNumC] = [dY.subarray(0, N * L * dv), Y.subarray(0, N * L * dv), dNum.subarray(0, N * L * dv)];
    const [Mc, dMc] = [M.subarray(0, N * L * L), dM.subarray(0, N * L * L)];
    const [dQc, dKc, dVc] = [dQ.subarray(0, N * L * dk), dK.subarray(0, N * L * dk), dV.subarray(0, N * L * dv)];
    gatherChunk(q, Qc, N, T, dk, t0, L);
    gatherChunk(k, Kc, N, T, dk, t0, L);
    gatherChunk(v, Vc, N, T, dv, t0, L);
    gatherChunk(dy, dYc, N, T, dv, t0, L);
    gatherChunk(forward.y, Yc, N, T, dv, t0, L);
    // Step back to the state before the chunk: W0 = W1 − Vᵀ K, z0 = z1 − Σ k.
    subtractInPlace(W, batchedProduct(matmul, VK, Vc, Kc, N, dv, dk, L, { transA: true }));
    if (normalise) for (let n = 0; n < N; n++) for (let i = 0; i < L; i++) for (let j = 0; j < dk; j++) z[n * dk + j] = z[n * dk + j]! - Kc[(n * L + i) * dk + j]!;
    batchedProduct(matmul, Mc, Qc, Kc, N, L, L, dk, { transB: true });
    maskCausal(Mc, N, L, 0);
    // dnum and dden, row by row.
    for (let n = 0; n < N; n++) {
      for (let i = 0; i < L; i++) {
        const r = n * L + i;
        let den = 1;
        let dden = 0;
        if (normalise) {
          den = eps;
          for (let j = 0; j < dk; j++) den += Qc[r * dk + j]! * z[n * dk + j]!;
          for (let j = 0; j <= i; j++) den += Mc[r * L + j]!;
          for (let c = 0; c < dv; c++) dden -= dYc[r * dv + c]! * Yc[r * dv + c]!;
          dden /= den;
        }
        dDen[r] = dden;
        for (let c = 0; c < dv; c++) dNumC[r * dv + c] = dYc[r * dv + c]! / den;
      }
    }
    batchedProduct(matmul, dMc, dNumC, Vc, N, L, L, dv, { transB: true });
    if (normalise) for (let r = 0; r < N * L; r++) for (let j = 0; j < L; j++) dMc[r * L + j] = dMc[r * L + j]! + dDen[r]!;
    maskCausal(dMc, N, L, 0);
    batchedProduct(matmul, dQc, dNumC, W, N, L, dk, dv);
    batchedProduct(matmul, dQc, dMc, Kc, N, L, dk, L, { accumulate: true });
    batchedProduct(matmul, dKc, dMc, Qc, N, L, dk, L, { transA: true });
    batchedProduct(matmul, dKc, Vc, D, N, L, dk, dv, { accumulate: true });
    batchedProduct(matmul, dVc, Mc, dNumC, N, L, dv, L, { transA: true });
    batchedProduct(matmul, dVc, Kc, D, N, L, dv, dk, { transB: true, accumulate: true });
    if (normalise) {
      for (let n = 0; n < N; n++) {
        for (let i = 0; i < L; i++) {
          const r = n * L + i;
          for (let j = 0; j < dk; j++) {
            dQc[r * dk + j] = dQc[r * dk + j]! + dDen[r]! * z[n * dk + j]!;
            dKc[r * dk + j] = dKc[r * dk + j]! + Dz[n * dk + j]!;
          }
        }
        for (let i = 0; i < L; i++) for (let j = 0; j < dk; j++) Dz[n * dk + j] = Dz[n * dk + j]! + dDen[n * L + i]! * Qc[(n * L + i) * dk + j]!;
      }
    }
    batchedProduct(matmul, D, dNumC, Qc, N, dv, dk, L, { transA: true, accumulate: true });
    scatterChunk(dQc, dq, N, T, dk, t0, L);
    scatterChunk(dKc, dkOut, N, T, dk, t0, L);
    scatterChunk(dVc, dvOut, N, T, dv, t0, L);
  }
  const dInitialState = initialState ? D : null;
  let dInitialZ = null;
  if (initialZ) {
    dInitialZ = allocLike(q, N * dk);
    if (normalise) dInitialZ.set(Dz);
  }
  return { dq, dk: dkOut, dv: dvOut, dInitialState, dInitialZ };
}
