/**
 * Pre-tokenizers of a tokenizer.json: they cut the (normalized) text into the pieces that the BPE
 * model encodes one by one, so no merge crosses a piece boundary.
 *
 * A piece remembers whether it starts the original text (`atStart`): Metaspace's
 * `prepend_scheme: "first"` adds its "▁" only there. The library asks whether the piece's offset
 * in the original text is 0; here that is the first piece of the first segment, which is the
 * same unless a normalizer deletes the text's first characters.
 *
 * Browser-safe: no Node imports.
 */
import { bytesToByteLevel } from './byteLevel.js';
import { asChar, asString, child, fail, field, optionalBoolean, parseComponent, sequenceParts, show, unsupportedType, type JsonPlace } from './json.js';
import { parsePattern } from './normalizers.js';
import { BYTE_LEVEL_PATTERN, findMatches, literalRegExp } from './regex.js';

export interface Piece {
  text: string;
  atStart: boolean;
}

export type PreTokenizer = (pieces: Piece[]) => Piece[];

const SUPPORTED = ['ByteLevel', 'Metaspace', 'Split', 'Sequence'] as const;

/** How the matches of a Split pattern become pieces (the library's SplitDelimiterBehavior). */
export type SplitBehavior = 'Removed' | 'Isolated' | 'MergedWithPrevious' | 'MergedWithNext' | 'Contiguous';
const BEHAVIORS: readonly SplitBehavior[] = ['Removed', 'Isolated', 'MergedWithPrevious', 'MergedWithNext', 'Contiguous'];

export type PrependScheme = 'first' | 'always' | 'never';

export function parsePreTokenizer(place: JsonPlace, value: unknown): PreTokenizer | null {
  return parseComponent(place, value, 'pre-tokenizer', (obj, type): PreTokenizer => {
    switch (type) {
      case 'Sequence': {
        const steps = sequenceParts(place, obj, 'pretokenizers', parsePreTokenizer);
        return (pieces) => steps.reduce((p, step) => step(p), pieces);
      }
      case 'ByteLevel': {
        const addPrefixSpace = optionalBoolean(place, obj, 'add_prefix_space', true);
        const useRegex = optionalBoolean(place, obj, 'use_regex', true);
        return (pieces) => byteLevel(pieces, addPrefixSpace, useRegex);
      }
      case 'Metaspace': {
        const replacement = asChar(child(place, 'replacement'), field(place, obj, 'replacement'));
        const scheme = parsePrependScheme(place, obj);
        const split = optionalBoolean(place, obj, 'split', true);
        return (pieces) => metaspace(pieces, replacement, scheme, split);
      }
      case 'Split': {
        const pattern = parsePattern(child(place, 'pattern'), field(place, obj, 'pattern'));
        const behaviorPlace = child(place, 'behavior');
        const behavior = asString(behaviorPlace, field(place, obj, 'behavior'));
        if (!BEHAVIORS.includes(behavior as SplitBehavior)) fail(behaviorPlace, `unknown split behavior ${show(behavior)} (expected one of ${BEHAVIORS.join(', ')})`);
        const invert = optionalBoolean(place, obj, 'invert', false);
        return (pieces) => pieces.flatMap((piece) => splitPiece(piece, pattern, behavior as SplitBehavior, invert));
      }
      default:
        return unsupportedType(place, 'pre-tokenizer', type, SUPPORTED);
    }
  });
}

/**
 * Metaspace's "prepend_scheme"; older files say `"add_prefix_space": true | false` instead
 * (false means "never", as the library reads them).
 */
export function parsePrependScheme(place: JsonPlace, obj: Record<string, unknown>): PrependScheme {
  const addPrefixSpace = obj.add_prefix_space;
  let scheme: PrependScheme = 'always';
  if (obj.prepend_scheme !== undefined && obj.prepend_scheme !== null) {
    const schemePlace = child(place, 'prepend_scheme');
    const given = asString(schemePlace, obj.prepend_scheme);
    if (given !== 'first' && given !== 'always' && given !== 'never') fail(schemePlace, `expected "first", "always" or "never", got ${show(given)}`);
    scheme = given;
  }
  if (addPrefixSpace === false) {
    if (scheme !== 'never' && obj.prepend_scheme !== undefined) fail(child(place, 'add_prefix_space'), `false contradicts prepend_scheme ${show(scheme)}`);
    scheme = 'never';
  }
  return scheme;
}

/**
 * Cuts a piece at the pattern's matches. The first sub-piece keeps the piece's `atStart`;
 * empty sub-pieces are dropped, as the library drops them.
 */
export function splitPiece(piece: Piece, pattern: RegExp, behavior: SplitBehavior, invert: boolean): Piece[] {
  const matches = findMatches(pattern, piece.text).map(([s, e, isMatch]) => [s, e, invert ? !isMatch : isMatch] as [number, number, boolean]);
  const ranges: Array<[number, number]> = [];
  if (behavior === 'Removed') {
    for (const [s, e, isMatch] of matches) if (!isMatch) ranges.push([s, e]);
  } else if (behavior === 'Isolated') {
    for (const [s, e] of matches) ranges.push([s, e]);
  } else if (behavior === 'Contiguous') {
    let previousMatch = false;
    for (const [s, e, isMatch] of matches) {
      if (isMatch === previousMatch && ranges.length > 0) ranges[ranges.length - 1]![1] = e;
      else ranges.push([s, e]);
      previousMatch = isMatch;
    }
  } else if (behavior === 'MergedWithPrevious') {
    let previousMatch = false;
    for (const [s, e, isMatch] of matches) {
      if (isMatch && !previousMatch && ranges.length > 0) ranges[ranges.length - 1]![1] = e;
      else ranges.push([s, e]);
      previousMatch = isMatch;
    }
  } else {
    // MergedWithNext: the mirror image, walking from the end.
    let previousMatch = false;
    for (let i = matches.length - 1; i >= 0; i--) {
      const [s, e, isMatch] = matches[i]!;
      if (isMatch && !previousMatch && ranges.length > 0) ranges[ranges.length - 1]![0] = s;
      else ranges.push([s, e]);
      previousMatch = isMatch;
    }
    ranges.reverse();
  }
  return ranges
    .filter(([s, e]) => e > s)
    .map(([s, e]) => ({ text: piece.text.slice(s, e), atStart: piece.atStart && s === 0 }));
}

function byteLevel(pieces: Piece[], addPrefixSpace: boolean, useRegex: boolean): Piece[] {
  const encoder = new TextEncoder();
  const out: Piece[] = [];
  for (const piece of pieces) {
    const text = addPrefixSpace && !piece.text.startsWith(' ') ? ` ${piece.text}` : piece.text;
    const parts = useRegex ? splitPiece({ text, atStart: piece.atStart }, BYTE_LEVEL_PATTERN, 'Isolated', false) : [{ text, atStart: piece.atStart }];
    for (const part of parts) out.push({ text: bytesToByteLevel(encoder.encode(part.text)), atStart: part.atStart });
  }
  return out;
}

function metaspace(pieces: Piece[], replacement: string, scheme: PrependScheme, split: boolean): Piece[] {
  const splitter = literalRegExp(replacement);
  return pieces.flatMap((piece) => {
    let text = piece.text.replaceAll(' ', () => replacement);
    if ((scheme === 'always' || (scheme === 'first' && piece.atStart)) && !text.startsWith(replacement)) text = replacement + text;
    const replaced = { text, atStart: piece.atStart };
    return split ? splitPiece(replaced, splitter, 'MergedWithNext', false) : [replaced];
  });
}
