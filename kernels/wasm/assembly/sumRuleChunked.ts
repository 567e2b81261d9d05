/**
 * Sum rule, float32, chunkwise over the matmul kernel: the equations of kernels/sumRule/chunkwise.ts
 * (chunks of C steps, the state W and z carried between chunks) in one call per direction, every
 * product a matmulF32 call, so every multiply-add runs in the matmul's micro-kernel. A chunk of T
 * steps is the causal masked form, y = tril(Q Kᵀ) V (normalised: divided by the masked row sums).
 *
 * Inside a chunk the rows go in blocks of BLOCK: rows [r0, r1) need only columns [0, r1) of the
 * chunk's scores, so the products skip the blocks above the diagonal, and one block of scores
 * ([BLOCK, C]) lives in scratch at a time. Per chunk, with W0 and z0 the state before it:
 *   Y = Q W0ᵀ + tril(Q Kᵀ) V,  den = eps + Q z0 + rowsum(tril(Q Kᵀ)),  W1 = W0 + Vᵀ K,  z1 = z0 + Σ k.
 * Backward, chunks in reverse, W0 = W1 − Vᵀ K, D = dL/dW1, Dz = dL/dz1, G = dY / den,
 * dden = −rowsum(dY ⊙ Y) / den, dS = tril(G Vᵀ + dden 1ᵀ):
 *   dQ = dS K + G W0 + dden z0ᵀ,  dK = dSᵀ Q + V D + 1 Dzᵀ,  dV = Sᵀ G + K Dᵀ,  D += Gᵀ Q,  Dz += Σ dden q.
 * Products with a state known to be zero (no initial state in the first chunk, no gradient into the
 * final state in the last) are skipped. Heads [n0, n1) only: threads split heads.
 */
import { at } from './common';
import { matmulF32, matmulScratchFloats } from './matmul';

const BLOCK: i32 = 32;

/** Floats of scratch one thread needs for either direction with chunks of C (at most T) steps. */
export function sumChunkedScratchFloats(C: i32, dk: i32, dv: i32): i32 {
  const widest = max(C, max(dk, dv));
  return 2 * BLOCK * C + BLOCK * (dv + 1) + 3 * dv * dk + 2 * dk + matmulScratchFloats(max(C, dv), widest, widest);
}

/** Zeroes row i's columns past r0 + i of a block of scores ([r1 − r0, r1]; rows r0…r1 − 1 of the chunk). */
function maskBlock(S: usize, r0: i32, r1: i32): void {
  for (let i = 0; i < r1 - r0; i++) {
    const first = r0 + i + 1;
    if (first < r1) memory.fill(at(S, i * r1 + first), 0, <usize>(r1 - first) << 2);
  }
}

/** S = tril(Q[r0:r1] K[0:r1]ᵀ) into `S`, for a chunk's rows Q, K ([C, dk]). */
function scoresBlock(Q: usize, K: usize, S: usize, r0: i32, r1: i32, dk: i32, mm: usize): void {
  matmulF32(at(Q, r0 * dk), K, S, r1 - r0, r1, dk, false, true, false, 0, r1 - r0, mm);
  maskBlock(S, r0, r1);
}

/** den of chunk row r0 + i: eps + q · z0 + the sum of the masked score row (normalising only). */
function denominator(S: usize, i: i32, r0: i32, r1: i32, q: usize, z: usize, dk: i32, eps: f32): f32 {
  let s = eps;
  for (let j = 0; j < dk; j++) s += load<f32>(at(q, j)) * load<f32>(at(z, j));
  const row = at(S, i * r1);
  for (let j = 0; j <= r0 + i; j++) s += load<f32>(at(row, j));
  return s;
}

/** z ← z + sign · Σ_t K[t] over a chunk's L rows. */
function addRows(z: usize, K: usize, L: i32, dk: i32, sign: f32): void {
  for (let t = 0; t < L; t++) for (let j = 0; j < dk; j++) store<f32>(at(z, j), load<f32>(at(z, j)) + sign * load<f32>(at(K, t * dk + j)));
}

