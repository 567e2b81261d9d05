/**
 * What every family's wasm form (kernels/<family>/wasm.ts) shares: whether the arrays can go to the
 * WebAssembly kernels at all, the sizes below which they stay in js or on one thread, and one call of
 * an elementwise or row-wise kernel (inputs in, outputs out).
 */
import type { FloatArray } from '../types.js';
import { wasmRuntime, type KernelName, type WasmRuntime } from './runtime.js';

/** Multiply-adds (or scan cells T·dk·dv·N) below which a second thread costs more than it saves. */
export const MIN_SPLIT_WORK = 1 << 20;

function allFloat32(...arrays: (FloatArray | null | undefined)[]): boolean {
  return arrays.every((a) => a === null || a === undefined || a instanceof Float32Array);
}

/** The runtime when these arrays can use it, else null (the caller uses js). */
export function runtimeFor(...arrays: (FloatArray | null | undefined)[]): WasmRuntime | null {
  return allFloat32(...arrays) ? wasmRuntime() : null;
}

export const bit = (b: boolean | undefined) => (b ? 1 : 0);

/**
 * One elementwise or row-wise kernel call: the inputs put in (null: pointer 0; Int32Arrays as
 * integers), room for outputs of the given lengths, the kernel run over items [0, items) (split over
 * threads when `elements` is large enough, unless `split` is false), the outputs taken out.
 * `argsFor` gets the inputs' pointers, then the outputs', then the range; each thread's call gets `scratchFloats` of scratch.
 */
export function pass(rt: WasmRuntime, name: KernelName, inputs: (FloatArray | Int32Array | null)[], outputs: number[], items: number, elements: number,
  argsFor: (p: number[], lo: number, hi: number) => number[], align = 1, split = true, scratchFloats = 0): Float32Array[] {
  rt.reset();
  const p = [...inputs.map((a) => (a instanceof Int32Array ? rt.putInt32(a) : rt.put(a as Float32Array | null))), ...outputs.map((n) => rt.output(n))];
  rt.run(name, (lo, hi) => argsFor(p, lo, hi), items, scratchFloats, split && elements >= MIN_SPLIT_WORK, align);
  return outputs.map((n, i) => rt.take(p[inputs.length + i]!, n));
}

/**
 * Elements below which an elementwise op or array pass stays in js: a wasm call costs about a
 * microsecond (copies, argument lists), what the js loops take for a few hundred elements at 2–6 ns each.
 */
export const MIN_WASM_ELEMENTS = 512;
