/**
 * Weights resident in WebAssembly memory, for decoding: a loaded model's Linear weights placed once in
 * the wasm backend's memory (kernels/alloc.ts, allocateLongLived) so that every matmul reads them
 * where they lie, and one-token steps (a few rows of x against a weight [out, in]) go to the
 * matrix-vector kernel (kernels/wasm/assembly/matvec.ts) with the weight's rows split over the threads.
 * Only arrays placed here take that path: training's arrays keep matmul.ts's kernel and its bits.
 */
import type { MatmulArgs } from '../types.js';
import { allocateLongLived } from '../alloc.js';
import { MIN_SPLIT_WORK, runtimeFor } from '../wasm/call.js';
import { wasmRuntime } from '../wasm/runtime.js';
import { setDecodingPath } from './wasm.js';

/** Rows of x up to which the matrix-vector kernel is used (above, matmul.ts's packed kernel wins). */
export const MATVEC_MAX_ROWS = 4;

const resident = new WeakSet<Float32Array>();

/**
 * A zeroed float32 array of n elements in WebAssembly memory, marked as a resident weight; an
 * ordinary array (no mark) when there is no shared wasm memory or it has no room left.
 */
export function residentWeight(n: number): Float32Array {
  const rt = wasmRuntime();
  if (rt === null || !rt.shared) return new Float32Array(n);
  // The heap keeps a quarter of the memory for kernel calls; past that this is an ordinary array.
  const array = allocateLongLived(n);
  if (rt.heap.holds(array)) {
    resident.add(array);
    setDecodingPath(runMatvec);
  }
  return array;
}

/** matmulWasm's decoding path: runs args in the matrix-vector kernel when it takes them. */
function runMatvec(args: MatmulArgs): boolean {
  if (!takesMatvec(args) || runtimeFor(args.a, args.out) === null) return false;
  matvecWasm(args);
  return true;
}

/** True for an array residentWeight placed in WebAssembly memory. */
export function isResidentWeight(data: unknown): boolean {
  return data instanceof Float32Array && resident.has(data);
}

/** True when args is a product the matrix-vector kernel takes: a few rows of x times a resident weight's transpose. */
export function takesMatvec(args: MatmulArgs): boolean {
  return args.batch === 1 && args.transB && !args.transA && !args.accumulate && args.m <= MATVEC_MAX_ROWS && args.m >= 1 && args.k >= 1 && isResidentWeight(args.b);
}

/** out [m, n] = a [m, k] · bᵀ (b [n, k]) in the matrix-vector kernel, the n outputs split over the threads. */
export function matvecWasm(args: MatmulArgs): void {
  const { m, n, k } = args;
  const rt = runtimeFor(args.a, args.b, args.out)!;
  rt.reset();
  const x = rt.put((args.a as Float32Array).subarray(0, m * k));
  const w = rt.put((args.b as Float32Array).subarray(0, n * k));
  const target = (args.out as Float32Array).subarray(0, m * n);
  const out = rt.heap.holds(target) ? target.byteOffset : rt.alloc(m * n);
  rt.run('matvecF32', (lo, hi) => [x, w, out, m, n, k, lo, hi], n, 0, m * n * k >= MIN_SPLIT_WORK / 4);
  rt.copyOut(out, m * n, target);
}
