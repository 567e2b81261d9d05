/**
 * The tokenizer.json reader against Hugging Face's `tokenizers` library: the fixtures in
 * fixtures/tokenizers/ hold the ids and texts the library gave for a few hundred tricky strings
 * (written once by scripts/make-tokenizer-fixtures.mjs), for a Llama-style byte-fallback BPE and a
 * GPT-2 style byte-level BPE, each also with components swapped ("variants").
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadHfTokenizer } from '../../src/data/hfTokenizerFile.js';
import { parseHfTokenizer, type HfTokenizer } from '../../src/data/hfTokenizer/index.js';
import { parseNormalizer } from '../../src/data/hfTokenizer/normalizers.js';
import { parsePreTokenizer } from '../../src/data/hfTokenizer/preTokenizers.js';

const FIXTURES = new URL('./fixtures/tokenizers/', import.meta.url);
const fixturePath = (name: string): string => new URL(name, FIXTURES).pathname;
const readJson = (name: string): Record<string, unknown> => JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')) as Record<string, unknown>;

type EncodeCase = [text: string, ids: number[], withSpecial: number[] | null, decoded: string | null, decodedKeep: string | null];
type DecodeCase = [ids: number[], skipping: string, keeping: string];
interface Variant {
  name: string;
  patch: Record<string, unknown>;
  encode: EncodeCase[];
  decode: DecodeCase[];
}

/** The file with the variant's components in place of its own (as the fixture script does). */
function applyPatch(json: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...json, model: { ...(json.model as object) } };
  for (const [key, value] of Object.entries(patch)) {
    if (key === 'model') Object.assign(out.model as object, value);
    else out[key] = value;
  }
  return out;
}

function variantsOf(kind: string): Array<{ variant: Variant; tokenizer: HfTokenizer }> {
  const json = readJson(`${kind}.tokenizer.json`);
  const { variants } = readJson(`${kind}.cases.json`) as { variants: Variant[] };
  return variants.map((variant) => ({ variant, tokenizer: parseHfTokenizer(applyPatch(json, variant.patch), `${kind} (${variant.name})`) }));
}

const KINDS = ['llama-bytefallback', 'gpt2-bytelevel', 'fastweights-bpe'] as const;

describe.each(KINDS)('%s: the library\'s ids and texts', (kind) => {
  const variants = variantsOf(kind);

  it('has at least 200 test strings for the file itself', () => {
    expect(variants[0]!.variant.encode.length).toBeGreaterThanOrEqual(200);
  });

  it.each(variants.map((v) => [v.variant.name, v] as const))('%s: encode', (_name, { variant, tokenizer }) => {
    const wrong: unknown[] = [];
    for (const [text, ids, withSpecial] of variant.encode) {
      const plain = tokenizer.encode(text, { addSpecialTokens: false });
      const special = tokenizer.encode(text);
      if (JSON.stringify(plain) !== JSON.stringify(ids)) wrong.push({ text, expected: ids, got: plain });
      if (JSON.stringify(special) !== JSON.stringify(withSpecial ?? ids)) wrong.push({ text, special: true, expected: withSpecial ?? ids, got: special });
    }
    expect(wrong).toEqual([]);
  });

  it.each(variants.map((v) => [v.variant.name, v] as const))('%s: decode', (_name, { variant, tokenizer }) => {
    const wrong: unknown[] = [];
    for (const [text, ids, withSpecial, decoded, decodedKeep] of variant.encode) {
      const skipping = tokenizer.decode(ids);
      const keeping = tokenizer.decode(withSpecial ?? ids, { skipSpecialTokens: false });
      if (skipping !== (decoded ?? text)) wrong.push({ ids, expected: decoded ?? text, got: skipping });
      if (keeping !== (decodedKeep ?? decoded ?? text)) wrong.push({ ids: withSpecial ?? ids, keep: true, expected: decodedKeep ?? decoded ?? text, got: keeping });
    }
    for (const [ids, skipping, keeping] of variant.decode) {
      if (tokenizer.decode(ids) !== skipping) wrong.push({ ids, expected: skipping, got: tokenizer.decode(ids) });
      if (tokenizer.decode(ids, { skipSpecialTokens: false }) !== keeping) wrong.push({ ids, keep: true, expected: keeping, got: tokenizer.decode(ids, { skipSpecialTokens: false }) });
    }
    expect(wrong).toEqual([]);
  });

  it.each(variants.map((v) => [v.variant.name, v] as const))('%s: streamed decoding joins to decode', (_name, { variant, tokenizer }) => {
    const sequences = [...variant.encode.map((c) => c[2] ?? c[1]), ...variant.decode.map((c) => c[0])];
    for (const skipSpecialTokens of [true, false]) {
      for (const ids of sequences) {
        const stream = tokenizer.createStreamDecoder({ skipSpecialTokens });
        const text = ids.map((id) => stream.push(id)).join('') + stream.flush();
        expect(text).toBe(tokenizer.decode(ids, { skipSpecialTokens }));
      }
    }
  });
});

