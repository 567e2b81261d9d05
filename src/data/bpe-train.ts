/**
 * Learning byte-level BPE merges from a training text.
 *
 * The text is split into words (see pretokenize.ts) and each distinct word is counted once, so the
 * work scales with the vocabulary of the text rather than its length. Every distinct word starts
 * as its UTF-8 bytes; then, repeatedly, the most frequent adjacent pair of symbols (counted over
 * all word occurrences) becomes a new symbol. Pair counts are updated incrementally: a merge only
 * revisits the words that contain the merged pair, and a max-heap with lazy deletion finds the next
 * most frequent pair without rescanning all of them.
 *
 * Ties are broken deterministically: among pairs with the same count the one whose (left, right)
 * ids are smallest wins, so the same text and options always give the same merges.
 *
 * Browser-safe: no Node imports.
 */
import { splitWords } from './pretokenize.js';

/** Ids below this are the special tokens; byte b has id FIRST_BYTE_ID + b. */
export const FIRST_BYTE_ID = 3;
/** Id of the first merged token. */
export const FIRST_MERGE_ID = FIRST_BYTE_ID + 256;

/** A pair of token ids is stored as one number: left * PAIR_BASE + right (exact below 2^53). */
const PAIR_BASE = 2 ** 21;
export const MAX_VOCAB_SIZE = PAIR_BASE;

/**
 * The longest token, in bytes, that training learns and a saved tokenizer may hold. Real tokens are
 * words or pieces of them; only runs of one character (a line of 5,000 dashes) would grow past it,
 * by doubling, and a tokenizer file whose merges double 40 times would otherwise ask for terabytes.
 */
export const MAX_TOKEN_BYTES = 1024;

export function pairKey(left: number, right: number): number {
  return left * PAIR_BASE + right;
}

export interface BpeTrainOptions {
  /** Total vocabulary including the 3 special tokens and 256 bytes; at least 259. */
  vocabSize: number;
  /** Stop early when the most frequent pair occurs fewer times than this. */
  minFrequency: number;
  /** Called after each merge with (merges done, merges wanted). */
  onProgress?: (done: number, total: number) => void;
}

/** Learns the merges, in order; merge i creates token id FIRST_MERGE_ID + i. */
export function learnMerges(text: string, options: BpeTrainOptions): Array<[number, number]> {
  const { words, freqs } = countWords(text);
  const pairCounts = new Map<number, number>();
  // Which words contain a pair. Lists may hold stale entries (the word no longer has the pair);
  // the merge step checks each word before touching it.
  const pairWords = new Map<number, number[]>();

  for (let w = 0; w < words.length; w++) {
    const symbols = words[w]!;
    for (let i = 0; i + 1 < symbols.length; i++) {
      const key = pairKey(symbols[i]!, symbols[i + 1]!);
      pairCounts.set(key, (pairCounts.get(key) ?? 0) + freqs[w]!);
      addWord(pairWords, key, w);
    }
  }

  const heap = new PairHeap();
  for (const [key, count] of pairCounts) heap.push(count, key);

  const wanted = options.vocabSize - FIRST_MERGE_ID;
  const merges: Array<[number, number]> = [];
  // visitedAtMerge[w] === m means word w was already rewritten during merge m.
  const visitedAtMerge = new Int32Array(words.length).fill(-1);
  const tokenBytes = [...new Array<number>(FIRST_BYTE_ID).fill(0), ...new Array<number>(256).fill(1)];

  while (merges.length < wanted) {
    const best = popBestPair(heap, pairCounts);
    if (best === null || best.count < options.minFrequency) break;
    const left = Math.floor(best.key / PAIR_BASE);
    const right = best.key % PAIR_BASE;
    if (tokenBytes[left]! + tokenBytes[right]! > MAX_TOKEN_BYTES) {
      // Never learned: the pair stays two tokens (counted again if a later merge changes it).
      pairCounts.delete(best.key);
      continue;
    }
    const merged = FIRST_MERGE_ID + merges.length;
    merges.push([left, right]);
    tokenBytes.push(tokenBytes[left]! + tokenBytes[right]!);

    // Net change of each pair count caused by this merge, applied once at the end so that pairs
    // left untouched by the rewrite are not pushed onto the heap again.
    const delta = new Map<number, number>();
    for (const w of pairWords.get(best.key) ?? []) {
      if (visitedAtMerge[w] === merges.length) continue;
      visitedAtMerge[w] = merges.length;
      const before = words[w]!;
      const after = mergePair(before, left, right, merged);
      if (after === null) continue;
      words[w] = after;
      const freq = freqs[w]!;
      for (let i = 0; i + 1 < before.length; i++) {
        const key = pairKey(before[i]!, before[i + 1]!);
        delta.set(key, (delta.get(key) ?? 0) - freq);
      }
      for (let i = 0; i + 1 < after.length; i++) {
        const key = pairKey(after[i]!, after[i + 1]!);
        delta.set(key, (delta.get(key) ?? 0) + freq);
        // Only pairs that involve the new token are new to this word.
        if (after[i] === merged || after[i + 1] === merged) addWord(pairWords, key, w);
      }
    }
    pairWords.delete(best.key);
    for (const [key, change] of delta) {
      if (change === 0) continue;
      const count = (pairCounts.get(key) ?? 0) + change;
      if (count > 0) {
        pairCounts.set(key, count);
        heap.push(count, key);
      } else {
        pairCounts.delete(key);
        pairWords.delete(key);
      }
    }
    options.onProgress?.(merges.length, wanted);
  }
  return merges;
}

