#!/usr/bin/env node
/**
 * Writes the tokenizer.json fixtures of test/data/fixtures/tokenizers/ and the ids that the
 * reference implementation, Hugging Face's `tokenizers` (Rust) library, gives for them. The tests
 * (test/data/hfTokenizer*.test.ts) compare our reader against these ids; they do not need this
 * script or the library. Run it only to regenerate the fixtures.
 *
 * The library comes from the npm package @anush008/tokenizers (Node bindings of tokenizers 0.22.2,
 * with the prebuilt binary in @anush008/tokenizers-linux-x64-gnu). It is NOT a dependency of this
 * project: install it in a temporary directory outside the repository and point HF_TOKENIZERS_DIR
 * there; the script also needs a build of this project (it trains our BpeTokenizer from dist/):
 *
 *   mkdir -p /tmp/hf-ref && (cd /tmp/hf-ref && npm init -y && npm i @anush008/tokenizers@0.6.0)
 *   npm run build
 *   HF_TOKENIZERS_DIR=/tmp/hf-ref node scripts/make-tokenizer-fixtures.mjs
 *
 * What it writes (small on purpose: about a thousand vocabulary entries each):
 *   llama-bytefallback.tokenizer.json   BPE with byte fallback, Llama-2 style (normalizer Prepend "▁" +
 *                                        Replace " "→"▁", decoder Replace/ByteFallback/Fuse/Strip, "<s> $A"),
 *                                        merges written as "a b" strings; trained by the library on the
 *                                        SOTU addresses plus a multilingual paragraph below.
 *   gpt2-bytelevel.tokenizer.json       byte-level BPE, GPT-2 style, merges written as [a, b] pairs, with
 *                                        added tokens of every flag; trained the same way.
 *   fastweights-bpe.json                 this project's BpeTokenizer (its own format), trained on SOTU,
 *   fastweights-bpe.tokenizer.json      and the same tokenizer exported by bpeToHfTokenizerJson.
 *   components.cases.json               normalizers and pre-tokenizers alone (regex translation, split rules),
 *                                        and a tiny hand-made BPE: [kind, component, [[input, the library's output], ...]].
 *   *.cases.json                         per tokenizer, variants (the file with some components replaced,
 *                                        e.g. the Metaspace pre-tokenizer instead of the normalizer) and for
 *                                        each the library's encode ids (with and without special tokens) and
 *                                        decode text for the test strings, and decode text for random ids.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const refDir = process.env.HF_TOKENIZERS_DIR;
if (refDir === undefined) {
  console.error('set HF_TOKENIZERS_DIR to a directory where @anush008/tokenizers is installed (see the header of this script)');
  process.exit(2);
}
const { Tokenizer } = createRequire(join(resolve(refDir), 'package.json'))('@anush008/tokenizers');
const REFERENCE = `@anush008/tokenizers ${createRequire(join(resolve(refDir), 'package.json'))('@anush008/tokenizers/package.json').version} (Hugging Face tokenizers 0.22.2)`;

const root = resolve(import.meta.dirname, '..');
const { BpeTokenizer } = await import(join(root, 'dist/src/data/bpe.js'));
const { loadCorpus } = await import(join(root, 'dist/src/data/corpora.js'));
const { bpeToHfTokenizerJson } = await import(join(root, 'dist/src/data/hfTokenizer/export.js'));
const outDir = join(root, 'test/data/fixtures/tokenizers');
mkdirSync(outDir, { recursive: true });
const work = mkdtempSync(join(tmpdir(), 'tokenizer-fixtures-'));

// ---------------------------------------------------------------------------------------------
// Training text: the start of the SOTU addresses and a paragraph with accents, CJK and emoji, so
// that some non-ASCII characters are in the vocabularies and others fall back to bytes.
const MULTILINGUAL = `Café, naïve, résumé, façade: Zürich and Genève. Ångström wrote «über» Straße.
Ελληνικά και русский язык. 日本語の文章と中文的句子。日本の東京、日本の大阪。한국어 문장.
Emoji: 😀 😀 👍 ❤️. Prices: €100, £5, ¥300. Tabs\tand  double  spaces.`;
const sotu = loadCorpus('sotu').documents.map((d) => d.text).join('\n\n');
const trainingText = `${sotu.slice(0, 120_000)}\n\n${MULTILINGUAL}\n${MULTILINGUAL}\n${MULTILINGUAL}\n`;
const trainingFile = join(work, 'train.txt');
writeFileSync(trainingFile, trainingText);

/** Trains the library's BPE (its default trainer) with the given pre-tokenizer; returns vocab and merges. */
function trainWithLibrary(preTokenizer) {
  const tok = Tokenizer.fromString(JSON.stringify(tokenizerJson({ preTokenizer, vocab: {}, merges: [] })));
  tok.train([trainingFile]);
  const saved = join(work, 'trained.json');
  tok.save(saved);
  const { model } = JSON.parse(readFileSync(saved, 'utf8'));
  return { vocab: model.vocab, merges: model.merges };
}

