/**
 * Added tokens (`added_tokens` of a tokenizer.json): strings cut out of the text before the
 * normalizer and the model see it, each encoded as its own id. Special tokens (`<s>`,
 * `<|endoftext|>`) are added tokens that `decode` can skip.
 *
 * Two passes, as in the library: tokens with `normalized: false` are found in the raw text; the
 * text between them is normalized, and tokens with `normalized: true` are then found (in their
 * normalized spelling) in that. At each position the longest token wins, the leftmost match
 * first. `single_word` drops a match that touches a word character (Unicode \w) on either side;
 * `lstrip` / `rstrip` let the token swallow the whitespace before / after it.
 *
 * Ids: as the library assigns them, in file order: the model's id when the content is in its
 * vocabulary, otherwise the next id after the vocabulary (the file's own "id" is not used).
 *
 * Browser-safe: no Node imports.
 */
import type { BpeModel } from './bpeModel.js';
import { asArray, asNonNegativeInteger, asObject, asString, child, fail, field, optionalBoolean, show, type JsonPlace } from './json.js';
import type { Normalizer } from './normalizers.js';
import { RUST_WORD_CHAR, WHITE_SPACE_CLASS, literalRegExp } from './regex.js';

export interface AddedToken {
  id: number;
  content: string;
  special: boolean;
  singleWord: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
}

/** A stretch of text on its way to the model, or an added token already found (`id`). */
export interface Segment {
  text: string;
  id?: number;
  /** Whether the segment starts the original text (see preTokenizers.ts). */
  atStart: boolean;
}

const TRAILING_SPACE = new RegExp(`[${WHITE_SPACE_CLASS}]*$`, 'u');
const LEADING_SPACE = new RegExp(`^[${WHITE_SPACE_CLASS}]*`, 'u');

export class AddedVocabulary {
  readonly tokens: readonly AddedToken[];
  private readonly byContent = new Map<string, AddedToken>();
  private readonly byId = new Map<number, AddedToken>();
  /** Finds the raw-text tokens; null when there are none. */
  private readonly rawMatcher: Matcher | null;
  /** Finds the normalized tokens in normalized text. */
  private readonly normalizedMatcher: Matcher | null;

  constructor(tokens: AddedToken[], normalizer: Normalizer | null) {
    this.tokens = tokens;
    for (const token of tokens) {
      this.byContent.set(token.content, token);
      this.byId.set(token.id, token);
    }
    this.rawMatcher = Matcher.of(tokens.filter((t) => !t.normalized).map((t) => [t.content, t]));
    this.normalizedMatcher = Matcher.of(tokens.filter((t) => t.normalized).map((t) => [normalizer === null ? t.content : normalizer(t.content), t]));
  }

  byContentOf(content: string): AddedToken | undefined {
    return this.byContent.get(content);
  }

  byIdOf(id: number): AddedToken | undefined {
    return this.byId.get(id);
  }

  /** The text cut at added tokens, the stretches between them normalized; empty stretches dropped. */
  split(text: string, normalizer: Normalizer | null): Segment[] {
    const out: Segment[] = [];
    for (const raw of this.find(this.rawMatcher, { text, atStart: true })) {
      if (raw.id !== undefined) {
        out.push(raw);
        continue;
      }
      const normalized = { text: normalizer === null ? raw.text : normalizer(raw.text), atStart: raw.atStart };
      out.push(...this.find(this.normalizedMatcher, normalized));
    }
    return out.filter((s) => s.text !== '');
  }

  private find(matcher: Matcher | null, segment: Segment): Segment[] {
    const { text } = segment;
    if (matcher === null || text === '') return [segment];
    const out: Segment[] = [];
    const piece = (start: number, end: number, id?: number): void => {
      out.push({ text: text.slice(start, end), id, atStart: segment.atStart && start === 0 });
    };
    let done = 0; // end of the last piece emitted
    for (const m of text.matchAll(matcher.regex)) {
      let start = m.index;
      let stop = start + m[0].length;
      const token = matcher.tokenOf.get(m[0])!;
      if (token.singleWord) {
        const wordBefore = start > 0 && RUST_WORD_CHAR.test(lastChar(text, start));
        const wordAfter = stop < text.length && RUST_WORD_CHAR.test(String.fromCodePoint(text.codePointAt(stop)!));
        if (wordBefore || wordAfter) continue;
      }
      if (token.lstrip) start = Math.max(TRAILING_SPACE.exec(text.slice(0, start))!.index, done);
      if (token.rstrip) stop += LEADING_SPACE.exec(text.slice(stop))![0].length;
      if (done < start) piece(done, start);
      piece(start, stop, token.id);
      done = stop;
    }
    if (done < text.length) piece(done, text.length);
    return out;
  }
}

/** The character (code point) that ends text[0, end). */
function lastChar(text: string, end: number): string {
  const low = text.charCodeAt(end - 1);
  return low >= 0xdc00 && low <= 0xdfff && end >= 2 ? text.slice(end - 2, end) : text.slice(end - 1, end);
}

/** Leftmost-longest search for a set of strings: an alternation, longest first. */
class Matcher {
  private constructor(
    readonly regex: RegExp,
    readonly tokenOf: Map<string, AddedToken>,
  ) {}

  static of(entries: Array<[string, AddedToken]>): Matcher | null {
    const usable = entries.filter(([pattern]) => pattern !== '');
    if (usable.length === 0) return null;
    const sorted = [...usable].sort((a, b) => b[0].length - a[0].length);
    const regex = new RegExp(sorted.map(([pattern]) => literalRegExp(pattern).source).join('|'), 'gu');
    return new Matcher(regex, new Map(sorted));
  }
}

/** Reads `added_tokens` and gives each token its id the library's way (see the file comment). */
export function parseAddedTokens(place: JsonPlace, value: unknown, model: BpeModel, normalizer: Normalizer | null): AddedVocabulary {
  const tokens: AddedToken[] = [];
  const seen = new Map<string, number>();
  let nextId = model.size;
  const list = value === undefined || value === null ? [] : asArray(place, value);
  list.forEach((item, i) => {
    const itemPlace = child(place, i);
    const obj = asObject(itemPlace, item);
    const content = asString(child(itemPlace, 'content'), field(itemPlace, obj, 'content'));
    asNonNegativeInteger(child(itemPlace, 'id'), field(itemPlace, obj, 'id'));
    if (content === '') return; // ignored by the library
    const earlier = seen.get(content);
    if (earlier !== undefined) fail(itemPlace, `content ${show(content)} repeats added_tokens[${earlier}]`);
    seen.set(content, i);
    const special = optionalBoolean(itemPlace, obj, 'special', false);
    let id = model.tokenToId(content);
    if (id === undefined) {
      id = nextId++;
      const taken = model.idToToken(id);
      if (taken !== undefined) fail(itemPlace, `${show(content)} would get id ${id}, which the vocabulary already gives to ${show(taken)} (its ids have gaps)`);
    }
    tokens.push({
      id,
      content,
      special,
      singleWord: optionalBoolean(itemPlace, obj, 'single_word', false),
      lstrip: optionalBoolean(itemPlace, obj, 'lstrip', false),
      rstrip: optionalBoolean(itemPlace, obj, 'rstrip', false),
      normalized: optionalBoolean(itemPlace, obj, 'normalized', !special),
    });
  });
  return new AddedVocabulary(tokens, normalizer);
}
