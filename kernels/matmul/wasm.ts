/** The matrix product in WebAssembly SIMD (float32), rows or batch split over threads; js below MIN_WASM_MACS and for float64. */
import type { MatmulArgs } from '../types.js';
import { bit, MIN_SPLIT_WORK, runtimeFor } from '../wasm/call.js';
import { matmulJs } from './js.js';

/** Multiply-adds below which the js kernel is faster than copying into WebAssembly memory. */
const MIN_WASM_MACS = 4096;
/** Rows of the matmul micro-kernel: row splits fall on whole panels. */
const MATMUL_ROWS = 4;

export function matmulWasm(args: MatmulArgs): void {
  const { batch, m, n, k, aBatchStride, bBatchStride } = args;
  const rt = batch * m * n * k >= MIN_WASM_MACS ? runtimeFor(args.a, args.b, args.out) : null;
  if (rt === null) return matmulJs(args);
  rt.reset();
  const size = batch * m * n;
  const a = rt.put((args.a as Float32Array).subarray(0, aBatchStride === 0 ? m * k : (batch - 1) * aBatchStride + m * k));
  const b = rt.put((args.b as Float32Array).subarray(0, bBatchStride === 0 ? k * n : (batch - 1) * bBatchStride + k * n));
  // The product is written where args.out lives when that is in the memory (a scratch array), else copied out.
  const target = (args.out as Float32Array).subarray(0, size);
  const out = args.accumulate || rt.heap.holds(target) ? rt.put(target) : rt.alloc(size);
  const common = [a, b, out, aBatchStride, bBatchStride, m, n, k, bit(args.transA), bit(args.transB), bit(args.accumulate)];
  const scratch = rt.kernels.matmulScratchFloats(m, n, k);
  const worth = batch * m * n * k >= MIN_SPLIT_WORK;
  if (batch >= rt.threads || m < 2 * MATMUL_ROWS) {
    rt.run('matmulBatchedF32', (lo, hi) => [...common, lo, hi, 0, m], batch, scratch, worth);
  } else {
    // One big product (or fewer products than threads): split its rows instead.
    for (let bi = 0; bi < batch; bi++) rt.run('matmulBatchedF32', (lo, hi) => [...common, bi, bi + 1, lo, hi], m, scratch, worth, MATMUL_ROWS);
  }
  rt.copyOut(out, size, target);
}
