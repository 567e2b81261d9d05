/**
 * Numerical guards for the attention layers, each used only when its input needs it so that
 * ordinary inputs take the usual fast path with bit-identical results:
 *
 * - `maskedAttentionProduct`: y = P V over the allowed keys only. With the plain matmul a blocked
 *   weight of exactly 0 still multiplies its value, and 0 · NaN = NaN: a NaN at step 3 would reach
 *   steps 0–2 through the causal mask.
 * - `castTo`: a differentiable dtype change, to compute softmax scores in float64 when float32
 *   products of large (finite) queries and keys would overflow.
 * - `rescaleLargeRows`: divides rows of huge magnitude by their largest entry, for feature maps
 *   whose sum-normalised output does not change under a positive rescale (DPFP).
 */
import { record } from '../../autograd/graph.js';
import { Tensor, allocate, type DType } from '../../tensor/tensor.js';
import * as ops from '../../ops/index.js';

export function hasNonFinite(data: ArrayLike<number>): boolean {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) return true;
  return false;
}

export function maxAbs(data: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < data.length; i++) {
    const a = Math.abs(data[i]!);
    if (a > m) m = a;
  }
  return m;
}

/** x in another dtype; the gradient is cast back. */
export function castTo(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  const out = allocate(dtype, x.size);
  out.set(x.data);
  return record('castTo', [x], new Tensor(out, x.shape), (g) => {
    const gx = allocate(x.dtype, g.length);
    gx.set(g);
    return [gx];
  });
}

/**
 * y[b, h, t] = Σ_s P[b, h, t, s] · V[b, h, s] over the keys s that `blocked` [B, 1, T, S] leaves
 * open (0). P [B, H, T, S], V [B, H, S, dv] → [B, H, T, dv]. Blocked entries contribute nothing,
 * whatever V holds there.
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

/** Rows (along the last axis) whose largest |entry| is above this are rescaled by rescaleLargeRows. */
export const LARGE_ROW = 1e8;

/**
 * x with every row whose largest |entry| m exceeds LARGE_ROW divided by m (a constant: no gradient
 * flows through the factor). For a map with φ(cx) = c^k φ(x), c > 0, followed by sum normalisation,
 * the result is unchanged in exact arithmetic (up to the normaliser's eps), but φ of the rescaled row no longer overflows
 * (DPFP squares its input: 1e30 → 1e60, past float32's 3.4e38). Returns x itself when no row needs it.
 */
export function rescaleLargeRows(x: Tensor): Tensor {
  const D = x.shape[x.rank - 1] ?? 1;
  const rows = D === 0 ? 0 : x.size / D;
  let needed = false;
  const factors = allocate(x.dtype, rows).fill(1);
  for (let r = 0; r < rows; r++) {
    const m = maxAbs(x.data.subarray(r * D, (r + 1) * D));
    if (m > LARGE_ROW && Number.isFinite(m)) {
      factors[r] = 1 / m;
      needed = true;
    }
  }
  return needed ? ops.mul(x, new Tensor(factors, [...x.shape.slice(0, -1), 1])) : x;
}
