/**
 * The sum-rule scan in WebAssembly SIMD (float32), heads split over threads; the js scan for float64.
 * Two kernels, chosen per shape by `sumChunkFor` (docs/kernels.md, "The sum rule's forms, and which
 * one runs"): the fused recurrent one, and the chunkwise one whose products all run in the matmul
 * kernel (kernels/wasm/assembly/sumRuleChunked.ts; one chunk of T steps is the causal masked form).
 * Each head is computed by one kernel in one order whatever the thread count.
 */
import type { FloatArray, SumScanBackwardArgs, SumScanForwardArgs, SumScanForwardResult, SumScanGrads } from '../types.js';
import type { WasmRuntime } from '../wasm/runtime.js';
import { bit, MIN_SPLIT_WORK, runtimeFor } from '../wasm/call.js';
import { sumScanBackwardJs, sumScanForwardJs } from './js.js';

/**
 * Steps per chunk for the chunkwise kernel at this shape, or 0 for the recurrent kernel. Per step and
 * head, forward and backward, the recurrent kernel does 7·d² multiply-adds and the chunkwise one
 * about 7·d² + 3.5·(C + 32)·d (chunks of C, score blocks of 32 rows) at the matmul's higher rate:
 * measured (bench/scanForms.ts, one thread, CPU time) it is faster only for short sequences and
 * wide heads: T ≤ 2·dk with dk ≥ 64, in chunks of at most 64 steps.
 */
export function sumChunkFor(T: number, dk: number): number {
  return dk >= 64 && T <= 2 * dk ? Math.min(T, 64) : 0;
}

/** True when x is null or all zeros (the autograd op hands in zeros for a final state nothing read). */
function allZero(x: FloatArray | null): boolean {
  if (x !== null) for (let i = 0; i < x.length; i++) if (x[i] !== 0) return false;
  return true;
}

export function sumScanForwardWasm(args: SumScanForwardArgs): SumScanForwardResult {
  const chunk = sumChunkFor(args.T, args.dk);
  return chunk > 0 ? sumScanForwardChunkedWasm(args, chunk) : sumScanForwardRecurrentWasm(args);
}

export function sumScanBackwardWasm(args: SumScanBackwardArgs): SumScanGrads {
  const chunk = sumChunkFor(args.T, args.dk);
  return chunk > 0 ? sumScanBackwardChunkedWasm(args, chunk) : sumScanBackwardRecurrentWasm(args);
}

export const sumScanForwardRecurrentWasm = (args: SumScanForwardArgs): SumScanForwardResult =>
  forwardWith(args, 'sumScanForwardF32', (rt) => rt.kernels.sumScanScratchFloats(args.dk, args.dv), []);

export const sumScanBackwardRecurrentWasm = (args: SumScanBackwardArgs): SumScanGrads =>
  backwardWith(args, 'sumScanBackwardF32', (rt) => rt.kernels.sumScanScratchFloats(args.dk, args.dv), []);

/** The chunkwise kernel, chunks of `chunk` steps (T or more: the masked form). */
export function sumScanForwardChunkedWasm(args: SumScanForwardArgs, chunk: number): SumScanForwardResult {
  const C = Math.min(chunk, args.T);
  return forwardWith(args, 'sumChunkedForwardF32', (rt) => rt.kernels.sumChunkedScratchFloats(C, args.dk, args.dv), [C]);
}

export function sumScanBackwardChunkedWasm(args: SumScanBackwardArgs, chunk: number): SumScanGrads {
  const C = Math.min(chunk, args.T);
  return backwardWith(args, 'sumChunkedBackwardF32', (rt) => rt.kernels.sumChunkedScratchFloats(C, args.dk, args.dv), [C]);
}

/** One forward kernel call: its pointer arguments, the shape, then `extra` (the chunk size), over heads split by threads. */
function forwardWith(args: SumScanForwardArgs, name: 'sumScanForwardF32' | 'sumChunkedForwardF32', scratchFloats: (rt: WasmRuntime) => number, extra: number[]): SumScanForwardResult {
  const { N, T, dk, dv, normalise } = args;
  const rt = runtimeFor(args.q, args.k, args.v, args.initialState, args.initialZ);
  if (rt === null) return sumScanForwardJs(args);
  rt.reset();
  const [q, k, v] = [rt.put(args.q as Float32Array), rt.put(args.k as Float32Array), rt.put(args.v as Float32Array)];
  const initialState = rt.put(args.initialState as Float32Array | null);
  const initialZ = normalise ? rt.put(args.initialZ as Float32Array | null) : 0;
  const y = rt.output(N * T * dv), finalState = rt.output(N * dv * dk), finalZ = normalise ? rt.output(N * dk) : 0;
  const common = [q, k, v, y, finalState, finalZ, initialState, initialZ, T, dk, dv, bit(normalise), args.eps, ...extra];
  rt.run(name, (lo, hi) => [...common, lo, hi], N, scratchFloats(rt), N * T * dk * dv >= MIN_SPLIT_WORK);
  return { y: rt.take(y, N * T * dv), finalState: rt.take(finalState, N * dv * dk), finalZ: normalise ? rt.take(finalZ, N * dk) : null };
}

/** One backward kernel call; a final-state gradient of zeros goes in as none, so the kernels skip its products. */
function backwardWith(args: SumScanBackwardArgs, name: 'sumScanBackwardF32' | 'sumChunkedBackwardF32', scratchFloats: (rt: WasmRuntime) => number, extra: number[]): SumScanGrads {
  const { N, T, dk, dv, normalise, forward } = args;
  const rt = runtimeFor(args.q, args.k, args.v, args.dy, args.dFinalState, args.dFinalZ, forward.y);
  if (rt === null) return sumScanBackwardJs(args);
  rt.reset();
  const [q, k, v] = [rt.put(args.q as Float32Array), rt.put(args.k as Float32Array), rt.put(args.v as Float32Array)];
  const y = normalise ? rt.put(forward.y as Float32Array) : 0;
  const finalState = rt.put(forward.finalState as Float32Array);
  const finalZ = normalise ? rt.put(forward.finalZ as Float32Array) : 0;
  const dy = rt.put(args.dy as Float32Array);
  const dFinalState = allZero(args.dFinalState) ? 0 : rt.put(args.dFinalState as Float32Array);
  const dFinalZ = normalise && !allZero(args.dFinalZ) ? rt.put(args.dFinalZ as Float32Array) : 0;
  const dq = rt.output(N * T * dk), dkOut = rt.output(N * T * dk), dvOut = rt.output(N * T * dv);
  const dInitialState = args.initialState ? rt.output(N * dv * dk) : 0;
  const dInitialZ = args.initialZ ? rt.output(N * dk) : 0;
  const common = [q, k, v, y, finalState, finalZ, dy, dFinalState, dFinalZ, dq, dkOut, dvOut, dInitialState, dInitialZ, T, dk, dv, bit(normalise), args.eps, ...extra];
  rt.run(name, (lo, hi) => [...common, lo, hi], N, scratchFloats(rt), N * T * dk * dv >= MIN_SPLIT_WORK);
  return {
    dq: rt.take(dq, N * T * dk),
    dk: rt.take(dkOut, N * T * dk),
    dv: rt.take(dvOut, N * T * dv),
    dInitialState: args.initialState ? rt.take(dInitialState, N * dv * dk) : null,
    // dz_0 exists only when z_0 was given; without normalisation it is zero (z plays no part).
    dInitialZ: args.initialZ ? (normalise ? rt.take(dInitialZ, N * dk) : new Float32Array(N * dk)) : null,
  };
}
