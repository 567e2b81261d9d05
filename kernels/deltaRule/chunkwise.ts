/**
 * Delta rule, chunkwise-parallel form (Yang et al. 2024, "Parallelizing Linear Transformers with the
 * Delta Rule over Sequence Length"; docs/kernels.md, "The scan forms"), written on the dv × dk state W = Sᵀ. Within a chunk of L steps with rows Q, K, V, β and W0 the state before it:
 *   A = K Kᵀ,   P = (I + stril(diag(β) A))⁻¹   (unit lower triangular; solved here on the host)
 *   R = V − K W0ᵀ                                 (what each step would write if the chunk were empty)
 *   Ũ = P diag(β) R                               (the writes u_t = β_t (v_t − v̄_t), exactly)
 *   v̄ = K W0ᵀ + stril(A) Ũ,   Y = Q W0ᵀ + tril(Q Kᵀ) Ũ,   W1 = W0 + Ũᵀ K.
 * Backward per chunk, in reverse, from the stored writes Ũ, with W0 = W1 − Ũᵀ K rebuilt and D = dL/dW1:
 *   G  = dL/dŨ = K Dᵀ + Mᵀ dY   (M = tril(Q Kᵀ)),  dM = tril(dY Ũᵀ)
 *   dQ = dY W0 + dM K,   dK = Ũ D + dMᵀ Q,   D ← D + dYᵀ Q
 *   Λ  = Pᵀ G  (the adjoint of the triangular solve),  dR = diag(β) Λ,  dβ_i = Λ_i · R_i
 *   dE = −Λ Ũᵀ on the strict lower triangle, E = stril(diag(β) A):  dβ_i += Σ_j dE_ij A_ij,  dA = diag(β) dE
 *   dK += (dA + dAᵀ) K,   dV = dR,   dK −= dR W0,   D ← D − dRᵀ K.
 * All products are batched matmuls; the triangular inverse (O(L³) per chunk and head) and O(L·d + L²)
 * elementwise work run on the host.
 */
import type { DeltaScanBackwardArgs, DeltaScanForwardArgs, DeltaScanForwardResult, DeltaScanGrads, FloatArray } from '../types.js';
import { allocLike } from '../alloc.js';
import { batchedProduct, gatherChunk, maskCausal, scatterChunk, subtractInPlace, type Matmul } from '../chunkLayout.js';

/** P = (I + stril(diag(β) A))⁻¹ for every head by forward substitution: row i of P is e_i − Σ_{j<i} β_i A_ij P_j. */
function unitLowerInverse(A: FloatArray, beta: FloatArray, P: FloatArray, N: number, L: number): void {
  P.fill(0, 0, N * L * L);
  for (let n = 0; n < N; n++) {
    const base = n * L * L;
    for (let i = 0; i < L; i++) {
      const row = base + i * L;
      P[row + i] = 1;
      const b = beta[n * L + i]!;
      for (let j = 0; j < i; j++) {
        const e = b * A[row + j]!;
        if (e === 0) continue;
        const other = base + j * L;
        for (let c = 0; c <= j; c++) P[row + c] = P[row + c]! - e * P[other + c]!;
      }
    }
  }
}

/** Per-chunk scratch, allocated once per call with the inputs' dtype. */
function chunkBuffers(like: FloatArray, N: number, C: number, dk: number, dv: number) {
  const keys = (n: number) => allocLike(like, N * C * n);
  return {
    Q: keys(dk), K: keys(dk), V: keys(dv), beta: allocLike(like, N * C),
    A: keys(C), P: keys(C), M: keys(C), E: keys(C),
    KW: keys(dv), R: keys(dv), U: keys(dv), Y: keys(dv), vBar: keys(dv),
  };
}

