/**
 * Sum rule (linear attention as a fast weight programmer), float32, fused recurrent form: the
 * equations of kernels/sumRule/reference.ts, one pass over W per time step.
 *
 * Vectorised along a row of W (the key dimension, four floats a vector); four rows at a time share
 * every vector load of q_t and k_t (and in the backward every update of the dq_t, dk_t accumulators).
 * W lives in scratch with rows padded to dkp = dk rounded up to 4 floats and dvp = dv rounded up to 4
 * rows; q_t, k_t, v_t and dy_t are copied into zero-padded scratch vectors first, so padding columns
 * and rows stay exactly zero and no loop has an edge case. Heads [n0, n1) only: threads split heads.
 */
import { at, copyPadded, copyRowsPadded, copyRowsUnpadded, hsum, roundUp4 } from './common';

/** Floats of scratch one thread needs for either direction of the sum scan. */
export function sumScanScratchFloats(dk: i32, dv: i32): i32 {
  const dkp = roundUp4(dk), dvp = roundUp4(dv);
  return 2 * dvp * dkp + 6 * dkp + 2 * dvp;
}

export function sumScanForwardF32(q: usize, k: usize, v: usize, y: usize, finalState: usize, finalZ: usize,
  initialState: usize, initialZ: usize, T: i32, dk: i32, dv: i32, normalise: bool, eps: f32,
  n0: i32, n1: i32, scratch: usize): void {
  const dkp = roundUp4(dk), dvp = roundUp4(dv);
  const W = scratch;
  const z = at(W, dvp * dkp);
  const qt = at(z, dkp);
  const kt = at(qt, dkp);
  const vt = at(kt, dkp);
  for (let n = n0; n < n1; n++) {
    if (initialState) copyRowsPadded(W, at(initialState, n * dv * dk), dv, dk, dkp, dvp);
    else memory.fill(W, 0, <usize>(dvp * dkp) << 2);
    if (normalise && initialZ) copyPadded(z, at(initialZ, n * dk), dk, dkp);
    else memory.fill(z, 0, <usize>dkp << 2);
    for (let t = 0; t < T; t++) {
      const row = n * T + t;
      copyPadded(qt, at(q, row * dk), dk, dkp);
      copyPadded(kt, at(k, row * dk), dk, dkp);
      copyPadded(vt, at(v, row * dv), dv, dvp);
      let scale: f32 = 1;
      if (normalise) {
        // z_t = z_{t−1} + k_t, scale = 1 / (z_t · q_t + eps)
        let acc = f32x4.splat(0);
        for (let j = 0; j < dkp; j += 4) {
          const zj = f32x4.add(v128.load(at(z, j)), v128.load(at(kt, j)));
          v128.store(at(z, j), zj);
          acc = f32x4.add(acc, f32x4.mul(zj, v128.load(at(qt, j))));
        }
        scale = 1 / (hsum(acc) + eps);
      }
      const yRow = at(y, row * dv);
      for (let i = 0; i < dvp; i += 4) {
        const v0 = f32x4.splat(load<f32>(at(vt, i))), v1 = f32x4.splat(load<f32>(at(vt, i + 1)));
        const v2 = f32x4.splat(load<f32>(at(vt, i + 2))), v3 = f32x4.splat(load<f32>(at(vt, i + 3)));
        const r0 = at(W, i * dkp), r1 = at(r0, dkp), r2 = at(r1, dkp), r3 = at(r2, dkp);
        let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
        for (let j = 0; j < dkp; j += 4) {
          const kj = v128.load(at(kt, j)), qj = v128.load(at(qt, j));
          // W_t = W_{t−1} + v_t ⊗ k_t, then y_t = W_t q_t, row by row.
          const w0 = f32x4.add(v128.load(at(r0, j)), f32x4.mul(v0, kj)); v128.store(at(r0, j), w0); s0 = f32x4.add(s0, f32x4.mul(w0, qj));
          const w1 = f32x4.add(v128.load(at(r1, j)), f32x4.mul(v1, kj)); v128.store(at(r1, j), w1); s1 = f32x4.add(s1, f32x4.mul(w1, qj));
          const w2 = f32x4.add(v128.load(at(r2, j)), f32x4.mul(v2, kj)); v128.store(at(r2, j), w2); s2 = f32x4.add(s2, f32x4.mul(w2, qj));
          const w3 = f32x4.add(v128.load(at(r3, j)), f32x4.mul(v3, kj)); v128.store(at(r3, j), w3); s3 = f32x4.add(s3, f32x4.mul(w3, qj));
        }
        store<f32>(at(yRow, i), hsum(s0) * scale);
        if (i + 1 < dv) store<f32>(at(yRow, i + 1), hsum(s1) * scale);
        if (i + 2 < dv) store<f32>(at(yRow, i + 2), hsum(s2) * scale);
        if (i + 3 < dv) store<f32>(at(yRow, i + 3), hsum(s3) * scale);
      }
    }
    copyRowsUnpadded(at(finalState, n * dv * dk), W, dv, dk, dkp);
    if (normalise) memory.copy(at(finalZ, n * dk), z, <usize>dk << 2);
  }
}

