/**
 * The BPE model of a tokenizer.json: a vocabulary (token string → id) and a ranked list of merges.
 *
 * A piece of text is first cut into characters, each looked up in the vocabulary. A character
 * that is not there becomes its UTF-8 bytes as the tokens "<0x00>".."<0xFF>" when
 * `byte_fallback` is on (SentencePiece style), else the `unk_token` (consecutive unknowns fused
 * into one with `fuse_unk`), else it is dropped, as the library drops it. Then, repeatedly, the
 * adjacent pair with the lowest merge rank is merged, the leftmost one first when a pair occurs
 * more than once. A heap keeps this O(n log n), since without a pre-tokenizer a whole paragraph
 * is one piece.
 *
 * Browser-safe: no Node imports.
 */
import { asArray, asNonNegativeInteger, asObject, asString, child, fail, field, optionalBoolean, optionalString, show, type JsonObject, type JsonPlace } from './json.js';

export interface BpeModel {
  /** Token ids of one pre-tokenized piece. */
  tokenize(piece: string): number[];
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
  /** One more than the largest id in the vocabulary. */
  readonly idLimit: number;
  /** The number of tokens in the vocabulary. */
  readonly size: number;
}

/** Ids and ranks are packed two to a number below 2^53. */
const ID_LIMIT = 2 ** 21;
const POSITION_LIMIT = 2 ** 32;
/** Pieces longer than this (in UTF-16 units) are not cached; the cache is emptied past CACHE_LIMIT entries. */
const CACHE_MAX_PIECE = 256;
const CACHE_LIMIT = 10_000;

export function parseBpeModel(place: JsonPlace, obj: JsonObject): BpeModel {
  const dropout = obj.dropout;
  if (dropout !== undefined && dropout !== null && dropout !== 0) fail(child(place, 'dropout'), `BPE dropout ${show(dropout)} is not supported (only null or 0: encoding must be deterministic)`);
  for (const key of ['continuing_subword_prefix', 'end_of_word_suffix']) {
    const value = optionalString(place, obj, key);
    if (value !== undefined && value !== '') fail(child(place, key), `${show(value)} is not supported (only null)`);
  }
  const vocab = parseVocab(child(place, 'vocab'), field(place, obj, 'vocab'));
  const merges = parseMerges(child(place, 'merges'), field(place, obj, 'merges'), vocab);
  const unkToken = optionalString(place, obj, 'unk_token');
  return new Bpe(vocab, merges, {
    unkToken,
    fuseUnk: optionalBoolean(place, obj, 'fuse_unk', false),
    byteFallback: optionalBoolean(place, obj, 'byte_fallback', false),
    ignoreMerges: optionalBoolean(place, obj, 'ignore_merges', false),
    source: place.source,
  });
}

function parseVocab(place: JsonPlace, value: unknown): Map<string, number> {
  const vocab = new Map<string, number>();
  const tokenOfId = new Map<number, string>();
  for (const [token, idValue] of Object.entries(asObject(place, value))) {
    const id = asNonNegativeInteger(child(place, token), idValue);
    if (id >= ID_LIMIT) fail(child(place, token), `id ${id} is too large (this reader takes ids below ${ID_LIMIT})`);
    const other = tokenOfId.get(id);
    if (other !== undefined) fail(child(place, token), `id ${id} is given to both ${show(other)} and ${show(token)}`);
    tokenOfId.set(id, token);
    vocab.set(token, id);
  }
  return vocab;
}

/** The merges as [left id, right id, merged id] by rank; "a b" strings or [a, b] pairs. */
function parseMerges(place: JsonPlace, value: unknown, vocab: Map<string, number>): Array<[number, number, number]> {
  const out: Array<[number, number, number]> = [];
  asArray(place, value).forEach((item, i) => {
    const itemPlace = child(place, i);
    let parts: string[];
    if (typeof item === 'string') {
      if (item.startsWith('#version')) return; // a header line, skipped as the library skips it
      parts = item.split(' ');
      if (parts.length !== 2) fail(itemPlace, `expected "left right" (one space), got ${show(item)}`);
    } else {
      const pair = asArray(itemPlace, item);
      if (pair.length !== 2) fail(itemPlace, `expected a pair [left, right], got ${show(item)}`);
      parts = pair.map((p, j) => asString(child(itemPlace, j), p));
    }
    const [left, right] = parts as [string, string];
    const id = (token: string): number => vocab.get(token) ?? fail(itemPlace, `token ${show(token)} of merge ${show(item)} is not in the vocabulary`);
    out.push([id(left), id(right), id(left + right)]);
  });
  if (out.length >= ID_LIMIT) fail(place, `${out.length} merges are more than this reader takes (${ID_LIMIT - 1})`);
  return out;
}

interface BpeOptions {
  unkToken: string | undefined;
  fuseUnk: boolean;
  byteFallback: boolean;
  ignoreMerges: boolean;
  source: string;
}

class Bpe implements BpeModel {
  readonly idLimit: number;
  readonly size: number;
  private readonly tokenOfId = new Map<number, string>();
  /** pair (left * ID_LIMIT + right) → rank; a pair listed twice keeps its last rank, as in the library. */
  private readonly rankOfPair = new Map<number, number>();
  private readonly mergedIdOfRank: Int32Array;
  /** Byte b's token "<0xBB>" id, or -1. */
  private readonly byteIds = new Int32Array(256).fill(-1);
  private readonly cache = new Map<string, number[]>();
  private readonly encoder = new TextEncoder();