export function deltaScanForwardChunked(args: DeltaScanForwardArgs, matmul: Matmul, chunkSize: number): DeltaScanForwardResult {
  const { q, k, v, beta, N, T, dk, dv, initialState } = args;
  const y = allocLike(q, N * T * dv), writes = allocLike(q, N * T * dv), retrieved = allocLike(q, N * T * dv);
  const W = allocLike(q, N * dv * dk);
  if (initialState) W.set(initialState);
  const C = Math.min(chunkSize, T);
  const buf = chunkBuffers(q, N, C, dk, dv);
  for (let t0 = 0; t0 < T; t0 += C) {
    const L = Math.min(C, T - t0);
    const cut = (x: FloatArray, d: number) => x.subarray(0, N * L * d);
    const [Q, K, V, B] = [cut(buf.Q, dk), cut(buf.K, dk), cut(buf.V, dv), cut(buf.beta, 1)];
    const [A, P, M] = [cut(buf.A, L), cut(buf.P, L), cut(buf.M, L)];
    const [KW, R, U, Y, vBar] = [cut(buf.KW, dv), cut(buf.R, dv), cut(buf.U, dv), cut(buf.Y, dv), cut(buf.vBar, dv)];
    gatherChunk(q, Q, N, T, dk, t0, L);
    gatherChunk(k, K, N, T, dk, t0, L);
    gatherChunk(v, V, N, T, dv, t0, L);
    gatherChunk(beta, B, N, T, 1, t0, L);
    batchedProduct(matmul, A, K, K, N, L, L, dk, { transB: true });
    unitLowerInverse(A, B, P, N, L);
    batchedProduct(matmul, KW, K, W, N, L, dv, dk, { transB: true });
    for (let r = 0; r < N * L; r++) for (let c = 0; c < dv; c++) R[r * dv + c] = B[r]! * (V[r * dv + c]! - KW[r * dv + c]!);
    batchedProduct(matmul, U, P, R, N, L, dv, L); // here R holds diag(β) R
    maskCausal(A, N, L, 1);
    vBar.set(KW);
    batchedProduct(matmul, vBar, A, U, N, L, dv, L, { accumulate: true });
    batchedProduct(matmul, M, Q, K, N, L, L, dk, { transB: true });
    maskCausal(M, N, L, 0);
    batchedProduct(matmul, Y, Q, W, N, L, dv, dk, { transB: true });
    batchedProduct(matmul, Y, M, U, N, L, dv, L, { accumulate: true });
    batchedProduct(matmul, W, U, K, N, dv, dk, L, { transA: true, accumulate: true });
    scatterChunk(Y, y, N, T, dv, t0, L);
    scatterChunk(U, writes, N, T, dv, t0, L);
    scatterChunk(vBar, retrieved, N, T, dv, t0, L);
  }
  return { y, finalState: W, writes, retrieved };
}