export function sumChunkedForwardF32(q: usize, k: usize, v: usize, y: usize, finalState: usize, finalZ: usize,
  initialState: usize, initialZ: usize, T: i32, dk: i32, dv: i32, normalise: bool, eps: f32, C: i32,
  n0: i32, n1: i32, scratch: usize): void {
  const S = scratch;
  const z = at(S, 2 * BLOCK * C + BLOCK * (dv + 1) + 3 * dv * dk);
  const mm = at(z, 2 * dk);
  for (let n = n0; n < n1; n++) {
    // The state accumulates in place in finalState (and z in scratch).
    const W = at(finalState, n * dv * dk);
    if (initialState) memory.copy(W, at(initialState, n * dv * dk), <usize>(dv * dk) << 2);
    else memory.fill(W, 0, <usize>(dv * dk) << 2);
    if (normalise && initialZ) memory.copy(z, at(initialZ, n * dk), <usize>dk << 2);
    else memory.fill(z, 0, <usize>dk << 2);
    for (let c0 = 0; c0 < T; c0 += C) {
      const Lc = min(C, T - c0);
      const Q = at(q, (n * T + c0) * dk), K = at(k, (n * T + c0) * dk), V = at(v, (n * T + c0) * dv), Y = at(y, (n * T + c0) * dv);
      const fromState = c0 > 0 || initialState != 0;
      if (fromState) matmulF32(Q, W, Y, Lc, dv, dk, false, true, false, 0, Lc, mm);
      for (let r0 = 0; r0 < Lc; r0 += BLOCK) {
        const r1 = min(Lc, r0 + BLOCK), L = r1 - r0;
        scoresBlock(Q, K, S, r0, r1, dk, mm);
        matmulF32(S, V, at(Y, r0 * dv), L, dv, r1, false, false, fromState, 0, L, mm);
        if (normalise) {
          for (let i = 0; i < L; i++) {
            const scale: f32 = 1 / denominator(S, i, r0, r1, at(Q, (r0 + i) * dk), z, dk, eps);
            const row = at(Y, (r0 + i) * dv);
            for (let c = 0; c < dv; c++) store<f32>(at(row, c), load<f32>(at(row, c)) * scale);
          }
        }
      }
      matmulF32(V, K, W, dv, dk, Lc, true, false, true, 0, dv, mm);
      if (normalise) addRows(z, K, Lc, dk, 1);
    }
    if (normalise) memory.copy(at(finalZ, n * dk), z, <usize>dk << 2);
  }
}

