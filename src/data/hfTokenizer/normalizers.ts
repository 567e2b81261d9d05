/**
 * Normalizers of a tokenizer.json: string → string, applied to each piece of text between added
 * tokens before pre-tokenization. The Llama/Mistral SentencePiece style uses
 * Sequence[Prepend "▁", Replace " " → "▁"].
 *
 * Browser-safe: no Node imports.
 */
import { asObject, asString, child, fail, field, optionalBoolean, parseComponent, sequenceParts, show, unsupportedType, type JsonPlace } from './json.js';
import { WHITE_SPACE_CLASS, findMatches, literalRegExp, toJsRegExp } from './regex.js';

export type Normalizer = (text: string) => string;

const SUPPORTED = ['Sequence', 'Prepend', 'Replace', 'NFC', 'NFD', 'NFKC', 'NFKD', 'Lowercase', 'Strip'] as const;

const LEADING_SPACE = new RegExp(`^[${WHITE_SPACE_CLASS}]+`, 'u');
const TRAILING_SPACE = new RegExp(`[${WHITE_SPACE_CLASS}]+$`, 'u');

/** A normalizer from its JSON; null stays null (no normalizer). */
export function parseNormalizer(place: JsonPlace, value: unknown): Normalizer | null {
  return parseComponent(place, value, 'normalizer', (obj, type): Normalizer => {
    switch (type) {
      case 'Sequence': {
        const parts = sequenceParts(place, obj, 'normalizers', parseNormalizer);
        return (text) => parts.reduce((t, normalize) => normalize(t), text);
      }
      case 'Prepend': {
        const prepend = asString(child(place, 'prepend'), field(place, obj, 'prepend'));
        return (text) => (text === '' ? text : prepend + text);
      }
      case 'Replace': {
        const replace = parseReplace(place, obj);
        return (text) => replace(text);
      }
      case 'NFC':
      case 'NFD':
      case 'NFKC':
      case 'NFKD':
        return (text) => text.normalize(type);
      case 'Lowercase':
        // Character by character, as the library does: no context rule such as the final sigma.
        return (text) => Array.from(text, (c) => c.toLowerCase()).join('');
      case 'Strip': {
        const left = optionalBoolean(place, obj, 'strip_left', false);
        const right = optionalBoolean(place, obj, 'strip_right', false);
        return (text) => {
          let t = left ? text.replace(LEADING_SPACE, '') : text;
          if (right) t = t.replace(TRAILING_SPACE, '');
          return t;
        };
      }
      default:
        return unsupportedType(place, 'normalizer', type, SUPPORTED);
    }
  });
}

/**
 * The Replace component (a normalizer, and a decoder of single tokens): every match of
 * `pattern` ({"String": ...} matched literally, or {"Regex": ...}) becomes `content`.
 */
export function parseReplace(place: JsonPlace, obj: Record<string, unknown>): (text: string) => string {
  const patternPlace = child(place, 'pattern');
  const pattern = parsePattern(patternPlace, field(place, obj, 'pattern'));
  const content = asString(child(place, 'content'), field(place, obj, 'content'));
  const literal = asObject(patternPlace, obj.pattern).String;
  // A literal pattern is what replaceAll does; a regex goes through the library's match rules.
  if (typeof literal === 'string' && literal !== '') return (text) => text.replaceAll(literal, () => content);
  return (text) => {
    let out = '';
    for (const [start, end, isMatch] of findMatches(pattern, text)) out += isMatch ? content : text.slice(start, end);
    return out;
  };
}

/** A pattern object: {"String": "..."} (matched literally) or {"Regex": "..."}. */
export function parsePattern(place: JsonPlace, value: unknown): RegExp {
  const obj = asObject(place, value);
  const keys = Object.keys(obj);
  if (keys.length === 1 && keys[0] === 'String') return literalRegExp(asString(child(place, 'String'), obj.String));
  if (keys.length === 1 && keys[0] === 'Regex') return toJsRegExp(child(place, 'Regex'), asString(child(place, 'Regex'), obj.Regex));
  return fail(place, `expected {"String": ...} or {"Regex": ...}, got ${show(value)}`);
}