export function deltaScanBackwardChunked(args: DeltaScanBackwardArgs, matmul: Matmul, chunkSize: number): DeltaScanGrads {
  const { q, k, v, beta, N, T, dk, dv, initialState, forward, dy, dFinalState } = args;
  const dq = allocLike(q, N * T * dk), dkOut = allocLike(q, N * T * dk), dvOut = allocLike(q, N * T * dv);
  const dbeta = allocLike(q, N * T);
  const W = allocLike(q, N * dv * dk);
  W.set(forward.finalState);
  const D = allocLike(q, N * dv * dk);
  if (dFinalState) D.set(dFinalState);
  const C = Math.min(chunkSize, T);
  const buf = chunkBuffers(q, N, C, dk, dv);
  const dY = allocLike(q, N * C * dv), G = allocLike(q, N * C * dv), Lambda = allocLike(q, N * C * dv);
  const dQ = allocLike(q, N * C * dk), dK = allocLike(q, N * C * dk), dB = allocLike(q, N * C);
  const dM = allocLike(q, N * C * C);
  const stateScratch = allocLike(q, N * dv * dk), keyScratch = allocLike(q, N * C * dk);
  for (let t0 = Math.floor((T - 1) / C) * C; t0 >= 0; t0 -= C) {
    const L = Math.min(C, T - t0);
    const cut = (x: FloatArray, d: number) => x.subarray(0, N * L * d);
    const [Q, K, V, B] = [cut(buf.Q, dk), cut(buf.K, dk), cut(buf.V, dv), cut(buf.beta, 1)];
    const [A, P, M, E] = [cut(buf.A, L), cut(buf.P, L), cut(buf.M, L), cut(buf.E, L)];
    const [KW, R, U] = [cut(buf.KW, dv), cut(buf.R, dv), cut(buf.U, dv)];
    const [dYc, Gc, Lc, dQc, dKc, dBc, dMc] = [cut(dY, dv), cut(G, dv), cut(Lambda, dv), cut(dQ, dk), cut(dK, dk), cut(dB, 1), cut(dM, L)];
    const kScratch = cut(keyScratch, dk);
    gatherChunk(q, Q, N, T, dk, t0, L);
    gatherChunk(k, K, N, T, dk, t0, L);
    gatherChunk(v, V, N, T, dv, t0, L);
    gatherChunk(beta, B, N, T, 1, t0, L);
    gatherChunk(dy, dYc, N, T, dv, t0, L);
    gatherChunk(forward.writes, U, N, T, dv, t0, L);
    // W0 = W1 − Ũᵀ K: the state before the chunk, rebuilt rather than stored.
    subtractInPlace(W, batchedProduct(matmul, stateScratch, U, K, N, dv, dk, L, { transA: true }));
    batchedProduct(matmul, A, K, K, N, L, L, dk, { transB: true });
    unitLowerInverse(A, B, P, N, L);
    batchedProduct(matmul, KW, K, W, N, L, dv, dk, { transB: true });
    for (let i = 0; i < R.length; i++) R[i] = V[i]! - KW[i]!;
    batchedProduct(matmul, M, Q, K, N, L, L, dk, { transB: true });
    maskCausal(M, N, L, 0);
    // Through y = Q W0ᵀ + M Ũ and W1 = W0 + Ũᵀ K.
    batchedProduct(matmul, Gc, K, D, N, L, dv, dk, { transB: true });
    batchedProduct(matmul, Gc, M, dYc, N, L, dv, L, { transA: true, accumulate: true });
    batchedProduct(matmul, dKc, U, D, N, L, dk, dv);
    batchedProduct(matmul, dMc, dYc, U, N, L, L, dv, { transB: true });
    maskCausal(dMc, N, L, 0);
    batchedProduct(matmul, dQc, dYc, W, N, L, dk, dv);
    batchedProduct(matmul, dQc, dMc, K, N, L, dk, L, { accumulate: true });
    batchedProduct(matmul, dKc, dMc, Q, N, L, dk, L, { transA: true, accumulate: true });
    batchedProduct(matmul, D, dYc, Q, N, dv, dk, L, { transA: true, accumulate: true });
    // Through the triangular solve Ũ = P diag(β) R.
    batchedProduct(matmul, Lc, P, Gc, N, L, dv, L, { transA: true });
    for (let r = 0; r < N * L; r++) {
      let s = 0;
      for (let c = 0; c < dv; c++) s += Lc[r * dv + c]! * R[r * dv + c]!;
      dBc[r] = s;
    }
    batchedProduct(matmul, E, Lc, U, N, L, L, dv, { transB: true }); // E = Λ Ũᵀ = −dE
    for (let n = 0; n < N; n++) {
      for (let i = 0; i < L; i++) {
        const b = B[n * L + i]!;
        const row = (n * L + i) * L;
        let s = 0;
        for (let j = 0; j < L; j++) {
          if (j < i) {
            const dE = -E[row + j]!;
            s += dE * A[row + j]!;
            E[row + j] = b * dE; // now dA (strict lower part)
          } else E[row + j] = 0;
        }
        dBc[n * L + i] = dBc[n * L + i]! + s;
      }
    }
    // dK += (dA + dAᵀ) K, as dA K + dAᵀ K.
    batchedProduct(matmul, dKc, E, K, N, L, dk, L, { accumulate: true });
    batchedProduct(matmul, dKc, E, K, N, L, dk, L, { transA: true, accumulate: true });
    // dR = diag(β) Λ; R = V − K W0ᵀ.
    for (let r = 0; r < N * L; r++) for (let c = 0; c < dv; c++) Lc[r * dv + c] = B[r]! * Lc[r * dv + c]!;
    subtractInPlace(dKc, batchedProduct(matmul, kScratch, Lc, W, N, L, dk, dv));
    subtractInPlace(D, batchedProduct(matmul, stateScratch, Lc, K, N, dv, dk, L, { transA: true }));
    scatterChunk(dQc, dq, N, T, dk, t0, L);
    scatterChunk(dKc, dkOut, N, T, dk, t0, L);
    scatterChunk(Lc, dvOut, N, T, dv, t0, L);
    scatterChunk(dBc, dbeta, N, T, 1, t0, L);
  }
  return { dq, dk: dkOut, dv: dvOut, dbeta, dInitialState: initialState ? D : null };
}