function tokenizerJson({ addedTokens = [], normalizer = null, preTokenizer = null, postProcessor = null, decoder = null, model = {}, vocab, merges }) {
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    normalizer,
    pre_tokenizer: preTokenizer,
    post_processor: postProcessor,
    decoder,
    // BPE's defaults, then the caller's fields.
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false, ...model, vocab, merges },
  };
}

const added = (id, content, flags = {}) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: !flags.special, special: false, ...flags });
const countChars = (text) => {
  const counts = new Map();
  for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1);
  return counts;
};

/**
 * Vocabulary and merges from a trained model: the alphabet (filtered), then the results of the
 * first `mergeCount` merges whose characters are all kept, in merge order, from id `firstId`.
 */
function truncate(trained, firstId, keepChar, mergeCount, baseVocab) {
  const vocab = { ...baseVocab };
  let next = firstId;
  const add = (token) => {
    if (!(token in vocab)) vocab[token] = next++;
  };
  for (const token of Object.keys(trained.vocab).sort((a, b) => trained.vocab[a] - trained.vocab[b])) {
    if ([...token].length === 1 && keepChar(token)) add(token);
  }
  const merges = [];
  for (const [a, b] of trained.merges) {
    if (merges.length === mergeCount) break;
    if (![...(a + b)].every(keepChar)) continue;
    merges.push([a, b]);
    add(a + b);
  }
  return { vocab, merges };
}

