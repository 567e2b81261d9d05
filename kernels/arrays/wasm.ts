/** The array passes in WebAssembly SIMD (float32): the reference's bits; the reference loops for float64 and small arrays. */
import type { BinaryOp, FloatArray } from '../types.js';
import { MIN_WASM_ELEMENTS, pass, runtimeFor } from '../wasm/call.js';
import { binaryReference, dropoutLanes, dropoutReference, gatherRunsReference, keepThreshold, scatterRunsReference, sumRowsReference } from './reference.js';

const OP_CODES: Record<BinaryOp, number> = { add: 0, sub: 1, mul: 2, div: 3 };

/** binaryF32's scratch: a scalar operand splatted (4 floats each for a and b). */
const BINARY_SCRATCH_FLOATS = 8;

export function binaryWasm(op: BinaryOp, a: FloatArray, aPeriod: number, b: FloatArray, bPeriod: number, n: number): FloatArray {
  const rt = n >= MIN_WASM_ELEMENTS ? runtimeFor(a, b) : null;
  if (rt === null) return binaryReference(op, a, aPeriod, b, bPeriod, n);
  return pass(rt, 'binaryF32', [a.subarray(0, aPeriod), b.subarray(0, bPeriod)], [n], n, n, ([pa, pb, o], lo, hi) => [OP_CODES[op], pa!, aPeriod, pb!, bPeriod, o!, lo, hi], 4, true, BINARY_SCRATCH_FLOATS)[0]!;
}

export function sumRowsWasm(x: FloatArray, rows: number, cols: number): FloatArray {
  const n = rows * cols, rt = n >= MIN_WASM_ELEMENTS ? runtimeFor(x) : null;
  if (rt === null) return sumRowsReference(x, rows, cols);
  // Split by columns: each column is summed by one thread, in row order.
  return pass(rt, 'sumRowsF32', [x.subarray(0, n)], [cols], cols, n, ([i, o], lo, hi) => [i!, rows, cols, o!, lo, hi], 4)[0]!;
}

function runsWasm(kernel: 'gatherRunsF32' | 'scatterRunsF32', fallback: typeof gatherRunsReference) {
  return (x: FloatArray, index: Int32Array, run: number): FloatArray => {
    const n = index.length * run, rt = n >= MIN_WASM_ELEMENTS ? runtimeFor(x) : null;
    if (rt === null) return fallback(x, index, run);
    return pass(rt, kernel, [x.subarray(0, n), index], [n], index.length, n, ([i, map, o], lo, hi) => [i!, map!, run, o!, lo, hi])[0]!;
  };
}

export function dropoutWasm(x: FloatArray, p: number, scale: number, state: Uint32Array): { out: FloatArray; mask: FloatArray } {
  const n = x.length;
  const rt = n >= MIN_WASM_ELEMENTS ? runtimeFor(x) : null;
  if (rt === null) return dropoutReference(x, p, scale, state);
  rt.reset();
  const input = rt.put(x as Float32Array), out = rt.output(n), mask = rt.output(n), lanes = rt.putInt32(dropoutLanes(state));
  // One thread: each lane's draws are one sequence.
  rt.kernels.dropoutF32(input, out, mask, n, keepThreshold(p), scale, lanes);
  return { out: rt.take(out, n), mask: rt.take(mask, n) };
}

export const gatherRunsWasm = runsWasm('gatherRunsF32', gatherRunsReference);
export const scatterRunsWasm = runsWasm('scatterRunsF32', scatterRunsReference);
