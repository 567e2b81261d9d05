/**
 * Which form of the sum-rule scan the wasm backend runs, per shape (float32; float64 takes the js
 * scan in every form). The forms, all pinned to ./reference.ts by the same property tests:
 *   recurrent  the fused recurrent kernel (./wasm.ts): 7·d² multiply-adds per step and head,
 *              forward and backward, one pass over W per step
 *   tiled      the fused chunkwise kernel (./wasmTiled.ts), chunks of SUM_CHUNK steps in register
 *              tiles: the same 7·d² per step plus about 3·C·d for the chunk's own scores
 *   causal     that kernel with one chunk of T steps: the fused causal masked form, ≈ 3.5·T·d per step
 *   chunkwise  ./chunkwise.ts over the wasm matmul, chunks of SUM_CHUNK steps (glue in JavaScript)
 *   masked     ./chunkwise.ts with one chunk of T steps: the masked quadratic form over the matmul
 * Memory: O(T·d) per head for all but the two masked forms (O(T²)).
 *
 * The rule, from `npm run bench -- --forms` (docs/kernels.md, "The scan forms"): the masked forms
 * lose from T = 2d on (their work grows as T²) and the chunkwise form over the matmul loses at every
 * shape; the tiled kernel ties the recurrent one within the load's noise at every shape measured
 * (d = 16 … 256, T = 64 … 2048), as its arithmetic says it should, so the recurrent kernel stays.
 * The forms are selected here alone: a machine that orders them otherwise changes this function.
 */
import type { SumScanBackwardArgs, SumScanForwardArgs, SumScanForwardResult, SumScanGrads } from '../types.js';
import { sumScanBackwardWasm, sumScanForwardWasm } from './wasm.js';
import { sumScanBackwardTiledWasm, sumScanForwardTiledWasm } from './wasmTiled.js';

export type SumRuleForm = 'recurrent' | 'tiled' | 'causal' | 'chunkwise' | 'masked';

/** Steps per chunk of the tiled and chunkwise forms. */
export const SUM_CHUNK = 32;

/** The form for N heads of T steps, keys of dk and values of dv features (the rule above). */
export function sumRuleForm(N: number, T: number, dk: number, dv: number): 'recurrent' | 'tiled' {
  void [N, T, dk, dv];
  return 'recurrent';
}

export function sumScanForwardChosen(args: SumScanForwardArgs): SumScanForwardResult {
  return sumRuleForm(args.N, args.T, args.dk, args.dv) === 'tiled' ? sumScanForwardTiledWasm(args, SUM_CHUNK) : sumScanForwardWasm(args);
}

export function sumScanBackwardChosen(args: SumScanBackwardArgs): SumScanGrads {
  return sumRuleForm(args.N, args.T, args.dk, args.dv) === 'tiled' ? sumScanBackwardTiledWasm(args, SUM_CHUNK) : sumScanBackwardWasm(args);
}