// ---------------------------------------------------------------------------------------------
// Llama style: BPE with byte fallback.
const LLAMA_SPECIALS = { '<unk>': 0, '<s>': 1, '</s>': 2 };
const byteTokens = Object.fromEntries(Array.from({ length: 256 }, (_, b) => [`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`, 3 + b]));
const metaspaceAlways = { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true };
const charCounts = countChars(trainingText.replaceAll(' ', '▁'));
const llamaTrained = trainWithLibrary(metaspaceAlways);
const llamaModel = truncate(llamaTrained, 259, (c) => c === '▁' || (charCounts.get(c) ?? 0) >= 3, 700, { ...LLAMA_SPECIALS, ...byteTokens });
const llamaSize = Object.keys(llamaModel.vocab).length;
const llama = tokenizerJson({
  addedTokens: [
    added(0, '<unk>', { special: true }),
    added(1, '<s>', { special: true }),
    added(2, '</s>', { special: true }),
    added(llamaSize, '[INST]', { special: true, lstrip: true, rstrip: true }),
    added(llamaSize + 1, '[/INST]', { special: true, single_word: true }),
    added(llamaSize + 2, 'Zürich', { normalized: true }),
    added(llamaSize + 3, 'ok go', { normalized: false, single_word: true }),
  ],
  normalizer: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '▁' }, { type: 'Replace', pattern: { String: ' ' }, content: '▁' }] },
  preTokenizer: null,
  postProcessor: {
    type: 'TemplateProcessing',
    single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
    pair: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '<s>', type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
    special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
  },
  decoder: {
    type: 'Sequence',
    decoders: [{ type: 'Replace', pattern: { String: '▁' }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 }],
  },
  model: { unk_token: '<unk>', fuse_unk: true, byte_fallback: true },
  vocab: llamaModel.vocab,
  merges: llamaModel.merges.map(([a, b]) => `${a} ${b}`),
});
const LLAMA_VARIANTS = [
  { name: 'as in the file (Llama-2: normalizer Prepend + Replace, no pre-tokenizer)', patch: {} },
  {
    name: 'Metaspace pre-tokenizer, prepend_scheme first, split false (Mistral style)',
    patch: {
      normalizer: null,
      pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: false },
      decoder: llama.decoder,
    },
  },
  {
    name: 'Metaspace always, split true, Metaspace decoder after ByteFallback',
    patch: { normalizer: null, pre_tokenizer: metaspaceAlways, decoder: { type: 'Sequence', decoders: [{ type: 'ByteFallback' }, metaspaceAlways] } },
  },
  {
    name: 'Metaspace never, split true, ByteFallback + Fuse + Metaspace decoder',
    patch: {
      normalizer: null,
      pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'never', split: true },
      decoder: { type: 'Sequence', decoders: [{ type: 'ByteFallback' }, { type: 'Fuse' }, { type: 'Metaspace', replacement: '▁', prepend_scheme: 'never', split: true }] },
    },
  },
  {
    name: 'Metaspace in the older form (add_prefix_space true, no prepend_scheme or split)',
    patch: {
      normalizer: null,
      pre_tokenizer: { type: 'Metaspace', replacement: '▁', add_prefix_space: true },
      decoder: { type: 'Metaspace', replacement: '▁', add_prefix_space: true },
    },
  },
  { name: 'no byte fallback: unknown characters become <unk>, fused', patch: { model: { byte_fallback: false, fuse_unk: true } } },
  { name: 'no byte fallback, unknowns not fused', patch: { model: { byte_fallback: false, fuse_unk: false } } },
];