/** Backward with W rebuilt step by step from the final state (W_{t−1} = W_t − v_t ⊗ k_t). */
export function sumScanBackwardF32(q: usize, k: usize, v: usize, y: usize, finalState: usize, finalZ: usize,
  dy: usize, dFinalState: usize, dFinalZ: usize, dq: usize, dkOut: usize, dvOut: usize, dInitialState: usize, dInitialZ: usize,
  T: i32, dk: i32, dv: i32, normalise: bool, eps: f32, n0: i32, n1: i32, scratch: usize): void {
  const dkp = roundUp4(dk), dvp = roundUp4(dv);
  const W = scratch;
  const D = at(W, dvp * dkp);
  const z = at(D, dvp * dkp);
  const Dz = at(z, dkp);
  const qt = at(Dz, dkp);
  const kt = at(qt, dkp);
  const dqt = at(kt, dkp);
  const dkt = at(dqt, dkp);
  const vt = at(dkt, dkp);
  const gt = at(vt, dvp);
  for (let n = n0; n < n1; n++) {
    copyRowsPadded(W, at(finalState, n * dv * dk), dv, dk, dkp, dvp);
    if (dFinalState) copyRowsPadded(D, at(dFinalState, n * dv * dk), dv, dk, dkp, dvp);
    else memory.fill(D, 0, <usize>(dvp * dkp) << 2);
    memory.fill(z, 0, <usize>dkp << 2);
    memory.fill(Dz, 0, <usize>dkp << 2);
    if (normalise) {
      copyPadded(z, at(finalZ, n * dk), dk, dkp);
      if (dFinalZ) copyPadded(Dz, at(dFinalZ, n * dk), dk, dkp);
    }
    for (let t = T - 1; t >= 0; t--) {
      const row = n * T + t;
      copyPadded(qt, at(q, row * dk), dk, dkp);
      copyPadded(kt, at(k, row * dk), dk, dkp);
      copyPadded(vt, at(v, row * dv), dv, dvp);
      let scale: f32 = 1; // 1 / den_t
      if (normalise) {
        let acc = f32x4.splat(0);
        for (let j = 0; j < dkp; j += 4) acc = f32x4.add(acc, f32x4.mul(v128.load(at(z, j)), v128.load(at(qt, j))));
        scale = 1 / (hsum(acc) + eps);
        // dden = −Σ_i dy_i y_i / den; dq = dden z_t; Dz += dden q_t; dk_t starts at Dz; z ← z_{t−1}.
        let dDen: f32 = 0;
        for (let i = 0; i < dv; i++) dDen -= load<f32>(at(dy, row * dv + i)) * load<f32>(at(y, row * dv + i));
        const dd = f32x4.splat(dDen * scale);
        for (let j = 0; j < dkp; j += 4) {
          const zj = v128.load(at(z, j));
          v128.store(at(dqt, j), f32x4.mul(dd, zj));
          const dz = f32x4.add(v128.load(at(Dz, j)), f32x4.mul(dd, v128.load(at(qt, j))));
          v128.store(at(Dz, j), dz);
          v128.store(at(dkt, j), dz);
          v128.store(at(z, j), f32x4.sub(zj, v128.load(at(kt, j))));
        }
      } else {
        memory.fill(dqt, 0, <usize>dkp << 2);
        memory.fill(dkt, 0, <usize>dkp << 2);
      }
      // g = dy_t / den_t, zero on padding rows.
      for (let i = 0; i < dv; i++) store<f32>(at(gt, i), load<f32>(at(dy, row * dv + i)) * scale);
      for (let i = dv; i < dvp; i++) store<f32>(at(gt, i), 0);
      const dvRow = at(dvOut, row * dv);
      // Two rows per pass here (four in the forward): the backward keeps five accumulators per row
      // pair live, and four rows would need more than the 16 vector registers of x86-64.
      for (let i = 0; i < dvp; i += 2) {
        const g0 = f32x4.splat(load<f32>(at(gt, i))), g1 = f32x4.splat(load<f32>(at(gt, i + 1)));
        const v0 = f32x4.splat(load<f32>(at(vt, i))), v1 = f32x4.splat(load<f32>(at(vt, i + 1)));
        const w0p = at(W, i * dkp), w1p = at(w0p, dkp);
        const d0p = at(D, i * dkp), d1p = at(d0p, dkp);
        let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
        for (let j = 0; j < dkp; j += 4) {
          const kj = v128.load(at(kt, j)), qj = v128.load(at(qt, j));
          // dq_t += W_tᵀ g;  W_{t−1} = W_t − v ⊗ k;  D += g ⊗ q;  dv_t = D k;  dk_t += Dᵀ v.
          const w0 = v128.load(at(w0p, j)), w1 = v128.load(at(w1p, j));
          v128.store(at(dqt, j), f32x4.add(v128.load(at(dqt, j)), f32x4.add(f32x4.mul(w0, g0), f32x4.mul(w1, g1))));
          v128.store(at(w0p, j), f32x4.sub(w0, f32x4.mul(v0, kj)));
          v128.store(at(w1p, j), f32x4.sub(w1, f32x4.mul(v1, kj)));
          const d0 = f32x4.add(v128.load(at(d0p, j)), f32x4.mul(g0, qj)); v128.store(at(d0p, j), d0);
          const d1 = f32x4.add(v128.load(at(d1p, j)), f32x4.mul(g1, qj)); v128.store(at(d1p, j), d1);
          a0 = f32x4.add(a0, f32x4.mul(d0, kj)); a1 = f32x4.add(a1, f32x4.mul(d1, kj));
          v128.store(at(dkt, j), f32x4.add(v128.load(at(dkt, j)), f32x4.add(f32x4.mul(d0, v0), f32x4.mul(d1, v1))));
        }
        if (i < dv) store<f32>(at(dvRow, i), hsum(a0)); // rows come in pairs: the pair may start in the padding
        if (i + 1 < dv) store<f32>(at(dvRow, i + 1), hsum(a1));
      }
      memory.copy(at(dq, row * dk), dqt, <usize>dk << 2);
      memory.copy(at(dkOut, row * dk), dkt, <usize>dk << 2);
    }
    if (dInitialState) copyRowsUnpadded(at(dInitialState, n * dv * dk), D, dv, dk, dkp);
    if (dInitialZ && normalise) memory.copy(at(dInitialZ, n * dk), Dz, <usize>dk << 2);
  }
}
