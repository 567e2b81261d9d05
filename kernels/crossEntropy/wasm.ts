/** Cross-entropy rows and their gradient in WebAssembly SIMD (float32), rows split over threads. */
import type { FloatArray } from '../types.js';
import { MIN_WASM_ELEMENTS, pass, runtimeFor } from '../wasm/call.js';
import { crossEntropyRowsBackwardReference, crossEntropyRowsReference } from './reference.js';

export function crossEntropyRowsWasm(logits: FloatArray, targets: Int32Array, rows: number, C: number, eps: number): { probs: FloatArray; logSumExp: FloatArray; losses: FloatArray } {
  const n = rows * C, rt = n >= MIN_WASM_ELEMENTS ? runtimeFor(logits) : null;
  if (rt === null) return crossEntropyRowsReference(logits, targets, rows, C, eps);
  const [probs, logSumExp, losses] = pass(rt, 'crossEntropyRowsF32', [logits.subarray(0, n), targets], [n, rows, rows], rows, n, ([x, t, p, l, o], lo, hi) => [x!, t!, C, eps, p!, l!, o!, lo, hi]);
  return { probs: probs!, logSumExp: logSumExp!, losses: losses! };
}

export function crossEntropyRowsBackwardWasm(probs: FloatArray, targets: Int32Array, rowScale: FloatArray, rows: number, C: number, eps: number): FloatArray {
  const n = rows * C, rt = n >= MIN_WASM_ELEMENTS ? runtimeFor(probs, rowScale) : null;
  if (rt === null) return crossEntropyRowsBackwardReference(probs, targets, rowScale, rows, C, eps);
  return pass(rt, 'crossEntropyRowsBackwardF32', [probs.subarray(0, n), targets, rowScale], [n], rows, n, ([p, t, sc, o], lo, hi) => [p!, t!, sc!, C, eps, o!, lo, hi])[0]!;
}
