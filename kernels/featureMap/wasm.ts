/** The feature maps' passes (ELU + 1 backward, sum normalisation) in WebAssembly SIMD (float32). */
import type { FloatArray } from '../types.js';
import { MIN_WASM_ELEMENTS, pass, runtimeFor } from '../wasm/call.js';
import { eluPlusOneBackwardReference, sumNormaliseRowsBackwardReference, sumNormaliseRowsReference } from './reference.js';

export function eluPlusOneBackwardWasm(x: FloatArray, out: FloatArray, g: FloatArray): FloatArray {
  const n = g.length, rt = n >= MIN_WASM_ELEMENTS ? runtimeFor(x, out, g) : null;
  if (rt === null) return eluPlusOneBackwardReference(x, out, g);
  return pass(rt, 'eluPlusOneBackwardF32', [x, out, g], [n], n, n, ([i, o, gr, dx], lo, hi) => [i!, o!, gr!, dx!, lo, hi], 4)[0]!;
}

export function sumNormaliseRowsWasm(x: FloatArray, rows: number, D: number, eps: number): { out: FloatArray; sums: FloatArray } {
  const n = rows * D, rt = n >= MIN_WASM_ELEMENTS ? runtimeFor(x) : null;
  if (rt === null) return sumNormaliseRowsReference(x, rows, D, eps);
  const [out, sums] = pass(rt, 'sumNormaliseRowsF32', [x.subarray(0, n)], [n, rows], rows, n, ([i, o, sm], lo, hi) => [i!, D, eps, o!, sm!, lo, hi]);
  return { out: out!, sums: sums! };
}

export function sumNormaliseRowsBackwardWasm(g: FloatArray, out: FloatArray, sums: FloatArray, rows: number, D: number): FloatArray {
  const n = rows * D, rt = n >= MIN_WASM_ELEMENTS ? runtimeFor(g, out, sums) : null;
  if (rt === null) return sumNormaliseRowsBackwardReference(g, out, sums, rows, D);
  return pass(rt, 'sumNormaliseRowsBackwardF32', [g.subarray(0, n), out.subarray(0, n), sums], [n], rows, n, ([gr, o, sm, dx], lo, hi) => [gr!, o!, sm!, D, dx!, lo, hi])[0]!;
}
