/** The elementwise and row-wise passes in WebAssembly SIMD (float32); the reference loops for float64 and small arrays. */
import type { FloatArray } from '../types.js';
import { MIN_WASM_ELEMENTS, pass, runtimeFor } from '../wasm/call.js';
import { eluPlusOneReference, geluReference, geluWithSlopeReference, layerNormRowsBackwardReference, layerNormRowsReference, softmaxRowsReference } from './reference.js';

/** y = f(x) elementwise by wasm kernel `name`, or by `fallback` for float64 and tiny arrays. */
function elementwise(name: 'geluF32' | 'eluPlusOneF32', fallback: (x: FloatArray) => FloatArray) {
  return (x: FloatArray): FloatArray => {
    const n = x.length, rt = n >= MIN_WASM_ELEMENTS ? runtimeFor(x) : null;
    if (rt === null) return fallback(x);
    return pass(rt, name, [x], [n], n, n, ([i, o], lo, hi) => [i!, o!, lo, hi], 4)[0]!;
  };
}

export function geluWithSlopeWasm(x: FloatArray): { y: FloatArray; slope: FloatArray } {
  const n = x.length, rt = n >= MIN_WASM_ELEMENTS ? runtimeFor(x) : null;
  if (rt === null) return geluWithSlopeReference(x);
  const [y, slope] = pass(rt, 'geluWithSlopeF32', [x], [n, n], n, n, ([i, o, s], lo, hi) => [i!, o!, s!, lo, hi], 4);
  return { y: y!, slope: slope! };
}

export function softmaxRowsWasm(x: FloatArray, rows: number, C: number): { probs: FloatArray; logSumExp: FloatArray } {
  const n = rows * C, rt = n >= MIN_WASM_ELEMENTS ? runtimeFor(x) : null;
  if (rt === null) return softmaxRowsReference(x, rows, C);
  const [probs, logSumExp] = pass(rt, 'softmaxRowsF32', [x.subarray(0, n)], [n, rows], rows, n, ([i, p, l], lo, hi) => [i!, p!, l!, C, lo, hi]);
  return { probs: probs!, logSumExp: logSumExp! };
}

export function layerNormRowsWasm(x: FloatArray, weight: FloatArray, bias: FloatArray, rows: number, D: number, eps: number): { out: FloatArray; xhat: FloatArray; rstd: FloatArray } {
  const n = rows * D, rt = n >= MIN_WASM_ELEMENTS ? runtimeFor(x, weight, bias) : null;
  if (rt === null) return layerNormRowsReference(x, weight, bias, rows, D, eps);
  const [out, xhat, rstd] = pass(rt, 'layerNormRowsF32', [x.subarray(0, n), weight, bias], [n, n, rows], rows, n, ([i, w, b, o, h, r], lo, hi) => [i!, w!, b!, o!, h!, r!, D, eps, lo, hi]);
  return { out: out!, xhat: xhat!, rstd: rstd! };
}

export function layerNormRowsBackwardWasm(g: FloatArray, xhat: FloatArray, rstd: FloatArray, weight: FloatArray, rows: number, D: number): { dx: FloatArray; dWeight: FloatArray; dBias: FloatArray } {
  const n = rows * D, rt = n >= MIN_WASM_ELEMENTS ? runtimeFor(g, xhat, rstd, weight) : null;
  if (rt === null) return layerNormRowsBackwardReference(g, xhat, rstd, weight, rows, D);
  // One thread: dWeight and dBias are sums over all rows, kept in row order (the same bits for any thread count).
  const [dx, dWeight, dBias] = pass(rt, 'layerNormRowsBackwardF32', [g.subarray(0, n), xhat.subarray(0, n), rstd.subarray(0, rows), weight], [n, D, D], rows, n,
    ([gr, h, r, w, x, dw, db], lo, hi) => [gr!, h!, r!, w!, x!, dw!, db!, D, lo, hi], 1, false);
  return { dx: dx!, dWeight: dWeight!, dBias: dBias! };
}

export const geluWasm = elementwise('geluF32', geluReference);
export const eluPlusOneWasm = elementwise('eluPlusOneF32', eluPlusOneReference);
