/**
 * Language-model batches from a token stream: B independent segments of L + 1 tokens (inputs are the
 * first L, targets the last L), at random offsets drawn from a seeded generator.
 */
import type { Rng } from '../../tensor/rng.js';

export interface LmBatch {
  /** [B, L] row-major */
  inputs: Int32Array;
  /** [B, L] row-major: inputs shifted by one */
  targets: Int32Array;
  B: number;
  L: number;
}

export function sampleSegments(tokens: Int32Array, B: number, L: number, rng: Rng): LmBatch {
  if (tokens.length < L + 1) throw new Error(`sampleSegments: the token stream has ${tokens.length} tokens, fewer than context + 1 = ${L + 1}`);
  const inputs = new Int32Array(B * L);
  const targets = new Int32Array(B * L);
  for (let b = 0; b < B; b++) {
    const start = rng.int(tokens.length - L);
    inputs.set(tokens.subarray(start, start + L), b * L);
    targets.set(tokens.subarray(start + 1, start + L + 1), b * L);
  }
  return { inputs, targets, B, L };
}

/**
 * Splits a token stream into B parallel contiguous streams and walks them in segments of L, so
 * that segment i of stream b directly follows segment i − 1 of stream b (what carry-over
 * evaluation needs). Tokens that do not fill a whole [B, L] block at the end are dropped.
 */
export function* sequentialSegments(tokens: Int32Array, B: number, L: number): Generator<LmBatch> {
  const perStream = Math.floor((tokens.length - 1) / B);
  const segments = Math.floor(perStream / L);
  for (let s = 0; s < segments; s++) {
    const inputs = new Int32Array(B * L);
    const targets = new Int32Array(B * L);
    for (let b = 0; b < B; b++) {
      const start = b * perStream + s * L;
      inputs.set(tokens.subarray(start, start + L), b * L);
      targets.set(tokens.subarray(start + 1, start + L + 1), b * L);
    }
    yield { inputs, targets, B, L };
  }
}
