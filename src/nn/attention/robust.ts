/**
 * Numerical guards for the attention layers, each used only when its input needs it so that
 * ordinary inputs take the usual fast path with bit-identical results:
 *
 * - `hasNonFinite` and `maxAbs` tell the layers when to take a guarded path: the ops
 *   `maskedAttentionProduct` (a NaN value behind a blocked key stays there) and `castTo` (scores in
 *   float64 when float32 products of large, finite queries and keys would overflow), both in src/ops.
 * - `rescaleLargeRows`: divides rows of huge magnitude by their largest entry, for feature maps
 *   whose sum-normalised output does not change under a positive rescale (DPFP).
 */
import { Tensor, allocate } from '../../tensor/tensor.js';
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
