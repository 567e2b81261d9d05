/**
 * The core of softmax attention as one op:  P = softmax(scale · Q Kᵀ, blocked keys removed),  Y = P V.
 *
 *   q [B, H, T, dk], k [B, H, S, dk], v [B, H, S, dv], blocked [B, 1, T, S] (1 = key s hidden from query t) or null
 *   → y [B, H, T, dv]
 *
 * It computes what the composition matmul(q, transpose(k)) · scale → maskedFill(blocked, −1e9) →
 * softmax → matmul(·, v) computes (test/ops/attention.test.ts holds the two together), without
 * materialising Kᵀ, the scaled scores, the mask's selection or their gradients: the products read K
 * and V transposed in place (the backend's transA/transB), and scaling, masking and the softmax
 * are one kernel pass, its backward another (kernels/attention/reference.ts). Backward, with dP = dY Vᵀ:
 *   dS = scale · P ⊙ (dP − rowsum(dP ⊙ P)), 0 at blocked keys;  dQ = dS K,  dK = dSᵀ Q,  dV = Pᵀ dY.
 * A blocked score is −1e9, not −∞, like maskedFill's: a row with every key blocked (a padding query)
 * averages all values uniformly instead of producing NaN.
 */
import { record } from '../autograd/graph.js';
import { Tensor, allocate, allocateUninitialized } from '../tensor/tensor.js';
import { shapeToString } from '../tensor/shape.js';
import { getBackend } from '../../kernels/index.js';
import { assertSameDType, assertTensor } from './util.js';

/** The score a blocked key gets before the softmax (as in maskedFill(scores, blocked, −1e9)). */
export { BLOCKED_SCORE } from '../../kernels/index.js';

export function attention(q: Tensor, k: Tensor, v: Tensor, blocked: Tensor | null, scale: number): Tensor {
  assertTensor(q, 'attention', 'q');
  assertTensor(k, 'attention', 'k');
  assertTensor(v, 'attention', 'v');
  const dtype = assertSameDType('attention', q, k, v, ...(blocked ? [blocked] : []));
  if (q.rank !== 4 || k.rank !== 4 || v.rank !== 4) {
    throw new Error(`attention: q, k and v must be [B, H, T, d]; got ${shapeToString(q.shape)}, ${shapeToString(k.shape)}, ${shapeToString(v.shape)}`);
  }
  const [B, H, T, dk] = q.shape as [number, number, number, number];
  const S = k.shape[2]!, dv = v.shape[3]!;
  if (k.shape[0] !== B || k.shape[1] !== H || k.shape[3] !== dk || v.shape[0] !== B || v.shape[1] !== H || v.shape[2] !== S) {
    throw new Error(`attention: shapes do not fit: q ${shapeToString(q.shape)}, k ${shapeToString(k.shape)}, v ${shapeToString(v.shape)} (need k [${B}, ${H}, S, ${dk}] and v [${B}, ${H}, S, dv])`);
  }
  if (blocked && (blocked.rank !== 4 || blocked.shape[0] !== B || blocked.shape[1] !== 1 || blocked.shape[2] !== T || blocked.shape[3] !== S)) {
    throw new Error(`attention: blocked must be [${B}, 1, ${T}, ${S}], got ${shapeToString(blocked.shape)}`);
  }
  if (S === 0 || dk === 0 || dv === 0) throw new Error(`attention: needs at least one key and heads of size ≥ 1; got k ${shapeToString(k.shape)}, v ${shapeToString(v.shape)}`);
  if (!Number.isFinite(scale)) throw new Error(`attention: scale must be finite, got ${scale}`);
  const kernels = getBackend();
  const N = B * H;

  // Scores: Q Kᵀ with K read transposed in place; then scale, mask and softmax in one kernel pass.
  const scores = allocateUninitialized(dtype, N * T * S);
  kernels.matmul({ a: q.data, b: k.data, out: scores, batch: N, m: T, n: S, k: dk, transA: false, transB: true, aBatchStride: T * dk, bBatchStride: S * dk });
  const mask = blocked?.data ?? null;
  const P = kernels.maskedSoftmax(scores, mask, scale, B, H, T, S);
  const y = allocateUninitialized(dtype, N * T * dv);
  kernels.matmul({ a: P, b: v.data, out: y, batch: N, m: T, n: dv, k: S, transA: false, transB: false, aBatchStride: T * S, bBatchStride: S * dv });

  return record('attention', [q, k, v], new Tensor(y, [B, H, T, dv]), (g) => {
    let gv = null;
    if (v.requiresGrad) {
      gv = allocateUninitialized(dtype, N * S * dv); // Pᵀ dY
      kernels.matmul({ a: P, b: g, out: gv, batch: N, m: S, n: dv, k: T, transA: true, transB: false, aBatchStride: T * S, bBatchStride: T * dv });
    }
    if (!q.requiresGrad && !k.requiresGrad) return [null, null, gv];
    const dP = allocateUninitialized(dtype, N * T * S); // dY Vᵀ
    kernels.matmul({ a: g, b: v.data, out: dP, batch: N, m: T, n: S, k: dv, transA: false, transB: true, aBatchStride: T * dv, bBatchStride: S * dv });
    const dS = kernels.maskedSoftmaxBackward(dP, P, mask, scale, B, H, T, S);
    let gq = null, gk = null;
    if (q.requiresGrad) {
      gq = allocateUninitialized(dtype, N * T * dk); // dS K
      kernels.matmul({ a: dS, b: k.data, out: gq, batch: N, m: T, n: dk, k: S, transA: false, transB: false, aBatchStride: T * S, bBatchStride: S * dk });
    }
    if (k.requiresGrad) {
      gk = allocateUninitialized(dtype, N * S * dk); // dSᵀ Q
      kernels.matmul({ a: dS, b: q.data, out: gk, batch: N, m: S, n: dk, k: T, transA: true, transB: false, aBatchStride: T * S, bBatchStride: T * dk });
    }
    return [gq, gk, gv];
  });
}

