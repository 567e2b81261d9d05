/**
 * Byte-level BPE tokenizer (the GPT-2 scheme), trained from text by this project.
 *
 * Ids: 0 `<pad>`, 1 `<bos>`, 2 `<eos>`, then the 256 bytes (id 3 + byte), then one id per learned
 * merge in the order learned. Because every byte has an id, any text can be encoded; `decode`
 * turns the ids back into UTF-8 bytes and decodes them.
 *
 * Round trip: `decode(encode(s)) === s` for every well-formed UTF-16 string. A lone surrogate has no
 * UTF-8 encoding, so TextEncoder replaces it by U+FFFD and such strings come back changed.
 * `encode` never emits the special tokens (the text "<bos>" is encoded as its bytes); callers add
 * them, and `decode` skips them.
 *
 * Browser-safe: no Node imports (TextEncoder/TextDecoder are globals in browsers and Node).
 */
import { FIRST_BYTE_ID, FIRST_MERGE_ID, MAX_TOKEN_BYTES, MAX_VOCAB_SIZE, learnMerges, mergePair, pairKey } from './bpe-train.js';
import { splitWords } from './pretokenize.js';

export const PAD_ID = 0;
export const BOS_ID = 1;
export const EOS_ID = 2;
export const SPECIAL_TOKENS: readonly string[] = ['<pad>', '<bos>', '<eos>'];

const JSON_FORMAT = 'fastweights-bpe';
const JSON_VERSION = 1;

/** The saved form of a tokenizer: everything else is derived from the merges. */
export interface BpeTokenizerJSON {
  format: typeof JSON_FORMAT;
  version: typeof JSON_VERSION;
  specialTokens: string[];
  /** Merge i joins tokens [left, right] into token 259 + i. */
  merges: Array<[number, number]>;
}

export interface BpeTrainingOptions {
  /** Total vocabulary size, special tokens and bytes included (default 4096, at least 259). */
  vocabSize?: number;
  /** Stop merging once the most frequent pair occurs fewer times than this (default 2). */
  minFrequency?: number;
  /** Called after each merge with (merges done, merges wanted). */
  onProgress?: (done: number, total: number) => void;
}

/** Words seen by `encode` are remembered; the cache is emptied when it grows past this. */
const WORD_CACHE_LIMIT = 100_000;

export class BpeTokenizer {
  readonly merges: ReadonlyArray<readonly [number, number]>;
  /** pair key → merge index (lower merges first when encoding). */
  private readonly mergeRank = new Map<number, number>();
  /** UTF-8 bytes of every token id; empty for the special tokens. */
  private readonly bytesOfToken: Uint8Array[] = [];
  private readonly wordCache = new Map<string, number[]>();
  private readonly encoder = new TextEncoder();
  // ignoreBOM keeps a leading U+FEFF: it is text like any other (TextDecoder drops it by default).
  private readonly decoder = new TextDecoder('utf-8', { ignoreBOM: true });

  /** Use `train` or `fromJSON`; the merges must already be valid (see `validateMerges`). */
  private constructor(merges: Array<[number, number]>) {
    this.merges = merges;
    for (let i = 0; i < SPECIAL_TOKENS.length; i++) this.bytesOfToken.push(new Uint8Array(0));
    for (let b = 0; b < 256; b++) this.bytesOfToken.push(Uint8Array.of(b));
    merges.forEach(([left, right], rank) => {
      this.mergeRank.set(pairKey(left, right), rank);
      const a = this.bytesOfToken[left]!;
      const b = this.bytesOfToken[right]!;
      const joined = new Uint8Array(a.length + b.length);
      joined.set(a, 0);
      joined.set(b, a.length);
      this.bytesOfToken.push(joined);
    });
  }

  /** Learns merges from `text`; deterministic for a given text and options. */
  static train(text: string, options: BpeTrainingOptions = {}): BpeTokenizer {
    const vocabSize = options.vocabSize ?? 4096;
    const minFrequency = options.minFrequency ?? 2;
    if (!Number.isInteger(vocabSize) || vocabSize < FIRST_MERGE_ID || vocabSize > MAX_VOCAB_SIZE) {
      throw new RangeError(`BPE vocabSize must be an integer in [${FIRST_MERGE_ID}, ${MAX_VOCAB_SIZE}] (3 special tokens + 256 bytes at least); got ${vocabSize}`);
    }
    if (!Number.isInteger(minFrequency) || minFrequency < 1) {
      throw new RangeError(`BPE minFrequency must be a positive integer; got ${minFrequency}`);
    }
    const merges = learnMerges(text, { vocabSize, minFrequency, onProgress: options.onProgress });
    return new BpeTokenizer(merges);
  }

  /** Number of token ids; may be below the requested size if training ran out of frequent pairs. */
  get vocabSize(): number {
    return this.bytesOfToken.length;
  }

  encode(text: string): number[] {
    const ids: number[] = [];
    for (const word of splitWords(text)) {
      let wordIds = this.wordCache.get(word);
      if (wordIds === undefined) {
        wordIds = this.encodeWord(word);
        if (this.wordCache.size >= WORD_CACHE_LIMIT) this.wordCache.clear();
        this.wordCache.set(word, wordIds);
      }
      for (const id of wordIds) ids.push(id);
    }
    return ids;
  }

