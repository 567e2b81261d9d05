/**
 * Cross-entropy over rows of logits [rows, C] against integer targets (−1: not counted), with label
 * smoothing ε, as plain float64-accumulating loops (the js backend runs these too):
 *   loss_r = (1 − ε)(lse_r − x_{r,t}) + ε (lse_r − mean_c x_{r,c}),  lse_r = log Σ_c e^{x_{r,c}}
 *   ∂loss_r/∂x_{r,c} = p_{r,c} − (1 − ε)[c = t] − ε/C,  each row's gradient scaled by rowScale[r]
 * A row that is not counted has loss 0 and gradient 0.
 */
import type { FloatArray } from '../types.js';
import { allocLike } from '../alloc.js';
import { softmaxRowsReference } from '../elementwise/reference.js';

export function crossEntropyRowsReference(logits: FloatArray, targets: Int32Array, rows: number, C: number, eps: number): { probs: FloatArray; logSumExp: FloatArray; losses: FloatArray } {
  const { probs, logSumExp } = softmaxRowsReference(logits, rows, C);
  const losses = allocLike(logits, rows);
  for (let r = 0; r < rows; r++) {
    const t = targets[r]!;
    if (t < 0) continue;
    const base = r * C, lse = logSumExp[r]!;
    let loss = (1 - eps) * (lse - logits[base + t]!);
    if (eps > 0) {
      let sum = 0;
      for (let c = 0; c < C; c++) sum += logits[base + c]!;
      loss += eps * (lse - sum / C);
    }
    losses[r] = loss;
  }
  return { probs, logSumExp, losses };
}

export function crossEntropyRowsBackwardReference(probs: FloatArray, targets: Int32Array, rowScale: FloatArray, rows: number, C: number, eps: number): FloatArray {
  const gx = allocLike(probs, rows * C);
  for (let r = 0; r < rows; r++) {
    const t = targets[r]!;
    if (t < 0) continue;
    const s = rowScale[r]!, base = r * C, offset = s * (eps / C);
    for (let c = 0; c < C; c++) gx[base + c] = s * probs[base + c]! - offset;
    gx[base + t]! -= s * (1 - eps);
  }
  return gx;
}
