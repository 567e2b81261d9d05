/**
 * Splits text into the "words" that byte-level BPE works on, GPT-2 style: an English contraction
 * suffix, or an optional single space followed by a run of letters, of digits, or of other
 * symbols, or a run of whitespace. A word keeps its leading space, so BPE merges can learn
 * " the" as one token but can never merge across a word boundary.
 *
 * Browser-safe: no Node imports.
 */

// Alternatives, tried in order at each position:
//   's 't 're 've 'm 'll 'd   contraction suffixes, kept apart from the word before them
//   ␠?letters  ␠?digits  ␠?other-symbols
//   whitespace not followed by a non-space (so the last space before a word stays with that word)
//   any remaining whitespace
const WORD_PATTERN = /'(?:s|t|re|ve|m|ll|d)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/**
 * The words of `text`, in order; joined they give back `text` exactly. The pattern above already
 * matches every character, but any gap between matches is kept as its own word anyway so that the
 * round trip cannot depend on that reasoning being right.
 */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let end = 0;
  for (const match of text.matchAll(WORD_PATTERN)) {
    const start = match.index;
    if (start > end) words.push(text.slice(end, start));
    words.push(match[0]);
    end = start + match[0].length;
  }
  if (end < text.length) words.push(text.slice(end));
  return words;
}