describe('single components: the library\'s output for each', () => {
  type Output = string | string[] | number[];
  type ComponentCase = [kind: 'normalizer' | 'pre_tokenizer' | 'tokenizer', component: unknown, pairs: Array<[input: string, output: Output]>];
  const { cases } = readJson('components.cases.json') as { cases: ComponentCase[] };
  const place = { source: 'components.cases.json', path: 'component' };
  /** Every [input, output] of the components of one kind, with what `run` gives instead where it differs. */
  const mismatches = (kind: ComponentCase[0], run: (component: unknown, input: string) => Output) => {
    const pairs = cases.filter((c) => c[0] === kind).flatMap(([, component, inputs]) => inputs.map(([input, output]) => ({ component, input, expected: output })));
    const wrong = pairs.map((p) => ({ ...p, got: run(p.component, p.input) })).filter((p) => JSON.stringify(p.got) !== JSON.stringify(p.expected));
    return { count: pairs.length, wrong };
  };

  it('normalizers (Replace with regexes and literals, Lowercase, Strip, Prepend, NFC/NFD/NFKC/NFKD, Sequence)', () => {
    const { count, wrong } = mismatches('normalizer', (component, input) => parseNormalizer(place, component)!(input));
    expect(count).toBeGreaterThan(15);
    expect(wrong).toEqual([]);
  });

  it('pre-tokenizers (Split with translated Oniguruma regexes and every behaviour, Metaspace, ByteLevel)', () => {
    const { count, wrong } = mismatches('pre_tokenizer', (component, input) => parsePreTokenizer(place, component)!([{ text: input, atStart: true }]).map((p) => p.text));
    expect(count).toBeGreaterThan(150);
    expect(wrong).toEqual([]);
  });

  it('a BPE whose byte fallback lacks bytes: unknowns, byte tokens and fusing interleave as in the library', () => {
    const { count, wrong } = mismatches('tokenizer', (json, input) => parseHfTokenizer(json, 'tiny').encode(input));
    expect(count).toBe(14);
    expect(wrong).toEqual([]);
  });
});

