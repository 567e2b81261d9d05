/**
 * This project's byte-level BPE (`BpeTokenizer`) as a Hugging Face tokenizer.json, so that the
 * `tokenizers` library (and transformers' PreTrainedTokenizerFast) encodes text to the same ids.
 *
 * The vocabulary keeps our ids: `<pad>` `<bos>` `<eos>` (0-2, special added tokens), the 256
 * bytes (3 + byte) in the byte-level alphabet, then one token per merge in merge order. Our
 * pre-tokenizer (pretokenize.ts) is GPT-2's pattern, but under JavaScript's `\s`, which differs
 * from Oniguruma's (U+0085, U+FEFF); so the file spells the pattern out with JavaScript's space
 * class in a Split, followed by a ByteLevel step that only maps bytes to characters.
 *
 * Where the two cannot agree: text containing the literal strings "<pad>", "<bos>" or "<eos>".
 * `BpeTokenizer.encode` spells those out in bytes; the library, like any tokenizer with added
 * tokens, cuts them out as the special token. Every other string encodes to the same ids
 * (test/data/hfTokenizerExport.test.ts checks ids the library produced).
 *
 * Browser-safe: no Node imports.
 */
import { SPECIAL_TOKENS, type BpeTokenizer } from '../bpe.js';
import { bytesToByteLevel } from './byteLevel.js';

/** JavaScript's `\s`, written out. */
const JS_SPACE = '\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff';

/** pretokenize.ts's WORD_PATTERN with `\s` spelled out, for Oniguruma. */
export const FASTWEIGHTS_SPLIT_PATTERN = `'(?:s|t|re|ve|m|ll|d)| ?\\p{L}+| ?\\p{N}+| ?[^${JS_SPACE}\\p{L}\\p{N}]+|[${JS_SPACE}]+(?![^${JS_SPACE}])|[${JS_SPACE}]+`;

/** The tokenizer.json of a BpeTokenizer; throws if two of its tokens stand for the same bytes. */
export function bpeToHfTokenizerJson(tokenizer: BpeTokenizer): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  const idOf = (token: string, id: number): void => {
    if (token in vocab) throw new Error(`bpeToHfTokenizerJson: tokens ${vocab[token]} and ${id} are the same bytes (${JSON.stringify(token)}); a tokenizer.json vocabulary cannot hold both`);
    vocab[token] = id;
  };
  SPECIAL_TOKENS.forEach((token, id) => idOf(token, id));
  const textOf = (id: number): string => (id < SPECIAL_TOKENS.length ? SPECIAL_TOKENS[id]! : bytesToByteLevel(tokenizer.tokenBytes(id)));
  for (let id = SPECIAL_TOKENS.length; id < tokenizer.vocabSize; id++) idOf(textOf(id), id);
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: null,
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [{ type: 'Split', pattern: { Regex: FASTWEIGHTS_SPLIT_PATTERN }, behavior: 'Isolated', invert: false }, byteLevel],
    },
    post_processor: byteLevel,
    decoder: byteLevel,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      // "left right" strings: byte-level tokens never contain a space, and older versions of the library read only this form.
      merges: tokenizer.merges.map(([left, right]) => `${textOf(left)} ${textOf(right)}`),
    },
  };
}
