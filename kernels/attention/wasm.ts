/** The masked attention softmax and its backward in WebAssembly SIMD (float32), (batch, head) pairs split over threads. */
import type { FloatArray } from '../types.js';
import { MIN_WASM_ELEMENTS, pass, runtimeFor } from '../wasm/call.js';
import { maskedSoftmaxBackwardReference, maskedSoftmaxReference } from './reference.js';

export function maskedSoftmaxWasm(scores: FloatArray, blocked: FloatArray | null, scale: number, B: number, H: number, T: number, S: number): FloatArray {
  const n = B * H * T * S, rt = n >= MIN_WASM_ELEMENTS ? runtimeFor(scores, blocked) : null;
  if (rt === null) return maskedSoftmaxReference(scores, blocked, scale, B, H, T, S);
  return pass(rt, 'maskedSoftmaxF32', [scores.subarray(0, n), blocked], [n], B * H, n, ([i, m, o], lo, hi) => [i!, m!, scale, H, T, S, o!, lo, hi])[0]!;
}

export function maskedSoftmaxBackwardWasm(dP: FloatArray, P: FloatArray, blocked: FloatArray | null, scale: number, B: number, H: number, T: number, S: number): FloatArray {
  const n = B * H * T * S, rt = n >= MIN_WASM_ELEMENTS ? runtimeFor(dP, P, blocked) : null;
  if (rt === null) return maskedSoftmaxBackwardReference(dP, P, blocked, scale, B, H, T, S);
  return pass(rt, 'maskedSoftmaxBackwardF32', [dP.subarray(0, n), P.subarray(0, n), blocked], [n], B * H, n, ([g, p, m, o], lo, hi) => [g!, p!, m!, scale, H, T, S, o!, lo, hi])[0]!;
}