describe('Llama-style byte fallback', () => {
  const llama = loadHfTokenizer(fixturePath('llama-bytefallback.tokenizer.json'));

  it('reads the vocabulary, added tokens and ids like the library', () => {
    expect(llama.vocabSize).toBe(1091);
    expect(llama.tokenToId('<s>')).toBe(1);
    expect(llama.tokenToId('<0x0A>')).toBe(3 + 0x0a);
    expect(llama.idToToken(3 + 0xe2)).toBe('<0xE2>');
    expect(llama.idToToken(2)).toBe('</s>');
    expect(llama.idToToken(llama.vocabSize)).toBeUndefined();
    expect(llama.addedTokens.map((t) => [t.content, t.id, t.special])).toEqual([
      ['<unk>', 0, true],
      ['<s>', 1, true],
      ['</s>', 2, true],
      ['[INST]', 1087, true],
      ['[/INST]', 1088, true],
      ['Zürich', 1089, false],
      ['ok go', 1090, false],
    ]);
  });

  it('prepends <s> only when asked, and spells a character outside the vocabulary in bytes', () => {
    const sum = llama.encode('∑', { addSpecialTokens: false });
    expect(sum.map((id) => llama.idToToken(id))).toEqual(['▁', '<0xE2>', '<0x88>', '<0x91>']);
    expect(llama.encode('∑')).toEqual([1, ...sum]);
    expect(llama.decode([1, ...sum])).toBe('∑');
  });

  it('round-trips arbitrary text (no added token inside; the decoder strips one leading space)', () => {
    // The normalizer adds "▁" in front and the decoder's Strip takes one space off again, so
    // decode(encode(s)) === s for every s without added-token text (lone surrogates aside) and
    // without "▁" itself, which the decoder turns into a space as Hugging Face's does (next test).
    const addedText = /<unk>|<s>|<\/s>|\[INST\]|\[\/INST\]|Zürich|ok go|▁/;
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (s) => {
        fc.pre(!addedText.test(s));
        return llama.decode(llama.encode(s)) === s;
      }),
      { numRuns: 300 },
    );
  });

  it('decodes a literal "▁" in the text as a space, as the Metaspace decoder does', () => {
    expect(llama.decode(llama.encode('a▁b'))).toBe('a b');
    expect(llama.decode(llama.encode('▁'))).toBe(' ');
  });

  it('streams a character split over byte tokens only when it is complete', () => {
    const ids = llama.encode(' 👍🏽 ok', { addSpecialTokens: false });
    const stream = llama.createStreamDecoder();
    const chunks = ids.map((id) => stream.push(id));
    expect(chunks.join('') + stream.flush()).toBe(' 👍🏽 ok');
    expect(chunks.every((c) => !c.includes('\uFFFD'))).toBe(true);
  });

  it('decodes an invalid byte run to one U+FFFD per byte, and refuses ids outside the vocabulary', () => {
    expect(llama.decode([3 + 0xe2, 3 + 0x82, llama.tokenToId('a')!])).toBe('\uFFFD\uFFFDa');
    expect(() => llama.decode([llama.vocabSize])).toThrow(/token id 1091 \(at 0\) is not in the vocabulary/);
    expect(() => llama.decode([1.5])).toThrow(/token id 1.5/);
  });
});

describe('GPT-2 style byte-level BPE', () => {
  const gpt2 = loadHfTokenizer(fixturePath('gpt2-bytelevel.tokenizer.json'));

  it('round-trips any string, and streams to the same text', () => {
    const special = /<\|endoftext\|>|<\|user\|>|<\|assistant\|>|\[MASK\]/;
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (raw) => {
        fc.pre(!special.test(raw));
        const s = raw.replace(/\p{Cs}/gu, '\uFFFD'); // lone surrogates have no UTF-8 form
        const ids = gpt2.encode(s);
        const stream = gpt2.createStreamDecoder();
        const streamed = ids.map((id) => stream.push(id)).join('') + stream.flush();
        return gpt2.decode(ids) === s && streamed === s;
      }),
      { numRuns: 300 },
    );
  });

  it('encodes a lone surrogate as U+FFFD, as the library receives it', () => {
    expect(gpt2.encode('a\uD800b')).toEqual(gpt2.encode('a\uFFFDb'));
  });

  it('streams arbitrary id sequences to exactly decode(ids)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: gpt2.vocabSize - 1 }), { maxLength: 20 }), fc.boolean(), (ids, skipSpecialTokens) => {
        const stream = gpt2.createStreamDecoder({ skipSpecialTokens });
        return ids.map((id) => stream.push(id)).join('') + stream.flush() === gpt2.decode(ids, { skipSpecialTokens });
      }),
      { numRuns: 300 },
    );
  });
});

