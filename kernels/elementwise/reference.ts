/**
 * Float64 reference of the elementwise hot paths that the fast backends vectorise. Outputs take the
 * dtype of the input. These plain loops are also what the js backend runs: there is no faster plain
 * form of them.
 *   GELU (tanh form, as in GPT-2):  y = ½ x (1 + tanh u),  u = √(2/π) (x + 0.044715 x³)
 *                         GELU′(x) = ½ (1 + tanh u) + ½ x (1 − tanh² u) · √(2/π) (1 + 3 · 0.044715 x²)
 *   ELU + 1:                     y = x + 1 for x > 0, e^x otherwise
 *   row softmax of x [rows, C]:  p_c = e^{x_c − m} / Σ e^{x_j − m}, m = max_j x_j;  lse = m + log Σ e^{x_j − m}
 *   layer norm of x [rows, D]:   ĥ = (x − mean) · rstd, rstd = 1/√(var + eps), out = ĥ ⊙ w + b; with d = g ⊙ w,
 *                                dx = rstd · (d − mean(d) − ĥ · mean(d ⊙ ĥ)),  dw = Σ_rows g ⊙ ĥ,  db = Σ_rows g
 */
import type { FloatArray } from '../types.js';
import { allocLike } from '../alloc.js';

const GELU_C = Math.sqrt(2 / Math.PI);
const GELU_A = 0.044715;

export function geluReference(x: FloatArray): FloatArray {
  const y = allocLike(x, x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    y[i] = 0.5 * v * (1 + Math.tanh(GELU_C * (v + GELU_A * v * v * v)));
  }
  return y;
}

/** GELU and its derivative in one pass (they share tanh u): the backward is then g ⊙ slope. */
export function geluWithSlopeReference(x: FloatArray): { y: FloatArray; slope: FloatArray } {
  const y = allocLike(x, x.length);
  const slope = allocLike(x, x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    const t = Math.tanh(GELU_C * (v + GELU_A * v * v * v));
    y[i] = 0.5 * v * (1 + t);
    slope[i] = 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * GELU_C * (1 + 3 * GELU_A * v * v);
  }
  return { y, slope };
}

export function eluPlusOneReference(x: FloatArray): FloatArray {
  const y = allocLike(x, x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    y[i] = v > 0 ? v + 1 : Math.exp(v);
  }
  return y;
}

export function softmaxRowsReference(x: FloatArray, rows: number, C: number): { probs: FloatArray; logSumExp: FloatArray } {
  const probs = allocLike(x, rows * C);
  const logSumExp = allocLike(x, rows);
  for (let r = 0; r < rows; r++) {
    const base = r * C;
    let m = -Infinity;
    for (let c = 0; c < C; c++) m = Math.max(m, x[base + c]!);
    let s = 0;
    for (let c = 0; c < C; c++) s += probs[base + c] = Math.exp(x[base + c]! - m);
    for (let c = 0; c < C; c++) probs[base + c]! /= s;
    logSumExp[r] = m + Math.log(s);
  }
  return { probs, logSumExp };
}

export function layerNormRowsReference(x: FloatArray, weight: FloatArray, bias: FloatArray, rows: number, D: number, eps: number): { out: FloatArray; xhat: FloatArray; rstd: FloatArray } {
  const xhat = allocLike(x, rows * D);
  const rstd = allocLike(x, rows);
  const out = allocLike(x, rows * D);
  for (let r = 0; r < rows; r++) {
    const base = r * D;
    let mu = 0;
    for (let j = 0; j < D; j++) mu += x[base + j]!;
    mu /= D;
    let v = 0;
    for (let j = 0; j < D; j++) v += (x[base + j]! - mu) ** 2;
    const rs = 1 / Math.sqrt(v / D + eps);
    rstd[r] = rs;
    for (let j = 0; j < D; j++) {
      const h = (x[base + j]! - mu) * rs;
      xhat[base + j] = h;
      out[base + j] = h * weight[j]! + bias[j]!;
    }
  }
  return { out, xhat, rstd };
}

export function layerNormRowsBackwardReference(g: FloatArray, xhat: FloatArray, rstd: FloatArray, weight: FloatArray, rows: number, D: number): { dx: FloatArray; dWeight: FloatArray; dBias: FloatArray } {
  const dx = allocLike(g, rows * D);
  const dWeight = allocLike(g, D);
  const dBias = allocLike(g, D);
  for (let r = 0; r < rows; r++) {
    const base = r * D;
    let meanD = 0;
    let meanDH = 0;
    for (let j = 0; j < D; j++) {
      const gj = g[base + j]!, h = xhat[base + j]!, d = gj * weight[j]!;
      meanD += d;
      meanDH += d * h;
      dWeight[j]! += gj * h;
      dBias[j]! += gj;
    }
    meanD /= D;
    meanDH /= D;
    const rs = rstd[r]!;
    for (let j = 0; j < D; j++) dx[base + j] = rs * (g[base + j]! * weight[j]! - meanD - xhat[base + j]! * meanDH);
  }
  return { dx, dWeight, dBias };
}
