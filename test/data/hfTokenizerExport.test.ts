/**
 * Our BpeTokenizer written as a Hugging Face tokenizer.json (bpeToHfTokenizerJson): the fixture
 * fastweights-bpe.tokenizer.json is that export of fastweights-bpe.json, and
 * fastweights-bpe.cases.json holds the ids and texts Hugging Face's `tokenizers` library gave
 * for it (scripts/make-tokenizer-fixtures.mjs).
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { BpeTokenizer } from '../../src/data/bpe.js';
import { loadCorpus } from '../../src/data/corpora.js';
import { FASTWEIGHTS_SPLIT_PATTERN, bpeToHfTokenizerJson } from '../../src/data/hfTokenizer/export.js';
import { parseHfTokenizer } from '../../src/data/hfTokenizer/index.js';
import { toJsRegExp } from '../../src/data/hfTokenizer/regex.js';
import { splitWords } from '../../src/data/pretokenize.js';

const FIXTURES = new URL('./fixtures/tokenizers/', import.meta.url);
const readJson = (name: string): unknown => JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8'));

type EncodeCase = [text: string, ids: number[], withSpecial: number[] | null, decoded: string | null, decodedKeep: string | null];
const fixture = BpeTokenizer.fromJSON(readJson('fastweights-bpe.json'));
const { variants } = readJson('fastweights-bpe.cases.json') as { variants: Array<{ encode: EncodeCase[]; decode: Array<[number[], string, string]> }> };
const cases = variants[0]!;
/** The only strings on which the two may disagree: the text of a special token (see export.ts). */
const SPECIAL_TEXT = /<pad>|<bos>|<eos>/;

describe('bpeToHfTokenizerJson', () => {
  it('writes the committed fixture from the committed tokenizer', () => {
    expect(bpeToHfTokenizerJson(fixture)).toEqual(readJson('fastweights-bpe.tokenizer.json'));
  });

  it("encodes every test string to the library's ids, except the text of special tokens", () => {
    const plain = cases.encode.filter(([text]) => !SPECIAL_TEXT.test(text));
    expect(plain.length).toBeGreaterThanOrEqual(200);
    expect(plain.filter(([text, ids]) => JSON.stringify(fixture.encode(text)) !== JSON.stringify(ids))).toEqual([]);
    // Where they disagree, the library cut the special token out and we spelled it in bytes.
    const special = cases.encode.filter(([text]) => SPECIAL_TEXT.test(text));
    expect(special.length).toBeGreaterThan(0);
    for (const [text, ids] of special) {
      expect(ids.some((id) => id < 3)).toBe(true);
      expect(fixture.encode(text).some((id) => id < 3)).toBe(false);
    }
  });

  it("decodes to the library's text, special tokens skipped", () => {
    for (const [text, ids, , decoded] of cases.encode) expect(fixture.decode(ids)).toBe(decoded ?? text);
    for (const [ids, skipping] of cases.decode) expect(fixture.decode(ids)).toBe(skipping);
  });

  it('is read back by parseHfTokenizer with the same ids and texts, on any string', () => {
    const hf = parseHfTokenizer(readJson('fastweights-bpe.tokenizer.json'), 'fastweights-bpe.tokenizer.json');
    expect(hf.vocabSize).toBe(fixture.vocabSize);
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (s) => {
        fc.pre(!SPECIAL_TEXT.test(s));
        const ids = fixture.encode(s);
        return JSON.stringify(hf.encode(s)) === JSON.stringify(ids) && hf.decode(ids) === fixture.decode(ids);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses a tokenizer in which two tokens stand for the same bytes', () => {
    // a·b → 259 "ab", b·c → 260 "bc", ab·c → 261 "abc", a·bc → 262 "abc" again.
    const [a, b, c] = [...'abc'].map((ch) => 3 + ch.charCodeAt(0));
    const twice = BpeTokenizer.fromJSON({ format: 'fastweights-bpe', version: 1, specialTokens: ['<pad>', '<bos>', '<eos>'], merges: [[a, b], [b, c], [259, c], [a, 260]] });
    expect(() => bpeToHfTokenizerJson(twice)).toThrow(/tokens 261 and 262 are the same bytes \("abc"\)/);
  });
});

describe('the exported pre-tokenizer pattern', () => {
  const pattern = toJsRegExp({ source: 'export', path: 'pattern' }, FASTWEIGHTS_SPLIT_PATTERN);
  const split = (s: string): string[] => [...s.matchAll(pattern)].map((m) => m[0]);

  it('cuts any string exactly as splitWords does', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => JSON.stringify(split(s)) === JSON.stringify(splitWords(s))),
      { numRuns: 1000 },
    );
    // The characters on which JavaScript's \s and Oniguruma's disagree.
    for (const s of ['a\u0085b', '!\u0085', 'a\ufeffb', '!\ufeff ', ' \ufeff\ufeffx']) expect(split(s)).toEqual(splitWords(s));
  });
});

describe('a trained tokenizer, exported and read back', () => {
  let trained: BpeTokenizer;
  beforeAll(() => {
    const text = loadCorpus('sotu').documents.map((d) => d.text).join('\n\n').slice(200_000, 300_000);
    trained = BpeTokenizer.train(text, { vocabSize: 1000 });
  });

  it('encodes and decodes like BpeTokenizer on mixed text', () => {
    const hf = parseHfTokenizer(JSON.stringify(bpeToHfTokenizerJson(trained)), 'trained');
    const word = fc.constantFrom(' the', ' nation', ' United States', "'s", ' 1861', '\n\n', '  ', '\t', ' é', ' 日本', ' 😀');
    const piece = fc.oneof(word, fc.string({ unit: 'grapheme', maxLength: 8 }));
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (pieces) => {
        const s = pieces.join('');
        fc.pre(!SPECIAL_TEXT.test(s));
        const ids = trained.encode(s);
        return JSON.stringify(hf.encode(s)) === JSON.stringify(ids) && hf.decode(ids) === s;
      }),
      { numRuns: 300 },
    );
  });
});