  constructor(
    private readonly vocab: Map<string, number>,
    merges: Array<[number, number, number]>,
    private readonly options: BpeOptions,
  ) {
    let limit = 0;
    for (const [token, id] of vocab) {
      this.tokenOfId.set(id, token);
      limit = Math.max(limit, id + 1);
    }
    this.idLimit = limit;
    this.size = vocab.size;
    this.mergedIdOfRank = new Int32Array(merges.length);
    merges.forEach(([left, right, merged], rank) => {
      this.rankOfPair.set(left * ID_LIMIT + right, rank);
      this.mergedIdOfRank[rank] = merged;
    });
    for (let b = 0; b < 256; b++) this.byteIds[b] = vocab.get(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`) ?? -1;
  }

  tokenToId(token: string): number | undefined {
    return this.vocab.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.tokenOfId.get(id);
  }

  tokenize(piece: string): number[] {
    if (piece === '') return [];
    if (this.options.ignoreMerges) {
      const whole = this.vocab.get(piece);
      if (whole !== undefined) return [whole];
    }
    const cached = this.cache.get(piece);
    if (cached !== undefined) return cached;
    const ids = this.merge(this.symbols(piece));
    if (piece.length <= CACHE_MAX_PIECE) {
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(piece, ids);
    }
    return ids;
  }

  /** The ids of the piece's characters before any merge (byte fallback and unknowns applied). */
  private symbols(piece: string): number[] {
    const out: number[] = [];
    // An unknown character waits here, so that the next unknown can be fused with it.
    let pendingUnk = -1;
    for (const char of piece) {
      const id = this.vocab.get(char);
      if (id !== undefined) {
        if (pendingUnk >= 0) out.push(pendingUnk);
        pendingUnk = -1;
        out.push(id);
        continue;
      }
      if (this.options.byteFallback) {
        const byteIds = Array.from(this.encoder.encode(char), (b) => this.byteIds[b]!);
        // As in the library, a waiting unknown is not emitted before these bytes.
        if (byteIds.every((b) => b >= 0)) {
          out.push(...byteIds);
          continue;
        }
      }
      const unkToken = this.options.unkToken;
      if (unkToken === undefined) continue;
      const unkId = this.vocab.get(unkToken);
      if (unkId === undefined) throw new Error(`${this.options.source}: model.unk_token ${show(unkToken)} is not in the vocabulary, and ${show(char)} needs it`);
      if (pendingUnk >= 0 && !this.options.fuseUnk) out.push(pendingUnk);
      pendingUnk = unkId;
    }
    if (pendingUnk >= 0) out.push(pendingUnk);
    return out;
  }

  /** Merges the lowest-ranked adjacent pair, leftmost first, until no pair has a merge. */
  private merge(ids: number[]): number[] {
    const n = ids.length;
    if (n < 2 || this.rankOfPair.size === 0) return ids;
    if (n >= POSITION_LIMIT) throw new RangeError(`${this.options.source}: a piece of ${n} characters is too long to encode`);
    const symbol = Int32Array.from(ids);
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    const alive = new Uint8Array(n).fill(1);
    const heap = new MinHeap();
    const pushPair = (pos: number): void => {
      const right = next[pos]!;
      if (right < 0) return;
      const rank = this.rankOfPair.get(symbol[pos]! * ID_LIMIT + symbol[right]!);
      if (rank !== undefined) heap.push(rank * POSITION_LIMIT + pos);
    };
    for (let i = 0; i + 1 < n; i++) pushPair(i);
    while (heap.size > 0) {
      const key = heap.pop();
      const pos = key % POSITION_LIMIT;
      const rank = (key - pos) / POSITION_LIMIT;
      const right = next[pos]!;
      // Entries go stale when a neighbour merges first; the pair at pos must still be this merge.
      if (alive[pos] === 0 || right < 0 || this.rankOfPair.get(symbol[pos]! * ID_LIMIT + symbol[right]!) !== rank) continue;
      symbol[pos] = this.mergedIdOfRank[rank]!;
      alive[right] = 0;
      const after = next[right]!;
      next[pos] = after;
      if (after >= 0) prev[after] = pos;
      if (prev[pos]! >= 0) pushPair(prev[pos]!);
      pushPair(pos);
    }
    const out: number[] = [];
    for (let i = 0; i >= 0; i = next[i]!) out.push(symbol[i]!);
    return out;
  }
}

/** A binary min-heap of non-negative numbers. */
class MinHeap {
  private readonly items: number[] = [];

  get size(): number {
    return this.items.length;
  }

  push(value: number): void {
    const items = this.items;
    let i = items.push(value) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent]! <= value) break;
      items[i] = items[parent]!;
      i = parent;
    }
    items[i] = value;
  }

  pop(): number {
    const items = this.items;
    const top = items[0]!;
    const last = items.pop()!;
    if (items.length > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= items.length) break;
        const right = left + 1;
        const child = right < items.length && items[right]! < items[left]! ? right : left;
        if (items[child]! >= last) break;
        items[i] = items[child]!;
        i = child;
      }
      items[i] = last;
    }
    return top;
  }
}
