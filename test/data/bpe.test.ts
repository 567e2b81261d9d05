import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { BOS_ID, BpeTokenizer, EOS_ID, PAD_ID } from '../../src/data/bpe.js';
import { loadCorpus } from '../../src/data/corpora.js';
import { splitWords } from '../../src/data/pretokenize.js';
import { MAX_TOKEN_BYTES } from '../../src/data/bpe-train.js';

const textOf = (tok: BpeTokenizer, id: number): string => new TextDecoder().decode(tok.tokenBytes(id));

// A small real training text: the first ~150 kB of the SOTU addresses, so training stays fast.
let sample = '';
let trained: BpeTokenizer;
beforeAll(() => {
  sample = loadCorpus('sotu')
    .documents.map((d) => d.text)
    .join('\n\n')
    .slice(0, 150_000);
  trained = BpeTokenizer.train(sample, { vocabSize: 800 });
});

describe('splitWords', () => {
  it('keeps a leading space with its word and splits contractions, digits and symbols', () => {
    expect(splitWords("We're 42 strong,  today!")).toEqual(['We', "'re", ' 42', ' strong', ',', ' ', ' today', '!']);
  });

  it('gives back the input when joined, for any string', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => splitWords(s).join('') === s));
  });
});

describe('BpeTokenizer.train', () => {
  it('learns the merges worked out by hand on a tiny text', () => {
    // Words: "low", " low" ×2, " lower", " lowest". Pair counts: l·o 5, o·w 5, ␠·l 4, w·e 2, rest 1.
    // l·o and o·w tie at 5; l·o has the smaller ids, so it goes first. Then lo·w (5), ␠·low (4),
    // ␠low·e (2); every remaining pair occurs once, below minFrequency 2, so training stops early.
    const tok = BpeTokenizer.train('low low low lower lowest', { vocabSize: 300 });
    expect(tok.merges.map((_, i) => textOf(tok, 259 + i))).toEqual(['lo', 'low', ' low', ' lowe']);
    expect(tok.vocabSize).toBe(263);
    expect(tok.encode(' lowest')).toEqual([262, 3 + 's'.charCodeAt(0), 3 + 't'.charCodeAt(0)]);
  });

  it('reaches the requested vocabulary size on real text and compresses it', () => {
    expect(trained.vocabSize).toBe(800);
    const ids = trained.encode(sample.slice(0, 20_000));
    expect(ids.length).toBeLessThan(20_000 / 3);
  });

  it('is deterministic', () => {
    const again = BpeTokenizer.train(sample, { vocabSize: 800 });
    expect(again.merges).toEqual(trained.merges);
  });

  it('reports progress after every merge', () => {
    const calls: Array<[number, number]> = [];
    BpeTokenizer.train(sample.slice(0, 20_000), { vocabSize: 300, onProgress: (done, total) => calls.push([done, total]) });
    expect(calls).toEqual(Array.from({ length: 41 }, (_, i) => [i + 1, 41]));
  });

  it('never learns a token longer than MAX_TOKEN_BYTES, so what it learns loads back', () => {
    // A run of one character merges by doubling: without the bound, 2048, 4096, … byte tokens.
    const tok = BpeTokenizer.train(`${'-'.repeat(5000)} x ${'-'.repeat(5000)}`, { vocabSize: 300 });
    const longest = Math.max(...Array.from({ length: tok.vocabSize }, (_, id) => tok.tokenBytes(id).length));
    expect(longest).toBe(MAX_TOKEN_BYTES);
    expect(BpeTokenizer.fromJSON(tok.toJSON()).encode('-'.repeat(5000))).toEqual(tok.encode('-'.repeat(5000)));
  });

  it('refuses impossible options', () => {
    expect(() => BpeTokenizer.train('abc', { vocabSize: 100 })).toThrow(/vocabSize.*got 100/);
    expect(() => BpeTokenizer.train('abc', { minFrequency: 0 })).toThrow(/minFrequency/);
  });
});

describe('encode / decode', () => {
  it('round-trips any well-formed string exactly', () => {
    // Mix words of the training text (so merges fire) with arbitrary Unicode, astral planes included.
    const words = [...new Set(splitWords(sample.slice(0, 5_000)))];
    const piece = fc.oneof(fc.constantFrom(...words), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }));
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 20 }), (pieces) => {
        const text = pieces.join('');
        return trained.decode(trained.encode(text)) === text;
      }),
      { numRuns: 300 },
    );
  });

  it('emits only ordinary token ids', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => trained.encode(s).every((id) => Number.isInteger(id) && id > EOS_ID && id < trained.vocabSize)),
    );
  });

  it('skips special tokens when decoding and rejects unknown ids', () => {
    const ids = trained.encode('Fellow-Citizens');
    expect(trained.decode([BOS_ID, ...ids, EOS_ID, PAD_ID])).toBe('Fellow-Citizens');
    expect(() => trained.decode([trained.vocabSize])).toThrow(/token id 800 is outside/);
    expect(() => trained.decode([1.5])).toThrow(/token id 1.5/);
  });

  it('keeps a leading byte order mark (U+FEFF) in the decoded text', () => {
    expect(trained.decode(trained.encode('\uFEFFstart'))).toBe('\uFEFFstart');
  });

  it('encodes the text "<bos>" as bytes, not as the special token', () => {
    expect(trained.encode('<bos>')).not.toContain(BOS_ID);
  });
});

describe('toJSON / fromJSON', () => {
  it('restores an equal tokenizer through JSON text', () => {
    const restored = BpeTokenizer.fromJSON(JSON.parse(JSON.stringify(trained)));
    expect(restored.toJSON()).toEqual(trained.toJSON());
    expect(restored.vocabSize).toBe(trained.vocabSize);
    const text = sample.slice(50_000, 60_000);
    expect(restored.encode(text)).toEqual(trained.encode(text));
  });

  it('refuses corrupt or foreign objects with a reason', () => {
    const good = trained.toJSON();
    const cases: Array<[unknown, RegExp]> = [
      [null, /expected an object/],
      [[1, 2], /expected an object/],
      [{ ...good, format: 'gpt2' }, /"format" must be "fastweights-bpe"/],
      [{ ...good, version: 2 }, /unsupported version 2/],
      [{ ...good, specialTokens: ['<pad>'] }, /specialTokens/],
      [{ ...good, merges: 'x' }, /"merges" must be an array/],
      [{ ...good, merges: [[3, 259]] }, /merge 0 must be a pair of token ids in \[3, 259\)/],
      [{ ...good, merges: [[3, 4, 5]] }, /merge 0/],
      [{ ...good, merges: [[2, 4]] }, /merge 0/],
      [{ ...good, merges: [[3, 4], [3, 4]] }, /merge 1 \[3,4\] repeats an earlier merge/],
    ];
    for (const [value, message] of cases) expect(() => BpeTokenizer.fromJSON(value)).toThrow(message);
  });
});