/** Distinct words of the text as byte-id arrays, with how often each occurs. */
function countWords(text: string): { words: Int32Array[]; freqs: number[] } {
  const counts = new Map<string, number>();
  for (const word of splitWords(text)) counts.set(word, (counts.get(word) ?? 0) + 1);
  const encoder = new TextEncoder();
  const words: Int32Array[] = [];
  const freqs: number[] = [];
  for (const [word, count] of counts) {
    const bytes = encoder.encode(word);
    const symbols = new Int32Array(bytes.length);
    for (let i = 0; i < bytes.length; i++) symbols[i] = FIRST_BYTE_ID + bytes[i]!;
    words.push(symbols);
    freqs.push(count);
  }
  return { words, freqs };
}

function addWord(pairWords: Map<number, number[]>, key: number, word: number): void {
  const list = pairWords.get(key);
  if (list === undefined) pairWords.set(key, [word]);
  else if (list[list.length - 1] !== word) list.push(word);
}

/**
 * Replaces each (left, right) in `symbols`, scanning left to right without overlap, by `merged`;
 * null when the pair does not occur.
 */
export function mergePair(symbols: ArrayLike<number>, left: number, right: number, merged: number): Int32Array | null {
  const out = new Int32Array(symbols.length);
  let n = 0;
  let found = false;
  for (let i = 0; i < symbols.length; i++) {
    if (i + 1 < symbols.length && symbols[i] === left && symbols[i + 1] === right) {
      out[n++] = merged;
      i++;
      found = true;
    } else {
      out[n++] = symbols[i]!;
    }
  }
  return found ? out.slice(0, n) : null;
}

/** The heap's best entry that is still current (its count matches the live count), or null. */
function popBestPair(heap: PairHeap, pairCounts: Map<number, number>): { count: number; key: number } | null {
  while (heap.size > 0) {
    const top = heap.pop();
    if (pairCounts.get(top.key) === top.count) return top;
  }
  return null;
}

/**
 * Binary max-heap of (count, pair key): higher count first, then smaller key. Entries are never
 * updated in place; a changed count is pushed again and the stale entry skipped when popped.
 */
class PairHeap {
  private counts: number[] = [];
  private keys: number[] = [];

  get size(): number {
    return this.counts.length;
  }

  push(count: number, key: number): void {
    this.counts.push(count);
    this.keys.push(key);
    this.siftUp(this.counts.length - 1);
  }

  pop(): { count: number; key: number } {
    const top = { count: this.counts[0]!, key: this.keys[0]! };
    const lastCount = this.counts.pop()!;
    const lastKey = this.keys.pop()!;
    if (this.counts.length > 0) {
      this.counts[0] = lastCount;
      this.keys[0] = lastKey;
      this.siftDown(0);
    }
    return top;
  }

  /** Whether entry i should sit above entry j. */
  private before(i: number, j: number): boolean {
    const ci = this.counts[i]!;
    const cj = this.counts[j]!;
    return ci > cj || (ci === cj && this.keys[i]! < this.keys[j]!);
  }

  private swap(i: number, j: number): void {
    [this.counts[i], this.counts[j]] = [this.counts[j]!, this.counts[i]!];
    [this.keys[i], this.keys[j]] = [this.keys[j]!, this.keys[i]!];
  }

  private siftUp(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private siftDown(i: number): void {
    const n = this.counts.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < n && this.before(l, best)) best = l;
      if (r < n && this.before(r, best)) best = r;
      if (best === i) return;
      this.swap(i, best);
      i = best;
    }
  }
}