/**
 * y[b, h, t] = Σ_s P[b, h, t, s] · V[b, h, s] over the keys s that `blocked` [B, 1, T, S] leaves
 * open (0). P [B, H, T, S], V [B, H, S, dv] → [B, H, T, dv]. Blocked entries contribute nothing,
 * whatever V holds there: with the plain matmul a blocked weight of exactly 0 still multiplies its
 * value, and 0 · NaN = NaN, so a NaN at step 3 would reach steps 0–2 through the causal mask. The
 * softmax attention layer takes this path only when V holds a non-finite value.
 */
export function maskedAttentionProduct(p: Tensor, v: Tensor, blocked: Tensor): Tensor {
  const [B, H, T, S] = p.shape as [number, number, number, number];
  const dv = v.shape[3]!;
  if (v.shape[0] !== B || v.shape[1] !== H || v.shape[2] !== S || blocked.shape[2] !== T || blocked.shape[3] !== S) {
    throw new Error(`maskedAttentionProduct: shapes [${p.shape}] · [${v.shape}] with mask [${blocked.shape}] do not fit`);
  }
  const open = (b: number, t: number, s: number) => blocked.data[(b * T + t) * S + s] === 0;
  const y = allocate(p.dtype, B * H * T * dv);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++) {
      const bh = b * H + h;
      for (let t = 0; t < T; t++) {
        const row = (bh * T + t) * dv;
        for (let s = 0; s < S; s++) {
          if (!open(b, t, s)) continue;
          const w = p.data[(bh * T + t) * S + s]!;
          const col = (bh * S + s) * dv;
          for (let d = 0; d < dv; d++) y[row + d]! += w * v.data[col + d]!;
        }
      }
    }
  return record('maskedAttentionProduct', [p, v], new Tensor(y, [B, H, T, dv]), (g) => {
    const gp = allocate(p.dtype, p.size);
    const gv = allocate(v.dtype, v.size);
    for (let b = 0; b < B; b++)
      for (let h = 0; h < H; h++) {
        const bh = b * H + h;
        for (let t = 0; t < T; t++) {
          const row = (bh * T + t) * dv;
          for (let s = 0; s < S; s++) {
            if (!open(b, t, s)) continue;
            const at = (bh * T + t) * S + s;
            const col = (bh * S + s) * dv;
            let dot = 0;
            for (let d = 0; d < dv; d++) {
              dot += g[row + d]! * v.data[col + d]!;
              gv[col + d]! += p.data[at]! * g[row + d]!;
            }
            gp[at] = dot;
          }
        }
      }
    return [gp, gv];
  });
}
