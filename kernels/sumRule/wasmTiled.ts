/**
 * The sum rule's fused chunkwise form in WebAssembly SIMD (float32; kernels/wasm/assembly/sumRuleTiled.ts):
 * the equations of ./chunkwise.ts in one kernel call, every product a register tile, heads split over
 * threads; the js scan for float64. With chunks of T steps it is the causal masked form (./causal.ts).
 */
import type { SumScanBackwardArgs, SumScanForwardArgs, SumScanForwardResult, SumScanGrads } from '../types.js';
import { sumBackwardCall, sumForwardCall } from './wasm.js';

/** Multiply-adds of the tiled form, about T·(C + d)·d per head: what decides whether a second thread pays. */
const work = (N: number, T: number, C: number, dk: number, dv: number) => N * T * (C + dk) * (dk + dv);

export function sumScanForwardTiledWasm(args: SumScanForwardArgs, chunk: number): SumScanForwardResult {
  const { N, T, dk, dv } = args;
  const C = Math.min(chunk, T);
  return sumForwardCall(args, (rt) => ({ name: 'sumTiledForwardF32', scratchFloats: rt.kernels.sumTiledScratchFloats(C, dk, dv, 0), work: work(N, T, C, dk, dv), extra: [C] }));
}

export function sumScanBackwardTiledWasm(args: SumScanBackwardArgs, chunk: number): SumScanGrads {
  const { N, T, dk, dv } = args;
  const C = Math.min(chunk, T);
  return sumBackwardCall(args, (rt) => ({ name: 'sumTiledBackwardF32', scratchFloats: rt.kernels.sumTiledScratchFloats(C, dk, dv, 1), work: work(N, T, C, dk, dv), extra: [C] }));
}