  /**
   * The text of `ids`, special tokens skipped. Byte sequences that are not valid UTF-8 (possible
   * when ids come from a model rather than from `encode`) decode to U+FFFD.
   */
  decode(ids: ArrayLike<number>): string {
    const parts: Uint8Array[] = [];
    let length = 0;
    for (let i = 0; i < ids.length; i++) {
      const bytes = this.tokenBytes(ids[i]!);
      parts.push(bytes);
      length += bytes.length;
    }
    const all = new Uint8Array(length);
    let offset = 0;
    for (const bytes of parts) {
      all.set(bytes, offset);
      offset += bytes.length;
    }
    return this.decoder.decode(all);
  }

  /** The UTF-8 bytes a token stands for (empty for special tokens). */
  tokenBytes(id: number): Uint8Array {
    const bytes = Number.isInteger(id) ? this.bytesOfToken[id] : undefined;
    if (bytes === undefined) throw new RangeError(`token id ${id} is outside this tokenizer's vocabulary [0, ${this.vocabSize})`);
    return bytes;
  }

  toJSON(): BpeTokenizerJSON {
    return {
      format: JSON_FORMAT,
      version: JSON_VERSION,
      specialTokens: [...SPECIAL_TOKENS],
      merges: this.merges.map(([left, right]) => [left, right]),
    };
  }

  /** Rebuilds a tokenizer saved with `toJSON`; throws naming the first problem found. */
  static fromJSON(value: unknown): BpeTokenizer {
    return new BpeTokenizer(validateTokenizerJSON(value));
  }

  /** Applies the merges to one word: repeatedly the adjacent pair learned earliest. */
  private encodeWord(word: string): number[] {
    const bytes = this.encoder.encode(word);
    let symbols: ArrayLike<number> = Array.from(bytes, (b) => FIRST_BYTE_ID + b);
    for (;;) {
      let bestRank = Infinity;
      for (let i = 0; i + 1 < symbols.length; i++) {
        const rank = this.mergeRank.get(pairKey(symbols[i]!, symbols[i + 1]!));
        if (rank !== undefined && rank < bestRank) bestRank = rank;
      }
      if (bestRank === Infinity) return Array.from(symbols);
      const [left, right] = this.merges[bestRank]!;
      symbols = mergePair(symbols, left, right, FIRST_MERGE_ID + bestRank)!;
    }
  }
}

function validateTokenizerJSON(value: unknown): Array<[number, number]> {
  const fail = (why: string): never => {
    throw new Error(`BpeTokenizer.fromJSON: ${why}`);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('expected an object');
  const obj = value as Record<string, unknown>;
  if (obj.format !== JSON_FORMAT) fail(`"format" must be "${JSON_FORMAT}", got ${JSON.stringify(obj.format)}`);
  if (obj.version !== JSON_VERSION) fail(`unsupported version ${JSON.stringify(obj.version)} (this code reads version ${JSON_VERSION})`);
  const specials = obj.specialTokens;
  if (!Array.isArray(specials) || specials.length !== SPECIAL_TOKENS.length || specials.some((s, i) => s !== SPECIAL_TOKENS[i])) {
    fail(`"specialTokens" must be ${JSON.stringify(SPECIAL_TOKENS)}, got ${JSON.stringify(specials)}`);
  }
  if (!Array.isArray(obj.merges)) fail('"merges" must be an array of [left, right] id pairs');
  const merges = obj.merges as unknown[];
  if (FIRST_MERGE_ID + merges.length > MAX_VOCAB_SIZE) fail(`too many merges (${merges.length})`);
  const seen = new Set<number>();
  // Token lengths are summed before any token's bytes are built (see MAX_TOKEN_BYTES).
  const tokenBytes = [...new Array<number>(FIRST_BYTE_ID).fill(0), ...new Array<number>(256).fill(1)];
  return merges.map((merge, i) => {
    const newId = FIRST_MERGE_ID + i;
    const ok =
      Array.isArray(merge) &&
      merge.length === 2 &&
      merge.every((id) => Number.isInteger(id) && id >= FIRST_BYTE_ID && id < newId);
    if (!ok) fail(`merge ${i} must be a pair of token ids in [${FIRST_BYTE_ID}, ${newId}), got ${JSON.stringify(merge)}`);
    const [left, right] = merge as [number, number];
    const key = pairKey(left, right);
    if (seen.has(key)) fail(`merge ${i} ${JSON.stringify(merge)} repeats an earlier merge`);
    seen.add(key);
    const bytes = tokenBytes[left]! + tokenBytes[right]!;
    if (bytes > MAX_TOKEN_BYTES) fail(`merge ${i} ${JSON.stringify(merge)} makes a token of ${bytes} bytes; tokens are at most ${MAX_TOKEN_BYTES} bytes (the merges grow tokens pathologically)`);
    tokenBytes.push(bytes);
    return [left, right];
  });
}
