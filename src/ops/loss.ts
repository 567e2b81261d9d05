/** Losses. */
import { record } from '../autograd/graph.js';
import { Tensor } from '../tensor/tensor.js';
import { shapeToString, sizeOf } from '../tensor/shape.js';
import { assertTensor, like } from './util.js';
import { getBackend } from '../../kernels/index.js';

export interface CrossEntropyOptions {
  /** Targets equal to this are skipped (padding); they add nothing to the loss or the count. */
  ignoreIndex?: number;
  /** ε: the target distribution is (1 − ε)·onehot + ε/C. */
  labelSmoothing?: number;
  /** 'mean' over the counted targets (default), 'sum', or 'none' (per-position losses, shape of targets). */
  reduction?: 'mean' | 'sum' | 'none';
}

/**
 * Cross-entropy from logits [..., C] against integer targets [...] (same leading shape).
 * With every target ignored, 'mean' gives 0 (and zero gradients) rather than 0/0.
 */
export function crossEntropy(logits: Tensor, targets: ArrayLike<number>, options: CrossEntropyOptions = {}): Tensor {
  assertTensor(logits, 'crossEntropy', 'logits');
  if (logits.rank < 1) throw new Error('crossEntropy: logits must have a class axis, got a scalar');
  const C = logits.shape[logits.rank - 1]!;
  const rows = sizeOf(logits.shape.slice(0, -1));
  if (targets.length !== rows) {
    throw new Error(`crossEntropy: ${targets.length} targets for logits of shape ${shapeToString(logits.shape)} (expected ${rows})`);
  }
  const ignore = options.ignoreIndex;
  const eps = options.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps < 1)) throw new Error(`crossEntropy: labelSmoothing must be in [0, 1), got ${eps}`);
  const reduction = options.reduction ?? 'mean';
  // The kernels take the targets as int32 with −1 for a row that is not counted.
  const counted = new Int32Array(rows);
  let count = 0;
  for (let r = 0; r < rows; r++) {
    const t = targets[r]!;
    if (t === ignore) {
      counted[r] = -1;
      continue;
    }
    if (!Number.isInteger(t) || t < 0 || t >= C) throw new Error(`crossEntropy: target ${t} at position ${r} is not a class index in [0, ${C})`);
    counted[r] = t;
    count++;
  }
  // Softmax per row (kept for the backward), its log-sum-exp and each row's loss, in the kernel backend.
  const kernels = getBackend();
  const { probs, logSumExp, losses } = kernels.crossEntropyRows(logits.data, counted, rows, C, eps);
  for (let r = 0; r < rows; r++) if (!Number.isFinite(logSumExp[r]!)) throw new Error(`crossEntropy: non-finite logits in row ${r}`);
  const scale = reduction === 'mean' ? (count > 0 ? 1 / count : 0) : 1;
  let out: Tensor;
  if (reduction === 'none') out = new Tensor(losses, logits.shape.slice(0, -1));
  else {
    const total = like(logits, 1);
    for (let r = 0; r < rows; r++) total[0]! += losses[r]!;
    total[0]! *= scale;
    out = new Tensor(total, []);
  }
  return record('crossEntropy', [logits], out, (g) => {
    // d loss_r / d logit_c = p_c − q_c with q = (1 − ε)·onehot + ε/C, times the output gradient.
    const rowScale = like(logits, rows);
    for (let r = 0; r < rows; r++) rowScale[r] = (reduction === 'none' ? g[r]! : g[0]!) * scale;
    return [kernels.crossEntropyRowsBackward(probs, counted, rowScale, rows, C, eps)];
  });
}

/** Mean squared error ½‖a − b‖² summed over the last axis and averaged over the rest (the paper's retrieval loss). */
export function halfSquaredError(prediction: Tensor, target: Tensor): Tensor {
  assertTensor(prediction, 'halfSquaredError', 'prediction');
  assertTensor(target, 'halfSquaredError', 'target');
  if (shapeToString(prediction.shape) !== shapeToString(target.shape)) {
    throw new Error(`halfSquaredError: prediction ${shapeToString(prediction.shape)} and target ${shapeToString(target.shape)} differ in shape`);
  }
  const last = prediction.shape[prediction.rank - 1] ?? 1;
  const rows = prediction.size / last;
  const out = like(prediction, 1);
  for (let i = 0; i < prediction.size; i++) {
    const d = prediction.data[i]! - target.data[i]!;
    out[0]! += 0.5 * d * d;
  }
  out[0]! /= rows;
  return record('halfSquaredError', [prediction, target], new Tensor(out, []), (g) => {
    const gp = like(prediction);
    const gt = like(prediction);
    for (let i = 0; i < gp.length; i++) {
      const d = ((prediction.data[i]! - target.data[i]!) * g[0]!) / rows;
      gp[i] = d;
      gt[i] = -d;
    }
    return [gp, gt];
  });
}