// ---------------------------------------------------------------------------------------------
// GPT-2 style: byte-level BPE.
const byteLevelStep = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
const gpt2Trained = trainWithLibrary(byteLevelStep);
const printable = (b) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
const byteChars = [];
for (let b = 0, n = 0; b < 256; b++) byteChars[b] = String.fromCharCode(printable(b) ? b : 0x100 + n++);
// GPT-2's order: the printable bytes first, then the others.
const gpt2Bytes = [...byteChars.filter((_, b) => printable(b)), ...byteChars.filter((_, b) => !printable(b))];
const gpt2Base = Object.fromEntries(gpt2Bytes.map((c, i) => [c, i]));
const gpt2Model = truncate(gpt2Trained, 256, () => true, 800, gpt2Base);
const eot = Object.keys(gpt2Model.vocab).length;
gpt2Model.vocab['<|endoftext|>'] = eot; // in the model's vocabulary, as in GPT-2's
const gpt2 = tokenizerJson({
  addedTokens: [
    added(eot, '<|endoftext|>', { special: true }),
    added(eot + 1, '<|user|>', { special: true, lstrip: true }),
    added(eot + 2, '<|assistant|>', { special: true, rstrip: true }),
    added(eot + 3, '[MASK]', { special: true, single_word: true }),
    added(eot + 4, ' fast weights', { normalized: true }),
    added(eot + 5, 'café', { normalized: true }),
  ],
  preTokenizer: byteLevelStep,
  postProcessor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
  decoder: byteLevelStep,
  vocab: gpt2Model.vocab,
  merges: gpt2Model.merges,
});
const byteLevelNoRegex = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false };
const GPT2_VARIANTS = [
  { name: 'as in the file (GPT-2: ByteLevel pre-tokenizer and decoder)', patch: {} },
  {
    name: 'add_prefix_space true, TemplateProcessing "$A <|endoftext|>" after ByteLevel',
    patch: {
      pre_tokenizer: { ...byteLevelStep, add_prefix_space: true },
      post_processor: {
        type: 'Sequence',
        processors: [
          { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
          {
            type: 'TemplateProcessing',
            single: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '<|endoftext|>', type_id: 0 } }],
            pair: [{ Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
            special_tokens: { '<|endoftext|>': { id: '<|endoftext|>', ids: [eot], tokens: ['<|endoftext|>'] } },
          },
        ],
      },
    },
  },
  { name: 'ignore_merges true', patch: { model: { ignore_merges: true } } },
  {
    name: 'NFC normalizer, Split regex (\\d, \\s, .) before a ByteLevel without regex',
    patch: {
      normalizer: { type: 'NFC' },
      pre_tokenizer: {
        type: 'Sequence',
        pretokenizers: [{ type: 'Split', pattern: { Regex: "\\d{1,3}|'(?:s|t)|[^\\s\\d']+|\\s+(?!\\S)|\\s+|." }, behavior: 'Isolated', invert: false }, byteLevelNoRegex],
      },
    },
  },
  {
    name: 'Split behaviours: MergedWithNext, MergedWithPrevious, Contiguous; Strip + Lowercase + NFKD normalizers',
    patch: {
      normalizer: { type: 'Sequence', normalizers: [{ type: 'Strip', strip_left: true, strip_right: true }, { type: 'Lowercase' }, { type: 'NFKD' }] },
      pre_tokenizer: {
        type: 'Sequence',
        pretokenizers: [
          { type: 'Split', pattern: { String: ' ' }, behavior: 'MergedWithNext', invert: false },
          { type: 'Split', pattern: { Regex: '[.,!?]' }, behavior: 'MergedWithPrevious', invert: false },
          { type: 'Split', pattern: { Regex: '\\p{N}' }, behavior: 'Contiguous', invert: false },
          byteLevelNoRegex,
        ],
      },
    },
  },
  {
    name: 'Split Removed with invert (keeps \\w+ runs only), Replace normalizer with a regex',
    patch: {
      normalizer: { type: 'Replace', pattern: { Regex: '\\d+' }, content: '#' },
      pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'Split', pattern: { Regex: '\\w+' }, behavior: 'Removed', invert: true }, byteLevelNoRegex] },
    },
  },
  {
    name: 'RobertaProcessing (cls [MASK], sep <|endoftext|>)',
    patch: { post_processor: { type: 'RobertaProcessing', sep: ['<|endoftext|>', eot], cls: ['[MASK]', eot + 3], trim_offsets: true, add_prefix_space: false } },
  },
];

// ---------------------------------------------------------------------------------------------
// This project's BpeTokenizer, exported.
const ours = BpeTokenizer.train(sotu.slice(0, 150_000), { vocabSize: 700 });
const oursHf = bpeToHfTokenizerJson(ours);

