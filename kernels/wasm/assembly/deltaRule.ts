/**
 * Delta rule, float32, fused recurrent form: the equations of kernels/deltaRule/reference.ts, each time
 * step in two passes over W (retrieve v̄_t, then write u_t ⊗ k_t and read y_t). The forward keeps
 * u_t and v̄_t and the final W; the backward rebuilds W_{t−1} = W_t − u_t ⊗ k_t.
 * Layout and padding as in ./sumRule.ts: vectors along a row of W, four rows per pass in the
 * forward, two in the backward (its second pass keeps u, dv̄, D and W of every row live: four rows
 * would spill out of the 16 vector registers; measured 1.1–1.25× faster with two).
 */
import { at, copyPadded, copyRowsPadded, copyRowsUnpadded, hsum, roundUp4 } from './common';

/** Floats of scratch one thread needs for either direction of the delta scan. */
export function deltaScanScratchFloats(dk: i32, dv: i32): i32 {
  const dkp = roundUp4(dk), dvp = roundUp4(dv);
  return 2 * dvp * dkp + 4 * dkp + 4 * dvp;
}

export function deltaScanForwardF32(q: usize, k: usize, v: usize, beta: usize, y: usize, finalState: usize,
  writes: usize, retrieved: usize, initialState: usize, T: i32, dk: i32, dv: i32, n0: i32, n1: i32, scratch: usize): void {
  const dkp = roundUp4(dk), dvp = roundUp4(dv);
  const W = scratch;
  const qt = at(W, dvp * dkp);
  const kt = at(qt, dkp);
  const vt = at(kt, dkp);
  for (let n = n0; n < n1; n++) {
    if (initialState) copyRowsPadded(W, at(initialState, n * dv * dk), dv, dk, dkp, dvp);
    else memory.fill(W, 0, <usize>(dvp * dkp) << 2);
    for (let t = 0; t < T; t++) {
      const row = n * T + t;
      copyPadded(qt, at(q, row * dk), dk, dkp);
      copyPadded(kt, at(k, row * dk), dk, dkp);
      copyPadded(vt, at(v, row * dv), dv, dvp);
      const b = load<f32>(at(beta, row));
      const out = row * dv;
      for (let i = 0; i < dvp; i += 4) {
        const r0 = at(W, i * dkp), r1 = at(r0, dkp), r2 = at(r1, dkp), r3 = at(r2, dkp);
        // Pass 1: v̄ = W_{t−1} k_t for four rows.
        let p0 = f32x4.splat(0), p1 = f32x4.splat(0), p2 = f32x4.splat(0), p3 = f32x4.splat(0);
        for (let j = 0; j < dkp; j += 4) {
          const kj = v128.load(at(kt, j));
          p0 = f32x4.add(p0, f32x4.mul(v128.load(at(r0, j)), kj));
          p1 = f32x4.add(p1, f32x4.mul(v128.load(at(r1, j)), kj));
          p2 = f32x4.add(p2, f32x4.mul(v128.load(at(r2, j)), kj));
          p3 = f32x4.add(p3, f32x4.mul(v128.load(at(r3, j)), kj));
        }
        const vb0 = hsum(p0), vb1 = hsum(p1), vb2 = hsum(p2), vb3 = hsum(p3);
        const s0u = b * (load<f32>(at(vt, i)) - vb0), s1u = b * (load<f32>(at(vt, i + 1)) - vb1);
        const s2u = b * (load<f32>(at(vt, i + 2)) - vb2), s3u = b * (load<f32>(at(vt, i + 3)) - vb3);
        const u0 = f32x4.splat(s0u), u1 = f32x4.splat(s1u), u2 = f32x4.splat(s2u), u3 = f32x4.splat(s3u);
        // Pass 2: W_t = W_{t−1} + u ⊗ k_t and y = W_t q_t.
        let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
        for (let j = 0; j < dkp; j += 4) {
          const kj = v128.load(at(kt, j)), qj = v128.load(at(qt, j));
          const w0 = f32x4.add(v128.load(at(r0, j)), f32x4.mul(u0, kj)); v128.store(at(r0, j), w0); s0 = f32x4.add(s0, f32x4.mul(w0, qj));
          const w1 = f32x4.add(v128.load(at(r1, j)), f32x4.mul(u1, kj)); v128.store(at(r1, j), w1); s1 = f32x4.add(s1, f32x4.mul(w1, qj));
          const w2 = f32x4.add(v128.load(at(r2, j)), f32x4.mul(u2, kj)); v128.store(at(r2, j), w2); s2 = f32x4.add(s2, f32x4.mul(w2, qj));
          const w3 = f32x4.add(v128.load(at(r3, j)), f32x4.mul(u3, kj)); v128.store(at(r3, j), w3); s3 = f32x4.add(s3, f32x4.mul(w3, qj));
        }
        store<f32>(at(retrieved, out + i), vb0); store<f32>(at(writes, out + i), s0u); store<f32>(at(y, out + i), hsum(s0));
        if (i + 1 < dv) { store<f32>(at(retrieved, out + i + 1), vb1); store<f32>(at(writes, out + i + 1), s1u); store<f32>(at(y, out + i + 1), hsum(s1)); }
        if (i + 2 < dv) { store<f32>(at(retrieved, out + i + 2), vb2); store<f32>(at(writes, out + i + 2), s2u); store<f32>(at(y, out + i + 2), hsum(s2)); }
        if (i + 3 < dv) { store<f32>(at(retrieved, out + i + 3), vb3); store<f32>(at(writes, out + i + 3), s3u); store<f32>(at(y, out + i + 3), hsum(s3)); }
      }
    }
    copyRowsUnpadded(at(finalState, n * dv * dk), W, dv, dk, dkp);
  }
}

