/**
 * Regular expressions of the Hugging Face `tokenizers` library, in JavaScript.
 *
 * The library compiles its patterns with Oniguruma (Ruby syntax), whose classes differ from
 * JavaScript's even with the `u` flag: `\s` is Unicode White_Space (U+0085 is a space, U+FEFF is
 * not; JavaScript's `\s` says the opposite), `\d` and `\w` are Unicode, `.` excludes only "\n",
 * and `^`/`$` are line anchors. `toJsRegExp` rewrites those escapes into explicit JavaScript; syntax
 * it does not translate (atomic groups, inline flags, possessive quantifiers, ...) is refused with
 * an error rather than run with another meaning.
 *
 * Browser-safe: no Node imports.
 */
import { fail, show, type JsonPlace } from './json.js';

/** Unicode White_Space, the meaning of `\s` in Oniguruma and in Rust's regex crate. */
export const WHITE_SPACE_CLASS = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
/**
 * Oniguruma's `\w` inside a character class: alphabetic characters, marks, decimal digits and
 * connector punctuation. Outside a class it also takes the Latin-1 "²³¹¼½¾" (both found by
 * comparing every code point with the library).
 */
const ONIG_WORD_CLASS = '\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}';
const ONIG_WORD_OUTSIDE_CLASS = `${ONIG_WORD_CLASS}\\u00b2\\u00b3\\u00b9\\u00bc-\\u00be`;
/** Rust regex's `\w` (Unicode), used by the added-token `single_word` check. */
export const RUST_WORD_CHAR = /[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]/u;

/** The pattern of the ByteLevel pre-tokenizer (GPT-2's), with Oniguruma's `\s`. */
export const BYTE_LEVEL_PATTERN = new RegExp(
  `'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^${WHITE_SPACE_CLASS}\\p{L}\\p{N}]+|[${WHITE_SPACE_CLASS}]+(?![^${WHITE_SPACE_CLASS}])|[${WHITE_SPACE_CLASS}]+`,
  'gu',
);

/** Escapes outside (first) and inside (second) a character class; null inside = refused there. */
const CLASS_ESCAPES: Record<string, readonly [string, string | null]> = {
  s: [`[${WHITE_SPACE_CLASS}]`, WHITE_SPACE_CLASS],
  S: [`[^${WHITE_SPACE_CLASS}]`, null],
  d: ['\\p{Nd}', '\\p{Nd}'],
  D: ['\\P{Nd}', '\\P{Nd}'],
  w: [`[${ONIG_WORD_OUTSIDE_CLASS}]`, ONIG_WORD_CLASS],
  W: [`[^${ONIG_WORD_OUTSIDE_CLASS}]`, null],
  h: ['[0-9a-fA-F]', '0-9a-fA-F'],
  H: ['[^0-9a-fA-F]', null],
};
/** Escapes with the same meaning in both dialects. */
const SAME_ESCAPES = new Set(['t', 'n', 'r', 'f', 'v', 'p', 'P', 'u', 'x']);
/** Characters JavaScript's `u` mode lets a backslash stand before (and "-", inside a class). */
const JS_SYNTAX_CHARS = new Set([...'^$\\.*+?()[]{}|/']);

/**
 * Compiles an Oniguruma pattern from a tokenizer.json as an equivalent JavaScript RegExp (flags
 * `gu`), or throws naming the pattern and the construct that has no translation here.
 */
export function toJsRegExp(place: JsonPlace, pattern: string): RegExp {
  const refuse = (what: string): never => fail(place, `regex ${show(pattern)}: ${what} is not supported by this reader`);
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      const e = pattern[i + 1];
      if (e === undefined) refuse('a trailing backslash');
      i++;
      const classEscape = CLASS_ESCAPES[e!];
      if (classEscape !== undefined) {
        const replacement = inClass ? classEscape[1] : classEscape[0];
        if (replacement === null) refuse(`\\${e} inside a character class`);
        out += replacement;
      } else if (e === 'x' && pattern[i + 1] === '{') {
        out += '\\u'; // \x{HHHH} is Oniguruma's spelling of \u{HHHH}
      } else if (SAME_ESCAPES.has(e!)) {
        out += `\\${e}`;
      } else if (/[0-9A-Za-z]/.test(e!)) {
        refuse(`the escape \\${e}`);
      } else {
        out += JS_SYNTAX_CHARS.has(e!) || (inClass && e === '-') ? `\\${e}` : e;
      }
    } else if (inClass) {
      if (c === '[') refuse('a nested character class');
      if (c === ']') inClass = false;
      out += c;
    } else if (c === '[') {
      inClass = true;
      out += c;
      if (pattern[i + 1] === '^') out += pattern[++i];
      if (pattern[i + 1] === ']') refuse('a "]" first in a character class');
    } else if (c === '.') {
      out += '[^\\n]';
    } else if (c === '^') {
      out += '(?<![^\\n])';
    } else if (c === '$') {
      out += '(?![^\\n])';
    } else if (c === '(' && pattern[i + 1] === '?') {
      // Plain, look-around and named groups mean the same; inline flags and atomic groups do not.
      if (!/^\(\?(?::|=|!|<=|<!|<[A-Za-z])/.test(pattern.slice(i, i + 4))) refuse(`the group "${pattern.slice(i, i + 3)}"`);
      out += c;
    } else {
      out += c;
    }
  }
  try {
    return new RegExp(out, 'gu');
  } catch (error) {
    return refuse(`syntax that JavaScript cannot compile (${(error as Error).message})`);
  }
}

/** A string pattern, matched literally (the library escapes it into a regex: "" matches everywhere). */
export function literalRegExp(text: string): RegExp {
  return new RegExp(text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&'), 'gu');
}

/**
 * The text cut into consecutive [start, end, isMatch] ranges, as the library's `find_matches`
 * does: an empty text gives one empty non-match, and an empty match right after another match is
 * skipped (as Oniguruma's iterator does).
 */
export function findMatches(regex: RegExp, text: string): Array<[number, number, boolean]> {
  if (text === '') return [[0, 0, false]];
  const out: Array<[number, number, boolean]> = [];
  let previous = 0;
  let lastMatchEnd = -1;
  for (const m of text.matchAll(regex)) {
    const start = m.index;
    const end = start + m[0].length;
    if (start === end && start === lastMatchEnd) continue;
    if (start !== previous) out.push([previous, start, false]);
    out.push([start, end, true]);
    previous = end;
    lastMatchEnd = end;
  }
  if (previous !== text.length) out.push([previous, text.length, false]);
  return out;
}
