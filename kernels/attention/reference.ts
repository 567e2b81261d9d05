/**
 * The softmax of softmax attention with its scale and key mask, and its backward, as plain loops
 * (the js backend runs these too). Scores and weights are [N = B·H, T, S]; blocked is [B, T, S]
 * (non-zero: key s is hidden from query t) or null.
 *   forward:  P = softmax_s(scale · score, blocked keys at −1e9)
 *   backward: dS = scale · P ⊙ (dP − Σ_s dP ⊙ P), 0 at blocked keys
 * The scaled score and P ⊙ (dP − dot) are stored in the arrays' precision before the next step, as
 * the op-by-op composition (matmul → mul → maskedFill → softmax) stores them.
 */
import type { FloatArray } from '../types.js';
import { allocateUninitialized } from '../alloc.js';
import { softmaxRowsReference } from '../elementwise/reference.js';

/** The score a blocked key gets (maskedFill's −1e9: an all-blocked row averages uniformly, no NaN). */
export const BLOCKED_SCORE = -1e9;

const dtypeOf = (x: FloatArray) => (x instanceof Float64Array ? 'float64' : 'float32');

export function maskedSoftmaxReference(scores: FloatArray, blocked: FloatArray | null, scale: number, B: number, H: number, T: number, S: number): FloatArray {
  const scaled = allocateUninitialized(dtypeOf(scores), B * H * T * S);
  for (let n = 0; n < B * H; n++) {
    const base = n * T * S, maskBase = Math.floor(n / H) * T * S;
    for (let i = 0; i < T * S; i++) scaled[base + i] = blocked && blocked[maskBase + i] !== 0 ? BLOCKED_SCORE : scores[base + i]! * scale;
  }
  return softmaxRowsReference(scaled, B * H * T, S).probs;
}

export function maskedSoftmaxBackwardReference(dP: FloatArray, P: FloatArray, blocked: FloatArray | null, scale: number, B: number, H: number, T: number, S: number): FloatArray {
  const dS = allocateUninitialized(dtypeOf(dP), B * H * T * S);
  for (let n = 0; n < B * H; n++) {
    for (let t = 0; t < T; t++) {
      const row = (n * T + t) * S, maskRow = (Math.floor(n / H) * T + t) * S;
      let dot = 0;
      for (let s = 0; s < S; s++) dot += dP[row + s]! * P[row + s]!;
      for (let s = 0; s < S; s++) {
        dS[row + s] = P[row + s]! * (dP[row + s]! - dot);
        dS[row + s] = blocked && blocked[maskRow + s] !== 0 ? 0 : dS[row + s]! * scale;
      }
    }
  }
  return dS;
}
