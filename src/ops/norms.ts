/**
 * Normalisations over the last axis that the flash-linear-attention (fla) DeltaNet uses
 * (docs/pretrained.md): RMSNorm on the residual stream and per head on the output, and the L2
 * normalisation fla's delta-rule kernels apply to q and k. Plain loops, forward and backward side by side.
 */
import { record } from '../autograd/graph.js';
import { Tensor } from '../tensor/tensor.js';
import { shapeToString } from '../tensor/shape.js';
import { assertSameDType, assertTensor, like, likeUninitialized } from './util.js';

function rowsOf(op: string, x: Tensor): { rows: number; D: number } {
  assertTensor(x, op);
  if (x.rank < 1) throw new Error(`${op}: input must have at least one axis`);
  const D = x.shape[x.rank - 1]!;
  return { rows: D === 0 ? 0 : x.size / D, D };
}

function checkEps(op: string, eps: number): void {
  if (!(eps > 0) || !Number.isFinite(eps)) throw new Error(`${op}: eps must be a positive number, got ${eps}`);
}

/**
 * RMSNorm: y = x / √(mean(x²) + eps) ⊙ weight. x [..., D]; weight [D] or null (ones).
 * Backward, with r = 1/√(mean(x²) + eps), h = x r and d = g ⊙ weight:
 *   dx = r (d − h · mean(d ⊙ h)),  dweight = Σ_rows g ⊙ h.
 */
export function rmsNorm(x: Tensor, weight: Tensor | null, eps = 1e-6): Tensor {
  const op = 'rmsNorm';
  const { rows, D } = rowsOf(op, x);
  checkEps(op, eps);
  if (weight !== null) {
    assertTensor(weight, op, 'weight');
    if (weight.rank !== 1 || weight.shape[0] !== D) throw new Error(`${op}: weight must have shape [${D}] for input ${shapeToString(x.shape)}, got ${shapeToString(weight.shape)}`);
    assertSameDType(op, x, weight);
  }
  // Without a weight the products by w[j] are left out: a product by 1 is exact, so the bits are the same.
  const w = weight?.data;
  const xs = x.data;
  const out = likeUninitialized(x);
  const rstd = new Float64Array(rows);
  for (let r = 0, base = 0; r < rows; r++, base += D) {
    let squares = 0;
    for (let j = 0; j < D; j++) squares += xs[base + j]! * xs[base + j]!;
    const rs = 1 / Math.sqrt(squares / D + eps);
    rstd[r] = rs;
    if (w) for (let j = 0; j < D; j++) out[base + j] = xs[base + j]! * rs * w[j]!;
    else for (let j = 0; j < D; j++) out[base + j] = xs[base + j]! * rs;
  }
  const inputs = weight ? [x, weight] : [x];
  return record(op, inputs, new Tensor(out, x.shape), (g) => {
    const dx = likeUninitialized(x);
    const dw = weight ? like(weight) : null;
    for (let r = 0, base = 0; r < rows; r++, base += D) {
      const rs = rstd[r]!;
      let dh = 0;
      if (w) for (let j = 0; j < D; j++) dh += g[base + j]! * w[j]! * xs[base + j]! * rs;
      else for (let j = 0; j < D; j++) dh += g[base + j]! * xs[base + j]! * rs;
      const meanDh = dh / D;
      if (w && dw) {
        for (let j = 0; j < D; j++) {
          const h = xs[base + j]! * rs;
          dx[base + j] = rs * (g[base + j]! * w[j]! - h * meanDh);
          dw[j]! += g[base + j]! * h;
        }
      } else {
        for (let j = 0; j < D; j++) dx[base + j] = rs * (g[base + j]! - xs[base + j]! * rs * meanDh);
      }
    }
    return dw ? [dx, dw] : [dx];
  });
}

/**
 * L2 normalisation as fla's kernels apply it to q and k: y = x / √(Σ x² + eps), eps inside the root
 * and added to the sum (not the mean). x [..., D].
 * Backward, with r = 1/√(Σx² + eps):  dx = r (g − y (g · y)).
 */
export function l2Normalise(x: Tensor, eps = 1e-6): Tensor {
  const op = 'l2Normalise';
  const { rows, D } = rowsOf(op, x);
  checkEps(op, eps);
  const xs = x.data;
  const out = likeUninitialized(x);
  const rstd = new Float64Array(rows);
  for (let r = 0, base = 0; r < rows; r++, base += D) {
    let squares = 0;
    for (let j = 0; j < D; j++) squares += xs[base + j]! * xs[base + j]!;
    const rs = 1 / Math.sqrt(squares + eps);
    rstd[r] = rs;
    for (let j = 0; j < D; j++) out[base + j] = xs[base + j]! * rs;
  }
  return record(op, [x], new Tensor(out, x.shape), (g) => {
    const dx = likeUninitialized(x);
    for (let r = 0, base = 0; r < rows; r++, base += D) {
      const rs = rstd[r]!;
      let gy = 0;
      for (let j = 0; j < D; j++) gy += g[base + j]! * out[base + j]!;
      for (let j = 0; j < D; j++) dx[base + j] = rs * (g[base + j]! - out[base + j]! * gy);
    }
    return [dx];
  });
}
