/** One Adam(W) step in WebAssembly SIMD on float32 parameters, in place. */
import type { AdamStep, FloatArray } from '../types.js';
import { MIN_SPLIT_WORK, MIN_WASM_ELEMENTS, runtimeFor } from '../wasm/call.js';
import { adamStepReference } from './reference.js';

/** Adam(W) in place: the js loop's float64 arithmetic two parameters at a time, the same bits. */
export function adamStepWasm(p: FloatArray, grad: FloatArray, m: FloatArray, v: FloatArray, h: AdamStep): void {
  const n = p.length, rt = n >= MIN_WASM_ELEMENTS ? runtimeFor(p, grad, m, v) : null;
  if (rt === null) return adamStepReference(p, grad, m, v, h);
  rt.reset();
  const [pp, gp, mp, vp] = [p, grad.subarray(0, n), m, v].map((a) => rt.put(a as Float32Array));
  const constants = [h.beta1, h.beta2, h.eps, h.stepSize, h.inverseCorrection2, h.l2, h.shrink];
  rt.run('adamStepF32', (lo, hi) => [pp!, gp!, mp!, vp!, ...constants, lo, hi], n, 0, n >= MIN_SPLIT_WORK, 2);
  rt.copyOut(pp!, n, p as Float32Array);
  rt.copyOut(mp!, n, m as Float32Array);
  rt.copyOut(vp!, n, v as Float32Array);
}