// ---------------------------------------------------------------------------------------------
// Test strings: hand-picked tricky ones, then seeded random mixtures.
const HANDWRITTEN = [
  '', ' ', '  ', '   ', '\t', '\n', '\r\n', '\r', ' \n ', ' \t \n', '\n\n\n', 'a', 'hello', ' hello', 'hello ', '  hello  world  ',
  'Hello World', 'HELLO', 'The United States', 'the people of the United States', "don't", "we're", "I'll", "it's", "'s", "''", "She'S", 'o\'clock',
  '...', '!!!', 'a.b,c;d:e', '(parens) [brackets] {braces}', 'e-mail', 'snake_case', 'CamelCase', 'x=1+2*3/4', '100', '1,000,000', '3.14159',
  '2024-01-01', '0x1F', '٣٤٥', '١٢ and 34', '①②', '½', 'Ⅻ', '1234567890', '007', '12345678901234567890', 'year 1790', 'in 1861, 1862 and 1863',
  'café', 'cafe\u0301', 'naïve', 'résumé', 'Zürich', 'in Zürich.', 'xZürich', 'Zürich Zürich', 'Ångström', 'façade', 'São Paulo', 'Ελληνικά',
  'Привет мир', 'Straße', 'İstanbul', 'ǅ', 'ﬁ', 'ß', 'ÀÉÎÕÜ', 'Genève', '«über»',
  '日本語', '中文字符', '한국어', 'こんにちは世界', '日本 語', 'AI研究所', '日本の東京', '東京', '文章と句子', '漢字かな交じり文',
  '😀', '👍🏽', '👨‍👩‍👧‍👦', '🇩🇪', 'I ❤️ NY', '🤖🤖🤖', 'a😀b', '😀 😀', '€100', '£5', '¥300', '$5.00', '100%',
  'a\u00a0b', 'a\u3000b', 'a\u2028b', 'a\u2029b', 'a\u0085b', '!\u0085', '\u0085\u0085x', '\ufeffstart', 'end\ufeff', '!\ufeff', 'a\u200bb', 'a\u202fb', 'x\u000by', 'x\u000cy',
  'tab\there', '\t\tindent', 'line1\nline2', 'para\n\nnext', 'a    b', 'a \u00a0 b', ' \u3000 ', 'trailing   ', '   leading', 'a\tb\tc', 'end.\n',
  '<s>', '</s>', '<unk>', 'a<s>b', 'hello</s>world', ' <s> ', '<s><s>', '<s', 's>', '<<s>>', '</s> </s>', '<s>Hello', 'Hello<s>', '<s> Hello',
  '<|endoftext|>', 'text<|endoftext|>more', ' <|endoftext|> ', '<|endoftext|><|endoftext|>', '<|endoftext',
  '[INST] hi [/INST]', 'a[/INST]b', 'x [/INST] y', '  [INST]  spaced  [/INST]  ', '[INST][INST]',
  '<|user|>  hi', 'hi  <|user|>', 'hi  <|assistant|>  there', '<|assistant|>\n\nanswer',
  '[MASK]', 'a[MASK]', '[MASK]b', ' [MASK] ', '[MASK][MASK]', '([MASK])', '_[MASK]',
  'café au lait', 'cafe\u0301 noir', 'cafés', ' fast weights', 'the fast weights', 'fast weights', 'the  fast weights', 'ok go', 'ok gone', 'so ok go!', 'ok go ok go',
  '<pad>', '<bos>', '<eos>', 'a<bos>b', ' <eos>',
  '\u0000', '\u0001\u0002', '\u007f', '\u00ad', '\u200d', '\u202e', 'عربى', 'עברית', 'हिन्दी', 'ไทย', 'Ḽơᶉëᶆ ȋṕšᶙṁ', '𝔄', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢', '\ufffd',
  'ǈ', 'ﬀ', 'Ａ全角', '½ cup', '#hashtag', '@user', 'http://example.com/path?q=1&r=2', 'user@example.com', 'C:\\path\\file', '<html><body>',
  'a&b', '"quoted"', '“curly”', '‘single’', '—dash–', '…', '¿Qué?', '¡Hola!', '▁', '▁▁x', 'a▁b', ' ▁ ', 'Ġ', 'Ċ', '<0x41>', '<0xE2>',
  'a'.repeat(100), ' '.repeat(50), '😀'.repeat(20), 'ab'.repeat(40), '\n'.repeat(10) + 'x',
  sotu.slice(0, 300),
  'Fellow-Citizens of the Senate and of the House of Representatives:',
  'I have the honor to transmit herewith a report of the Secretary of State.',
];

