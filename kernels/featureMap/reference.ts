/**
 * The feature maps' backward and the sum normalisation that follows them, as plain loops (the js
 * backend runs these too), in float64 arithmetic with the arrays' precision stored:
 *   ELU + 1 backward:  dx = g where x > 0, else g · out (the derivative of e^x is its output)
 *   sum normalisation of rows of x [rows, D]:  s = eps + Σ_j x_j,  out = x / s,  sums = s
 *   its backward:  dx_j = (g_j − Σ_i g_i out_i) / s
 */
import type { FloatArray } from '../types.js';
import { allocLike, allocateUninitialized, dtypeOf } from '../alloc.js';

export function eluPlusOneBackwardReference(x: FloatArray, out: FloatArray, g: FloatArray): FloatArray {
  const gx = allocateUninitialized(dtypeOf(g), g.length);
  for (let i = 0; i < gx.length; i++) gx[i] = x[i]! > 0 ? g[i]! : g[i]! * out[i]!;
  return gx;
}

export function sumNormaliseRowsReference(x: FloatArray, rows: number, D: number, eps: number): { out: FloatArray; sums: FloatArray } {
  const out = allocateUninitialized(dtypeOf(x), rows * D);
  const sums = allocLike(x, rows);
  for (let r = 0; r < rows; r++) {
    let s = eps;
    for (let j = 0; j < D; j++) s += x[r * D + j]!;
    sums[r] = s;
    for (let j = 0; j < D; j++) out[r * D + j] = x[r * D + j]! / s;
  }
  return { out, sums };
}

export function sumNormaliseRowsBackwardReference(g: FloatArray, out: FloatArray, sums: FloatArray, rows: number, D: number): FloatArray {
  const gx = allocateUninitialized(dtypeOf(g), rows * D);
  for (let r = 0; r < rows; r++) {
    let dot = 0;
    for (let j = 0; j < D; j++) dot += g[r * D + j]! * out[r * D + j]!;
    for (let j = 0; j < D; j++) gx[r * D + j] = (g[r * D + j]! - dot) / sums[r]!;
  }
  return gx;
}