export function deltaScanBackwardF32(q: usize, k: usize, v: usize, beta: usize, finalState: usize, writes: usize, retrieved: usize,
  dy: usize, dFinalState: usize, dq: usize, dkOut: usize, dvOut: usize, dbeta: usize, dInitialState: usize,
  T: i32, dk: i32, dv: i32, n0: i32, n1: i32, scratch: usize): void {
  const dkp = roundUp4(dk), dvp = roundUp4(dv);
  const W = scratch;
  const D = at(W, dvp * dkp);
  const qt = at(D, dvp * dkp);
  const kt = at(qt, dkp);
  const dqt = at(kt, dkp);
  const dkt = at(dqt, dkp);
  const gt = at(dkt, dkp);
  const ut = at(gt, dvp);
  const vt = at(ut, dvp);
  const rt = at(vt, dvp);
  for (let n = n0; n < n1; n++) {
    copyRowsPadded(W, at(finalState, n * dv * dk), dv, dk, dkp, dvp);
    if (dFinalState) copyRowsPadded(D, at(dFinalState, n * dv * dk), dv, dk, dkp, dvp);
    else memory.fill(D, 0, <usize>(dvp * dkp) << 2);
    for (let t = T - 1; t >= 0; t--) {
      const row = n * T + t;
      copyPadded(qt, at(q, row * dk), dk, dkp);
      copyPadded(kt, at(k, row * dk), dk, dkp);
      copyPadded(gt, at(dy, row * dv), dv, dvp);
      copyPadded(ut, at(writes, row * dv), dv, dvp);
      copyPadded(vt, at(v, row * dv), dv, dvp);
      copyPadded(rt, at(retrieved, row * dv), dv, dvp);
      memory.fill(dqt, 0, <usize>dkp << 2);
      memory.fill(dkt, 0, <usize>dkp << 2);
      const b = load<f32>(at(beta, row));
      let dBeta: f32 = 0;
      const dvRow = at(dvOut, row * dv);
      for (let i = 0; i < dvp; i += 2) { // dvp is a multiple of four, so rows come in whole pairs
        const w0p = at(W, i * dkp), w1p = at(w0p, dkp);
        const d0p = at(D, i * dkp), d1p = at(d0p, dkp);
        const g0 = f32x4.splat(load<f32>(at(gt, i))), g1 = f32x4.splat(load<f32>(at(gt, i + 1)));
        // Pass 1: D += g ⊗ q_t, dq_t += W_tᵀ g, du = D k_t.
        let e0 = f32x4.splat(0), e1 = f32x4.splat(0);
        for (let j = 0; j < dkp; j += 4) {
          const kj = v128.load(at(kt, j)), qj = v128.load(at(qt, j));
          const d0 = f32x4.add(v128.load(at(d0p, j)), f32x4.mul(g0, qj)); v128.store(at(d0p, j), d0);
          const d1 = f32x4.add(v128.load(at(d1p, j)), f32x4.mul(g1, qj)); v128.store(at(d1p, j), d1);
          const wg = f32x4.add(f32x4.mul(v128.load(at(w0p, j)), g0), f32x4.mul(v128.load(at(w1p, j)), g1));
          v128.store(at(dqt, j), f32x4.add(v128.load(at(dqt, j)), wg));
          e0 = f32x4.add(e0, f32x4.mul(d0, kj)); e1 = f32x4.add(e1, f32x4.mul(d1, kj));
        }
        // dv_t = β du, dβ_t = du · (v_t − v̄_t), dv̄ = −β du (padding rows have du = 0).
        const du0 = hsum(e0), du1 = hsum(e1);
        if (i < dv) store<f32>(at(dvRow, i), b * du0); // rows come in pairs: the pair may start in the padding
        if (i + 1 < dv) store<f32>(at(dvRow, i + 1), b * du1);
        dBeta += du0 * (load<f32>(at(vt, i)) - load<f32>(at(rt, i))) + du1 * (load<f32>(at(vt, i + 1)) - load<f32>(at(rt, i + 1)));
        const h0 = f32x4.splat(-b * du0), h1 = f32x4.splat(-b * du1);
        const u0 = f32x4.splat(load<f32>(at(ut, i))), u1 = f32x4.splat(load<f32>(at(ut, i + 1)));
        // Pass 2: dk_t += Dᵀ u + W_{t−1}ᵀ dv̄, rebuild W_{t−1}, then D += dv̄ ⊗ k_t.
        for (let j = 0; j < dkp; j += 4) {
          const kj = v128.load(at(kt, j));
          const d0 = v128.load(at(d0p, j)), d1 = v128.load(at(d1p, j));
          const w0 = f32x4.sub(v128.load(at(w0p, j)), f32x4.mul(u0, kj)); v128.store(at(w0p, j), w0);
          const w1 = f32x4.sub(v128.load(at(w1p, j)), f32x4.mul(u1, kj)); v128.store(at(w1p, j), w1);
          const du = f32x4.add(f32x4.mul(d0, u0), f32x4.mul(d1, u1));
          const dw = f32x4.add(f32x4.mul(w0, h0), f32x4.mul(w1, h1));
          v128.store(at(dkt, j), f32x4.add(v128.load(at(dkt, j)), f32x4.add(du, dw)));
          v128.store(at(d0p, j), f32x4.add(d0, f32x4.mul(h0, kj)));
          v128.store(at(d1p, j), f32x4.add(d1, f32x4.mul(h1, kj)));
        }
      }
      store<f32>(at(dbeta, row), dBeta);
      memory.copy(at(dq, row * dk), dqt, <usize>dk << 2);
      memory.copy(at(dkOut, row * dk), dkt, <usize>dk << 2);
    }
    if (dInitialState) copyRowsUnpadded(at(dInitialState, n * dv * dk), D, dv, dk, dkp);
  }
}