function mulberry32(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = mulberry32(20261206);
const pick = (list) => list[Math.floor(random() * list.length)];
const PARTS = [
  ' ', ' ', '  ', '\t', '\n', '\u00a0', '\u3000', '\u0085', '\ufeff', 'the', ' the', 'nation', ' United', 'States', "'s", "n't", '.', ',', '!', '42', '1999', '7',
  'é', 'ü', 'ñ', 'ß', 'Å', 'e\u0301', '日', '本', '語', '東', '京', '한', '😀', '👍', '🏽', '\u200d', '❤️', '𝔄', '€', '¥', '<s>', '</s>', '<|endoftext|>', '[INST]',
  '[/INST]', '[MASK]', '<|user|>', '<|assistant|>', 'Zürich', 'café', ' fast weights', 'ok go', '▁', '_', '-', '"', '\u0000', '\u00ad',
];
const randomStrings = Array.from({ length: 60 }, () => Array.from({ length: 1 + Math.floor(random() * 10) }, () => pick(PARTS)).join(''));
const TEXTS = [...HANDWRITTEN, ...randomStrings];

// ---------------------------------------------------------------------------------------------
// Running the library.
function applyPatch(json, patch) {
  const out = { ...json, model: { ...json.model } };
  for (const [key, value] of Object.entries(patch)) {
    if (key === 'model') Object.assign(out.model, value);
    else out[key] = value;
  }
  return out;
}

async function encodeCase(tok, text) {
  const plain = (await tok.encode(text, null, { addSpecialTokens: false })).getIds();
  const withSpecial = (await tok.encode(text, null, { addSpecialTokens: true })).getIds();
  const decoded = await tok.decode(plain, true);
  const decodedKeep = await tok.decode(withSpecial, false);
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  return [text, plain, same(withSpecial, plain) ? null : withSpecial, decoded === text ? null : decoded, decodedKeep === decoded ? null : decodedKeep];
}

/** Random id sequences: ordinary ids, added tokens and (for Llama) byte tokens, to exercise decoding. */
function randomIdSequences(vocabSize, favourite, count) {
  return Array.from({ length: count }, () =>
    Array.from({ length: 1 + Math.floor(random() * 12) }, () => (random() < 0.4 ? pick(favourite) : Math.floor(random() * vocabSize))),
  );
}

async function variantCases(json, variant, texts, decodeIds) {
  const tok = Tokenizer.fromString(JSON.stringify(applyPatch(json, variant.patch)));
  const encode = [];
  for (const text of texts) encode.push(await encodeCase(tok, text));
  const decode = [];
  for (const ids of decodeIds) decode.push([ids, await tok.decode(ids, true), await tok.decode(ids, false)]);
  return { name: variant.name, patch: variant.patch, encode, decode };
}

/** JSON with one case per line: small, and readable in a diff. */
function writeCases(file, tokenizerFile, variants) {
  const lines = variants.map((v) => {
    const enc = v.encode.map((c) => `      ${JSON.stringify(c)}`).join(',\n');
    const dec = v.decode.map((c) => `      ${JSON.stringify(c)}`).join(',\n');
    return `    {\n      "name": ${JSON.stringify(v.name)},\n      "patch": ${JSON.stringify(v.patch)},\n      "encode": [\n${enc}\n      ],\n      "decode": [\n${dec}\n      ]\n    }`;
  });
  const header = `  "generator": "scripts/make-tokenizer-fixtures.mjs with ${REFERENCE}",\n  "tokenizer": ${JSON.stringify(tokenizerFile)},\n  "format": "encode: [text, ids without special tokens, ids with them (null: same), decode(ids) skipping special tokens (null: the text), decode(ids with special tokens) keeping them (null: same as the previous)]; decode: [ids, skipping special tokens, keeping them]; patch: components replacing the file's (model: fields of the model)"`;
  writeFileSync(join(outDir, file), `{\n${header},\n  "variants": [\n${lines.join(',\n')}\n  ]\n}\n`);
}

/** Indented JSON, with each short array of strings or numbers (a merge pair) on one line. */
const writeJson = (file, value) => {
  const text = JSON.stringify(value, null, 1).replace(/\[\n((?:\s*(?:"(?:[^"\\\n]|\\.)*"|-?\d+),?\n)+)\s*\]/g, (_, items) => `[${items.trim().split(/,\n\s*/).join(', ')}]`);
  writeFileSync(join(outDir, file), `${text}\n`);
};
writeJson('llama-bytefallback.tokenizer.json', llama);
writeJson('gpt2-bytelevel.tokenizer.json', gpt2);
writeJson('fastweights-bpe.json', ours.toJSON());
writeJson('fastweights-bpe.tokenizer.json', oursHf);

// The file's own form gets all the texts, the variants every fifth.
const subset = TEXTS.filter((_, i) => i % 5 === 0);
const llamaSpecialIds = [0, 1, 2, llamaSize, llamaSize + 1, llamaSize + 2, llamaSize + 3, 3 + 0xe2, 3 + 0x82, 3 + 0xac, 3 + 0x41, 3 + 0xff, 3 + 0x20];
const gpt2SpecialIds = [eot, eot + 1, eot + 2, eot + 3, eot + 4, eot + 5, gpt2Base[byteChars[0xe2]], gpt2Base[byteChars[0x82]], gpt2Base[byteChars[0xff]]];
const llamaDecodes = randomIdSequences(llamaSize + 4, llamaSpecialIds, 40);
const gpt2Decodes = randomIdSequences(eot + 6, gpt2SpecialIds, 40);
const llamaVariants = [];
for (const [i, v] of LLAMA_VARIANTS.entries()) llamaVariants.push(await variantCases(llama, v, i === 0 ? TEXTS : subset, i === 0 ? llamaDecodes : llamaDecodes.slice(0, 10)));
writeCases('llama-bytefallback.cases.json', 'llama-bytefallback.tokenizer.json', llamaVariants);
const gpt2Variants = [];
for (const [i, v] of GPT2_VARIANTS.entries()) gpt2Variants.push(await variantCases(gpt2, v, i === 0 ? TEXTS : subset, i === 0 ? gpt2Decodes : gpt2Decodes.slice(0, 10)));
writeCases('gpt2-bytelevel.cases.json', 'gpt2-bytelevel.tokenizer.json', gpt2Variants);
const oursDecodes = randomIdSequences(ours.vocabSize, [0, 1, 2, 3 + 0xe2, 3 + 0x82, 3 + 0xff], 40);
writeCases('fastweights-bpe.cases.json', 'fastweights-bpe.tokenizer.json', [await variantCases(oursHf, { name: 'as exported', patch: {} }, TEXTS, oursDecodes)]);

// ---------------------------------------------------------------------------------------------
// Single components, through the library's normalizeString / preTokenizeString.
const withComponents = (normalizer, preTokenizer) => Tokenizer.fromString(JSON.stringify(tokenizerJson({ normalizer, preTokenizer, vocab: {}, merges: [] })));
const NORMALIZER_CASES = [
  [{ type: 'Replace', pattern: { Regex: 'a*' }, content: '-' }, ['baab', '', 'a']],
  [{ type: 'Replace', pattern: { String: 'a' }, content: '$&$1' }, ['baab']],
  [{ type: 'Replace', pattern: { String: '' }, content: 'x' }, ['ab']],
  [{ type: 'Replace', pattern: { Regex: '^b|b$' }, content: 'X' }, ['bab\nbab', 'b\r\nb']],
  [{ type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' }, ['a\u0085\u00a0b\ufeffc\t\nd']],
  [{ type: 'Lowercase' }, ['ΣΑΣ İ ǅ']],
  [{ type: 'Strip', strip_left: true, strip_right: true }, ['\u0085 a \ufeff', '  ', '\u3000x\u2029']],
  [{ type: 'Strip', strip_left: false, strip_right: true }, [' a ']],
  [{ type: 'Prepend', prepend: '▁' }, ['', 'x']],
  [{ type: 'NFKC' }, ['ﬁ ① Ａ ½ e\u0301']],
  [{ type: 'NFD' }, ['é Å ǅ']],
  [{ type: 'NFKD' }, ['ﬁ é']],
  [{ type: 'NFC' }, ['e\u0301 A\u030a']],
  [{ type: 'Sequence', normalizers: [{ type: 'Replace', pattern: { String: ' ' }, content: '▁' }, { type: 'Prepend', prepend: '▁' }] }, [' a b', '']],
];
const SPLIT_TEXTS = ['a12٣٤b 007', 'ab_é日\u0301٣ \u200d!²½Ⅻ৴', 'ab\rcd\u2028ef\ngh', 'ba\nab\n', 'a\u0085b\ufeffc \u3000d', "xyz09af it's", '  hello  world ', 'a--z[]^'];
const split = (pattern, behavior = 'Isolated', invert = false) => ({ type: 'Split', pattern, behavior, invert });
const PRE_TOKENIZER_CASES = [
  ...['\\d+', '\\D+', '\\w+', '\\W+', '\\h+', '\\H+', '\\s+', '\\S+', '.', '.+', '^.', '.$', '\\x{FEFF}', "\\'s", '[\\s\\d]+', '[^\\s\\w]+', '[a\\-z]', '\\[\\]', '(?<x>a)b', '(?=b).', '(?<=a).', '(?<!a)b', 'a{1,2}', '\\p{L}+|\\p{N}'].map(
    (re) => [split({ Regex: re }), SPLIT_TEXTS],
  ),
  [split({ Regex: '\\s+' }, 'Removed'), SPLIT_TEXTS.slice(4, 7)],
  [split({ Regex: '\\w+' }, 'Isolated', true), SPLIT_TEXTS.slice(4, 7)],
  [split({ Regex: '\\s' }, 'MergedWithPrevious'), SPLIT_TEXTS.slice(4, 7)],
  [split({ Regex: '\\s' }, 'MergedWithNext', true), SPLIT_TEXTS.slice(4, 7)],
  [split({ String: 'l' }, 'Contiguous'), ['hello  world', 'llama']],
  [split({ String: '' }), ['abc']],
  [{ type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: true }, [' hello  world', 'a', '▁x', '  ']],
  [{ type: 'Metaspace', replacement: '_', prepend_scheme: 'always', split: false }, [' hello  world', 'a_b']],
  [{ type: 'Metaspace', replacement: '▁', prepend_scheme: 'never', split: true }, [' hello  world', 'a b']],
  [{ type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true }, ['hello world', ' x', 'é\u0085y']],
  [{ type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false }, ['hello  world\n']],
];
const components = [];
for (const [normalizer, inputs] of NORMALIZER_CASES) {
  const n = withComponents(normalizer, null).getNormalizer();
  components.push(['normalizer', normalizer, inputs.map((input) => [input, n.normalizeString(input)])]);
}
for (const [preTokenizer, inputs] of PRE_TOKENIZER_CASES) {
  const p = withComponents(null, preTokenizer).getPreTokenizer();
  components.push(['pre_tokenizer', preTokenizer, inputs.map((input) => [input, p.preTokenizeString(input).map(([piece]) => piece)])]);
}
// A tiny hand-made BPE whose byte fallback lacks most bytes, so unknown characters and byte tokens mix.
for (const fuse_unk of [true, false]) {
  const json = tokenizerJson({
    model: { unk_token: '<unk>', fuse_unk, byte_fallback: true },
    vocab: { '<unk>': 0, a: 1, b: 2, '<0xC3>': 3, '<0xA9>': 4, ab: 5, '<0xE2>': 6, '<0xC3><0xA9>': 7 },
    merges: ['a b', '<0xC3> <0xA9>'],
  });
  const tok = Tokenizer.fromString(JSON.stringify(json));
  const pairs = [];
  for (const input of ['aé€b', '€é', '€€a', 'ab€é', 'é€€é', '∑€b', 'xyz']) pairs.push([input, (await tok.encode(input, null, { addSpecialTokens: false })).getIds()]);
  components.push(['tokenizer', json, pairs]);
}
writeFileSync(
  join(outDir, 'components.cases.json'),
  `{\n  "generator": "scripts/make-tokenizer-fixtures.mjs with ${REFERENCE}",\n  "format": "[kind, component, [[input, the library's output (normalized text, the pre-tokenized pieces, or a whole tokenizer's ids)], ...]]",\n  "cases": [\n${components.map((c) => `    ${JSON.stringify(c)}`).join(',\n')}\n  ]\n}\n`,
);

rmSync(work, { recursive: true, force: true });
console.log(`wrote ${outDir}: ${TEXTS.length} texts; vocabularies llama ${llamaSize + 4}, gpt2 ${eot + 6}, fastweights ${ours.vocabSize}`);