describe('bad input', () => {
  const llamaJson = readJson('llama-bytefallback.tokenizer.json');
  const model = llamaJson.model as Record<string, unknown>;
  const expectError = (json: unknown, message: RegExp): void => {
    let error: unknown;
    try {
      parseHfTokenizer(json, 'models/x/tokenizer.json');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(Error);
    const text = (error as Error).message;
    expect(text).toMatch(/^models\/x\/tokenizer\.json: /);
    expect(text).toMatch(message);
    expect(text).not.toContain('\n');
  };

  it('names the file for corrupt JSON and for a missing file', () => {
    expectError('{"version": "1.0", "model": ', /not valid JSON/);
    expect(() => loadHfTokenizer('/nonexistent/tokenizer.json')).toThrow(/^\/nonexistent\/tokenizer\.json: cannot read the tokenizer file \(no such file\)$/);
  });

  it('refuses model types and components it does not implement', () => {
    expectError({ ...llamaJson, model: { type: 'Unigram', vocab: [] } }, /model: unsupported model type "Unigram" \(this reader implements BPE\)/);
    expectError({ ...llamaJson, model: { type: 'WordPiece', vocab: {} } }, /unsupported model type "WordPiece"/);
    expectError({ ...llamaJson, pre_tokenizer: { type: 'Digits', individual_digits: true } }, /pre_tokenizer: unsupported pre-tokenizer type "Digits"/);
    expectError({ ...llamaJson, normalizer: { type: 'Sequence', normalizers: [{ type: 'BertNormalizer' }] } }, /normalizer\.normalizers\[0\]: unsupported normalizer type "BertNormalizer"/);
    expectError({ ...llamaJson, decoder: { type: 'WordPiece', prefix: '##' } }, /decoder: unsupported decoder type "WordPiece"/);
    expectError({ ...llamaJson, post_processor: { type: 'Mystery' } }, /post_processor: unsupported post-processor type "Mystery"/);
    expectError({ ...llamaJson, model: { ...model, dropout: 0.1 } }, /model\.dropout: BPE dropout 0\.1 is not supported/);
    expectError({ ...llamaJson, model: { ...model, continuing_subword_prefix: '##' } }, /model\.continuing_subword_prefix: "##" is not supported/);
    expectError({ ...llamaJson, model: { ...model, end_of_word_suffix: '</w>' } }, /model\.end_of_word_suffix/);
    expectError({ ...llamaJson, truncation: { max_length: 512 } }, /truncation: is set/);
    expectError({ ...llamaJson, version: '2.0' }, /unknown tokenizer\.json version "2\.0"/);
    expectError({ ...llamaJson, pre_tokenizer: { type: 'Split', pattern: { Regex: '(?i:ab)' }, behavior: 'Isolated' } }, /pre_tokenizer\.pattern\.Regex: regex "\(\?i:ab\)": the group "\(\?i" is not supported/);
    expectError({ ...llamaJson, pre_tokenizer: { type: 'Split', pattern: { Regex: '[^\\S]' }, behavior: 'Isolated' } }, /\\S inside a character class/);
  });

  it('names a merge whose token is not in the vocabulary', () => {
    expectError({ ...llamaJson, model: { ...model, merges: ['▁ t', 'q zz'] } }, /model\.merges\[1\]: token "zz" of merge "q zz" is not in the vocabulary/);
    expectError({ ...llamaJson, model: { ...model, merges: [['▁', 'qqq']] } }, /model\.merges\[0\]: token "qqq"/);
    expectError({ ...llamaJson, model: { ...model, merges: ['a b c'] } }, /model\.merges\[0\]: expected "left right" \(one space\), got "a b c"/);
  });

  it('refuses malformed fields', () => {
    expectError({ ...llamaJson, model: { ...model, vocab: { a: 1, b: 1 } } }, /model\.vocab\.b: id 1 is given to both "a" and "b"/);
    expectError({ ...llamaJson, model: { ...model, vocab: { a: -1 } } }, /model\.vocab\.a: expected a non-negative integer/);
    expectError({ ...llamaJson, added_tokens: [{ id: 5, content: '<s>' }, { id: 6, content: '<s>' }] }, /added_tokens\[1\]: content "<s>" repeats added_tokens\[0\]/);
    expectError({ ...llamaJson, pre_tokenizer: { type: 'Metaspace', replacement: '▁▁' } }, /pre_tokenizer\.replacement: expected a single character/);
    expectError({ ...llamaJson, pre_tokenizer: { type: 'Split', pattern: { String: ' ' }, behavior: 'Sideways' } }, /pre_tokenizer\.behavior: unknown split behavior "Sideways"/);
    expectError([], /expected an object, got \[\]/);
  });
});
