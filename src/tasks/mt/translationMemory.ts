/**
 * A translation memory in the encoder's input (Bulte and Tezcan's "neural fuzzy repair", 2019): the
 * encoder reads the English sentence, a separator, then the German side of the most similar
 * training pair, which is exactly the lookup baseline's output (lookupBaseline.ts). Where the
 * training pairs hold a near-twin, the model can copy it and change what differs; where they hold
 * none, it learns to translate from the English alone. BLEU above the lookup baseline, and above it
 * on the novel subset (novelSubset.ts), says what the model adds to its memory.
 *
 * Source layout:  x1 … xn <sep> m1 … mk <eos>      (<eos> is added by batches.ts)
 * <sep> is the <bos> id (model.ts: MEMORY_SEPARATOR_ID), which the encoder never reads otherwise, and
 * the memory's positions restart at 0 after it (model.ts says why). The memory is cut to
 * `maxTokens`. A sentence whose nearest training English is less similar than `minSimilarity` gets no
 * memory and no separator (the English alone): an unrelated memory is noise, and without it the
 * model translates the novel sentences as a model without memories would.
 *
 * A training pair's memory is its nearest OTHER training pair (leave-one-out): a test sentence never
 * finds itself among the training pairs, so training must not either, or the model would learn to
 * copy the memory whole. Node-only (lookupCache.ts reads and writes files).
 */
import type { BpeTokenizer } from '../../data/bpe.js';
import { MEMORY_SEPARATOR_ID } from './model.js';
import type { EnDePair } from './ende.js';
import { lookupMatches, type LookupMatch } from './lookupBaseline.js';
import { cachedLookupMatches } from './lookupCache.js';

/** What the encoder reads besides the English: nothing, or the German of the nearest training pair. */
export const MEMORY_KINDS = ['none', 'nearest'] as const;
export type MemoryKind = (typeof MEMORY_KINDS)[number];

export { MEMORY_SEPARATOR_ID };

/** The encoder's token ids for English sentences (without <eos>). */
export type SourceEncoder = (english: readonly string[]) => number[][];

/** Which memories the encoder reads, and how much of one. */
export interface MemoryLimits {
  /** Memory tokens kept (the training pairs' --max-len). */
  maxTokens: number;
  /** Below this similarity (lookupBaseline.ts) a sentence gets no memory. */
  minSimilarity: number;
}

/** English ids, the separator, then at most `maxMemoryTokens` memory ids. */
export function memorySource(english: readonly number[], memory: readonly number[], maxMemoryTokens: number): number[] {
  return [...english, MEMORY_SEPARATOR_ID, ...memory.slice(0, maxMemoryTokens)];
}

export interface SourceEncoderOptions {
  memory: MemoryKind;
  /** The pairs the memory is searched in (the training split). */
  train: readonly EnDePair[];
  limits: MemoryLimits;
  /**
   * Keep the matches in the lookup cache (lookupCache.ts): for whole splits, which are encoded again
   * by every evaluation. One-off sentences (`mt translate`) are searched without it.
   */
  cached?: boolean;
}

/** The source encoder of a model trained with `options.memory`. */
export function sourceEncoder(tokenizer: BpeTokenizer, options: SourceEncoderOptions): SourceEncoder {
  if (options.memory === 'none') return (english) => english.map((s) => tokenizer.encode(s));
  const { train, limits } = options;
  return (english) => {
    const matches = options.cached ? cachedLookupMatches(train, english) : lookupMatches(train, english);
    return english.map((s, i) => withMatch(tokenizer.encode(s), matches[i]!, (j) => tokenizer.encode(train[j]!.de), limits));
  };
}

/**
 * The training pairs' sources with their leave-one-out memories. `english` and `german` are the
 * training pairs' ids, already tokenized (index i ↔ train[i]).
 */
export function trainingSources(train: readonly EnDePair[], english: readonly number[][], german: readonly number[][], limits: MemoryLimits): number[][] {
  const matches = cachedLookupMatches(train, train.map((p) => p.en), undefined, { leaveOneOut: true });
  return english.map((ids, i) => withMatch(ids, matches[i]!, (j) => german[j]!, limits));
}

function withMatch(english: number[], match: LookupMatch, germanOf: (index: number) => readonly number[], limits: MemoryLimits): number[] {
  if (match.index < 0 || match.similarity < limits.minSimilarity) return english;
  return memorySource(english, germanOf(match.index), limits.maxTokens);
}