export function sumChunkedBackwardF32(q: usize, k: usize, v: usize, y: usize, finalState: usize, finalZ: usize,
  dy: usize, dFinalState: usize, dFinalZ: usize, dq: usize, dkOut: usize, dvOut: usize, dInitialState: usize, dInitialZ: usize,
  T: i32, dk: i32, dv: i32, normalise: bool, eps: f32, C: i32, n0: i32, n1: i32, scratch: usize): void {
  const S = scratch;
  const dS = at(S, BLOCK * C);
  const G = at(dS, BLOCK * C);
  const dDen = at(G, BLOCK * dv);
  const W = at(dDen, BLOCK);
  const D = at(W, dv * dk);
  const VK = at(D, dv * dk);
  const z = at(VK, dv * dk);
  const Dz = at(z, dk);
  const mm = at(Dz, dk);
  const last = ((T - 1) / C) * C;
  for (let n = n0; n < n1; n++) {
    memory.copy(W, at(finalState, n * dv * dk), <usize>(dv * dk) << 2);
    if (dFinalState) memory.copy(D, at(dFinalState, n * dv * dk), <usize>(dv * dk) << 2);
    else memory.fill(D, 0, <usize>(dv * dk) << 2);
    let dZero = dFinalState == 0; // D is exactly zero: the products with it are skipped
    memory.fill(z, 0, <usize>dk << 2);
    memory.fill(Dz, 0, <usize>dk << 2);
    if (normalise) {
      memory.copy(z, at(finalZ, n * dk), <usize>dk << 2);
      if (dFinalZ) memory.copy(Dz, at(dFinalZ, n * dk), <usize>dk << 2);
    }
    for (let c0 = last; c0 >= 0; c0 -= C) {
      const Lc = min(C, T - c0);
      const row0 = n * T + c0;
      const Q = at(q, row0 * dk), K = at(k, row0 * dk), V = at(v, row0 * dv);
      const dQ = at(dq, row0 * dk), dK = at(dkOut, row0 * dk), dV = at(dvOut, row0 * dv);
      // Back to the state before the chunk (exactly zero before the first one without an initial state).
      const fromState = c0 > 0 || dInitialState != 0;
      if (fromState) {
        matmulF32(V, K, VK, dv, dk, Lc, true, false, false, 0, dv, mm);
        for (let e = 0; e < dv * dk; e++) store<f32>(at(W, e), load<f32>(at(W, e)) - load<f32>(at(VK, e)));
      }
      if (normalise) {
        if (c0 == 0 && !dInitialZ) memory.fill(z, 0, <usize>dk << 2);
        else addRows(z, K, Lc, dk, -1);
      }
      // What the later chunks send back through the state: dK = V D + 1 Dzᵀ, dV = K Dᵀ.
      if (dZero) {
        memory.fill(dK, 0, <usize>(Lc * dk) << 2);
        memory.fill(dV, 0, <usize>(Lc * dv) << 2);
      } else {
        matmulF32(V, D, dK, Lc, dk, dv, false, false, false, 0, Lc, mm);
        matmulF32(K, D, dV, Lc, dv, dk, false, true, false, 0, Lc, mm);
      }
      if (normalise) for (let t = 0; t < Lc; t++) for (let j = 0; j < dk; j++) store<f32>(at(dK, t * dk + j), load<f32>(at(dK, t * dk + j)) + load<f32>(at(Dz, j)));
      for (let r0 = 0; r0 < Lc; r0 += BLOCK) {
        const r1 = min(Lc, r0 + BLOCK), L = r1 - r0;
        scoresBlock(Q, K, S, r0, r1, dk, mm);
        // G = dY / den and dden, row by row.
        for (let i = 0; i < L; i++) {
          const t = c0 + r0 + i;
          let scale: f32 = 1, dd: f32 = 0;
          if (normalise) {
            scale = 1 / denominator(S, i, r0, r1, at(Q, (r0 + i) * dk), z, dk, eps);
            for (let c = 0; c < dv; c++) dd -= load<f32>(at(dy, (n * T + t) * dv + c)) * load<f32>(at(y, (n * T + t) * dv + c));
            dd *= scale;
          }
          for (let c = 0; c < dv; c++) store<f32>(at(G, i * dv + c), load<f32>(at(dy, (n * T + t) * dv + c)) * scale);
          store<f32>(at(dDen, i), dd);
        }
        matmulF32(G, V, dS, L, r1, dv, false, true, false, 0, L, mm);
        if (normalise) {
          for (let i = 0; i < L; i++) {
            const dd = load<f32>(at(dDen, i));
            const row = at(dS, i * r1);
            for (let j = 0; j <= r0 + i; j++) store<f32>(at(row, j), load<f32>(at(row, j)) + dd);
          }
        }
        maskBlock(dS, r0, r1);
        const dQb = at(dQ, r0 * dk);
        matmulF32(dS, K, dQb, L, dk, r1, false, false, false, 0, L, mm);
        if (fromState) matmulF32(G, W, dQb, L, dk, dv, false, false, true, 0, L, mm);
        matmulF32(dS, at(Q, r0 * dk), dK, r1, dk, L, true, false, true, 0, r1, mm);
        matmulF32(S, G, dV, r1, dv, L, true, false, true, 0, r1, mm);
        if (normalise) {
          for (let i = 0; i < L; i++) {
            const dd = load<f32>(at(dDen, i));
            const qi = at(Q, (r0 + i) * dk), dqi = at(dQb, i * dk);
            for (let j = 0; j < dk; j++) {
              store<f32>(at(dqi, j), load<f32>(at(dqi, j)) + dd * load<f32>(at(z, j)));
              store<f32>(at(Dz, j), load<f32>(at(Dz, j)) + dd * load<f32>(at(qi, j)));
            }
          }
        }
        // D += Gᵀ Q, needed before the first chunk only for the initial state's gradient.
        if (fromState) {
          matmulF32(G, at(Q, r0 * dk), D, dv, dk, L, true, false, true, 0, dv, mm);
          dZero = false;
        }
      }
    }
    if (dInitialState) memory.copy(at(dInitialState, n * dv * dk), D, <usize>(dv * dk) << 2);
    if (dInitialZ && normalise) memory.copy(at(dInitialZ, n * dk), Dz, <usize>dk << 2);
  }
}
