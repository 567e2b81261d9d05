/**
 * Batches of sentence pairs for the translation model, grouped by length so little compute goes
 * to padding, and sized by a token budget rather than a fixed number of sentences.
 *
 * Layout of one pair (ids from the joint BPE vocabulary, specials from bpe.ts):
 *   source         x1 … xn <eos>            right-padded with PAD_ID to S
 *   decoder input  <bos> y1 … ym            right-padded with PAD_ID to T
 *   targets        y1 … ym <eos>            right-padded with PAD_ID to T (ignored by the loss)
 *
 * An epoch's order: shuffle the pairs (seeded Rng), stable-sort them by length (so pairs of equal
 * length stay in random order), cut the sorted list into batches whose padded size
 * B · max(S, T) stays within the token budget, then shuffle the batches. The batcher's state is
 * the Rng state at the start of the epoch plus the position in it, which is all a checkpoint needs
 * to resume the exact same sequence of batches.
 */
import { Rng, type RngState } from '../../tensor/rng.js';
import { BOS_ID, EOS_ID, PAD_ID } from '../../data/bpe.js';

/** One pair as token ids, without special tokens. */
export interface TokenizedPair {
  source: number[];
  target: number[];
}

export interface TranslationBatch {
  /** Number of pairs. */
  B: number;
  /** Padded source length (the longest source + <eos>). */
  S: number;
  /** Padded target length (the longest target + 1). */
  T: number;
  /** [B, S] */
  source: Int32Array;
  /** [B, T] <bos> y … */
  decoderInput: Int32Array;
  /** [B, T] y … <eos> */
  targets: Int32Array;
  /** Number of non-padding targets (the tokens the loss counts). */
  targetTokens: number;
  /** Which pairs of the list, in batch order. */
  indices: number[];
}

/** Padded arrays for the given pairs, in the given order. */
export function collatePairs(pairs: readonly TokenizedPair[], indices: readonly number[]): TranslationBatch {
  if (indices.length === 0) throw new Error('collatePairs: an empty batch');
  const B = indices.length;
  let S = 0;
  let T = 0;
  for (const i of indices) {
    const pair = pairs[i];
    if (pair === undefined) throw new Error(`collatePairs: no pair at index ${i}`);
    S = Math.max(S, pair.source.length + 1);
    T = Math.max(T, pair.target.length + 1);
  }
  const source = new Int32Array(B * S).fill(PAD_ID);
  const decoderInput = new Int32Array(B * T).fill(PAD_ID);
  const targets = new Int32Array(B * T).fill(PAD_ID);
  let targetTokens = 0;
  indices.forEach((index, b) => {
    const { source: x, target: y } = pairs[index]!;
    source.set(x, b * S);
    source[b * S + x.length] = EOS_ID;
    decoderInput[b * T] = BOS_ID;
    decoderInput.set(y, b * T + 1);
    targets.set(y, b * T);
    targets[b * T + y.length] = EOS_ID;
    targetTokens += y.length + 1;
  });
  return { B, S, T, source, decoderInput, targets, targetTokens, indices: [...indices] };
}

/** Sources alone, as the encoder takes them: x … <eos>, right-padded to S. For decoding. */
export function collateSources(sources: readonly (readonly number[])[]): { B: number; S: number; source: Int32Array } {
  if (sources.length === 0) throw new Error('collateSources: no sources');
  const B = sources.length;
  const S = Math.max(...sources.map((x) => x.length)) + 1;
  const source = new Int32Array(B * S).fill(PAD_ID);
  sources.forEach((x, b) => {
    source.set(x, b * S);
    source[b * S + x.length] = EOS_ID;
  });
  return { B, S, source };
}

/** The padded cost of a pair: the longer of its two padded sides. */
function pairLength(pair: TokenizedPair): number {
  return Math.max(pair.source.length, pair.target.length) + 1;
}

/**
 * Cuts `order` (already sorted by length) into consecutive groups whose padded size
 * B · max length stays within maxTokens (a single pair longer than the budget forms its own batch).
 */
export function packByTokens(pairs: readonly TokenizedPair[], order: readonly number[], maxTokens: number): number[][] {
  if (!(Number.isInteger(maxTokens) && maxTokens >= 1)) throw new Error(`packByTokens: maxTokens must be a positive integer, got ${maxTokens}`);
  const batches: number[][] = [];
  let current: number[] = [];
  let longest = 0;
  for (const i of order) {
    const length = pairLength(pairs[i]!);
    const widened = Math.max(longest, length);
    if (current.length > 0 && widened * (current.length + 1) > maxTokens) {
      batches.push(current);
      current = [];
      longest = 0;
    }
    current.push(i);
    longest = Math.max(longest, length);
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** Length-sorted, token-budgeted batches in order (no shuffling): for evaluation. */
export function evaluationBatches(pairs: readonly TokenizedPair[], maxTokens: number): TranslationBatch[] {
  const order = pairs.map((_, i) => i).sort((a, b) => pairLength(pairs[a]!) - pairLength(pairs[b]!) || a - b);
  return packByTokens(pairs, order, maxTokens).map((indices) => collatePairs(pairs, indices));
}

export interface BatcherState {
  /** Completed epochs. */
  epoch: number;
  /** Batches already taken from the current epoch. */
  position: number;
  /** The generator's state at the start of the current epoch. */
  epochRng: RngState;
}

/** An endless stream of shuffled, length-bucketed training batches. */
export class TranslationBatcher {
  private epoch = 0;
  private position = 0;
  private epochRng: RngState;
  private batches: number[][] = [];

  constructor(private readonly pairs: readonly TokenizedPair[], private readonly maxTokens: number, private readonly rng: Rng) {
    if (pairs.length === 0) throw new Error('TranslationBatcher: no training pairs');
    this.epochRng = rng.getState();
    this.batches = this.planEpoch();
  }

  /** The next batch (a new epoch starts, reshuffled, when the current one runs out). */
  next(): TranslationBatch {
    if (this.position >= this.batches.length) {
      this.epoch++;
      this.position = 0;
      this.epochRng = this.rng.getState();
      this.batches = this.planEpoch();
    }
    return collatePairs(this.pairs, this.batches[this.position++]!);
  }

  get batchesPerEpoch(): number {
    return this.batches.length;
  }

  getState(): BatcherState {
    return { epoch: this.epoch, position: this.position, epochRng: { s: [...this.epochRng.s], spare: this.epochRng.spare } };
  }

  /** Continues exactly where a batcher over the same pairs and budget was when it gave `state`. */
  setState(state: BatcherState): void {
    if (!Number.isInteger(state.epoch) || state.epoch < 0 || !Number.isInteger(state.position) || state.position < 0) {
      throw new Error(`TranslationBatcher.setState: invalid epoch/position ${state.epoch}/${state.position}`);
    }
    this.rng.setState(state.epochRng);
    this.epochRng = this.rng.getState();
    this.batches = this.planEpoch();
    if (state.position > this.batches.length) {
      throw new Error(`TranslationBatcher.setState: position ${state.position} is past the ${this.batches.length} batches of an epoch (different data or budget?)`);
    }
    this.epoch = state.epoch;
    this.position = state.position;
  }

  /** Draws one epoch's batch order from the generator. */
  private planEpoch(): number[][] {
    const order = this.rng.shuffle(this.pairs.map((_, i) => i));
    // Array.prototype.sort is stable: equal lengths keep their shuffled order.
    order.sort((a, b) => pairLength(this.pairs[a]!) - pairLength(this.pairs[b]!));
    return this.rng.shuffle(packByTokens(this.pairs, order, this.maxTokens));
  }
}
