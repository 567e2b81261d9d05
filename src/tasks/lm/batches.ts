/**
 * Language-model batches from a token stream, [B, L] inputs and the targets one token later: B
 * independent segments at random offsets drawn from a seeded generator (the default training), or
 * B parallel streams read one segment at a time (carry-over evaluation and `lm train --carry`).
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
 * The number of [B, L] blocks of B parallel contiguous streams through `tokens` (see streamSegment).
 */
export function streamSegmentCount(tokens: Int32Array, B: number, L: number): number {
  return Math.floor(Math.floor((tokens.length - 1) / B) / L);
}

/**
 * Block `s` of B parallel contiguous streams: the token stream is split into B equal parts and
 * row b of block s holds segment s of part b, so that segment s of stream b directly follows
 * segment s − 1 of stream b (what carrying fast weights across segments needs, in evaluation and
 * in `lm train --carry`). Tokens that do not fill a whole [B, L] block at the end are never read.
 */
export function streamSegment(tokens: Int32Array, B: number, L: number, s: number): LmBatch {
  const count = streamSegmentCount(tokens, B, L);
  if (!Number.isInteger(s) || s < 0 || s >= count) throw new Error(`streamSegment: block ${s} is outside the ${count} blocks of [${B}, ${L}] tokens the stream holds`);
  const perStream = Math.floor((tokens.length - 1) / B);
  const inputs = new Int32Array(B * L);
  const targets = new Int32Array(B * L);
  for (let b = 0; b < B; b++) {
    const start = b * perStream + s * L;
    inputs.set(tokens.subarray(start, start + L), b * L);
    targets.set(tokens.subarray(start + 1, start + L + 1), b * L);
  }
  return { inputs, targets, B, L };
}

/** Every block of streamSegment in order: the carry-over evaluation walk. */
export function* sequentialSegments(tokens: Int32Array, B: number, L: number): Generator<LmBatch> {
  const count = streamSegmentCount(tokens, B, L);
  for (let s = 0; s < count; s++) yield streamSegment(tokens, B, L, s);
}
