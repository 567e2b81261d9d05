/**
 * A checkpoint is only trusted as far as it proves itself: files are read bounded by the manifest,
 * the config and state pass their schemas, the config and tokenizer are the ones the weights were
 * saved with, and the weights are exactly those of the model the config describes. Ends with a
 * fast-check fuzz: randomly corrupted checkpoints (bytes, JSON fields, file kinds), each with the
 * manifest's sizes and hashes rewritten so the corruption reaches the checks after the hash, must
 * give a clear error or a load with the original numbers.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LanguageModel, Rng, TranslationModel, resolveLanguageModelConfig, resolveTranslationModelConfig } from '../../src/index.js';
import { MODEL_NAMES } from '../../src/nn/attention/spec.js';
import { loadLanguageModel, prepareLmData, trainLanguageModel, type LmData } from '../../src/tasks/lm/training.js';
import { loadTranslationModel, trainTranslationModel } from '../../src/tasks/mt/training.js';
import { estimateLanguageModel, estimateTranslationModel } from '../../src/train/resources.js';
import { main } from '../../src/cli/main.js';

let root: string;
let data: LmData;
let good: string;
let goodMt: string;

function corpusFile(dir: string): string {
  const rng = new Rng(4);
  const words = ['the', 'union', 'is', 'strong', 'and', 'we', 'shall', 'govern', 'people', 'nation', 'of', 'free'];
  const docs = Array.from({ length: 30 }, () => Array.from({ length: 40 }, () => Array.from({ length: 6 }, () => words[rng.int(words.length)]).join(' ') + '.').join(' '));
  const path = join(dir, 'corpus.txt');
  writeFileSync(path, docs.join('\n\n'));
  return path;
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'fw-trust-'));
  const corpus = corpusFile(root);
  data = prepareLmData(corpus, 280);
  good = join(root, 'good');
  await trainLanguageModel({
    out: good,
    model: { attention: 'delta', dModel: 8, layers: 1, heads: 2, context: 8, dropout: 0, positions: true, seed: 2 },
    training: { corpus, vocabSize: 280, batchSize: 2, lr: 3e-3, warmupSteps: 1, weightDecay: 0.01, clip: 1, steps: 2, evalEvery: 100, evalTokens: 64, saveEvery: 100, seed: 7 },
    data,
  });
  goodMt = join(root, 'good-mt');
  await trainTranslationModel({
    out: goodMt,
    model: { attention: 'dpfp-delta', crossAttention: 'linear', dModel: 8, encoderLayers: 1, decoderLayers: 1, heads: 2, ffHidden: 8, dropout: 0, seed: 3 },
    training: { trainPairs: 30, vocabSize: 280, maxTokens: 150, maxLength: 64, lr: 3e-3, warmupSteps: 1, weightDecay: 0.01, clip: 1, labelSmoothing: 0.1, steps: 1, evalEvery: 100, bleuEvery: 0, bleuSentences: 2, saveEvery: 100, seed: 8 },
  });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

type Role = 'model' | 'optimizer' | 'config' | 'tokenizer' | 'state';

/** A copy of a good checkpoint (the language model's unless another is named). */
function copy(name: string, source = good): string {
  const dir = join(root, name);
  rmSync(dir, { recursive: true, force: true });
  cpSync(source, dir, { recursive: true });
  return dir;
}

function manifestOf(dir: string) {
  return JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8')) as { files: Record<Role, { path: string; bytes: number; sha256: string }> };
}

/** Replaces a file's bytes and records the new size and hash in the manifest, as a consistent forger would. */
function forge(dir: string, role: Role, bytes: Uint8Array): void {
  const manifest = manifestOf(dir);
  const entry = manifest.files[role];
  writeFileSync(join(dir, entry.path), bytes);
  entry.bytes = bytes.byteLength;
  entry.sha256 = sha256(bytes);
  writeFileSync(join(dir, 'checkpoint.json'), JSON.stringify(manifest));
}

function readJson(dir: string, role: Role): Record<string, any> {
  return JSON.parse(readFileSync(join(dir, manifestOf(dir).files[role].path), 'utf8'));
}

function forgeJson(dir: string, role: Role, value: unknown): void {
  forge(dir, role, new TextEncoder().encode(JSON.stringify(value, null, 2) + '\n'));
}

/** Drops the weights' record of their config and tokenizer (what checkpoints saved before it look like). */
function unbind(dir: string): void {
  const path = join(dir, manifestOf(dir).files.model.path);
  const bytes = new Uint8Array(readFileSync(path));
  const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  header.__metadata__ = { producer: 'fastweights', content: 'weights' };
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + json.length + bytes.length - 8 - headerLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(new TextEncoder().encode(json), 8);
  out.set(bytes.subarray(8 + headerLength), 8 + json.length);
  forge(dir, 'model', out);
}

describe('reading checkpoint files', () => {
  it('refuses a checkpoint file that is a symlink to /dev/zero, before reading it', () => {
    const dir = copy('zero');
    const path = join(dir, manifestOf(dir).files.model.path);
    unlinkSync(path);
    symlinkSync('/dev/zero', path);
    expect(() => loadLanguageModel(dir)).toThrow(/is a character device, not a regular file/);
  });

  it('refuses a FIFO instead of waiting for a writer', () => {
    const dir = copy('fifo');
    const path = join(dir, manifestOf(dir).files.state.path);
    unlinkSync(path);
    execFileSync('mkfifo', [path]);
    expect(() => loadLanguageModel(dir)).toThrow(/is a FIFO \(named pipe\), not a regular file/);
  });

  it('refuses a manifest that is not a regular file or far too large', () => {
    const dir = copy('big-manifest');
    writeFileSync(join(dir, 'checkpoint.json'), ' '.repeat(2_000_000));
    expect(() => loadLanguageModel(dir)).toThrow(/more than the 1000000 a manifest can have/);
    unlinkSync(join(dir, 'checkpoint.json'));
    symlinkSync('/dev/zero', join(dir, 'checkpoint.json'));
    expect(() => loadLanguageModel(dir)).toThrow(/checkpoint\.json is a character device/);
  });

  it('compares the size with the manifest before reading', () => {
    const dir = copy('grown');
    const path = join(dir, manifestOf(dir).files.optimizer.path);
    writeFileSync(path, Buffer.concat([readFileSync(path), Buffer.alloc(10)]));
    expect(() => loadLanguageModel(dir)).toThrow(/has \d+ bytes, checkpoint\.json says \d+ \(truncated or replaced\)/);
  });
});

/** `fastweights lm eval --checkpoint dir`: exit code 2 and one line on stderr, the directory as it was. */
async function evalRefuses(dir: string, message: RegExp): Promise<void> {
  const before = readdirSync(dir).map((f) => `${f}:${statSync(join(dir, f)).size}`);
  const lines: string[] = [];
  const error = vi.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => void lines.push(parts.join(' ')));
  try {
    expect(await main(['lm', 'eval', '--checkpoint', dir])).toBe(2);
  } finally {
    error.mockRestore();
  }
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(message);
  expect(readdirSync(dir).map((f) => `${f}:${statSync(join(dir, f)).size}`)).toEqual(before);
}

describe('file sizes beyond what can be read, refused by name before allocation', () => {
  /** The model file grown (sparse: nothing is written) to `bytes`, the manifest updated to match. */
  function grow(name: string, bytes: number): string {
    const dir = copy(name);
    const manifest = manifestOf(dir);
    truncateSync(join(dir, manifest.files.model.path), bytes);
    manifest.files.model.bytes = bytes;
    writeFileSync(join(dir, 'checkpoint.json'), JSON.stringify(manifest));
    return dir;
  }

  it('a 3 GB model file whose header lists a few kB of tensors', async () => {
    const dir = grow('three-gb', 3 * 2 ** 30);
    await evalRefuses(dir, /^fastweights: lm eval: cannot load checkpoint: .*model-\d+\.safetensors: not a valid safetensors file: \d+ unexplained bytes after the last tensor$/);
  });

  it('a 64 GB model file: more than one array can hold', async () => {
    const dir = grow('sixty-four-gb', 64 * 2 ** 30);
    await evalRefuses(dir, /^fastweights: lm eval: cannot load checkpoint: loadCheckpoint: .*model-\d+\.safetensors is 69 GB by checkpoint\.json, more than the 4\.3 GB one weights file can be read into$/);
  });

  it('a state file larger than one string can be', async () => {
    const dir = copy('huge-state');
    const manifest = manifestOf(dir);
    truncateSync(join(dir, manifest.files.state.path), 2 ** 29);
    manifest.files.state.bytes = 2 ** 29;
    writeFileSync(join(dir, 'checkpoint.json'), JSON.stringify(manifest));
    await evalRefuses(dir, /^fastweights: lm eval: cannot load checkpoint: loadCheckpoint: .*state-\d+\.json is 537 MB by checkpoint\.json, more than the 537 MB one JSON file can be read into$/);
  });
});

describe('a tokenizer whose merges grow tokens pathologically', () => {
  it('is refused at the first merge past the token-length bound, before any token is built', async () => {
    const dir = copy('doubling');
    unbind(dir);
    const tokenizer = readJson(dir, 'tokenizer');
    // 40 merges, each joining the last token with itself: token 259 + i would be 2^(i+1) bytes.
    tokenizer.merges = [[100, 100], ...Array.from({ length: 39 }, (_, i) => [259 + i, 259 + i])];
    forgeJson(dir, 'tokenizer', tokenizer);
    await evalRefuses(dir, /^fastweights: lm eval: cannot load checkpoint: BpeTokenizer\.fromJSON: merge 10 \[268,268\] makes a token of 2048 bytes; tokens are at most 1024 bytes \(the merges grow tokens pathologically\)$/);
  });
});

describe('the config and tokenizer belong to the weights', () => {
  it('refuses a config edited after saving, even with the manifest rewritten to match', () => {
    for (const edit of [(c: any) => (c.model.attention = 'dpfp-delta'), (c: any) => (c.model.positions = false), (c: any) => (c.training.lr = 0.5)]) {
      const dir = copy('edited');
      const config = readJson(dir, 'config');
      edit(config);
      forgeJson(dir, 'config', config);
      expect(() => loadLanguageModel(dir)).toThrow(/config-\d+\.json is not the config the weights in .*model-\d+\.safetensors were saved with/);
    }
  });

  it('refuses a tokenizer with fewer merges than the embedding has rows', () => {
    const dir = copy('tokenizer');
    unbind(dir); // as a checkpoint saved before the weights recorded their tokenizer
    const tokenizer = readJson(dir, 'tokenizer');
    tokenizer.merges = tokenizer.merges.slice(0, -3);
    forgeJson(dir, 'tokenizer', tokenizer);
    expect(() => loadLanguageModel(dir)).toThrow(/the tokenizer has 277 tokens but the model's embedding has 280 rows/);
  });

  it('refuses a config describing another model than the weights (no binding: names, shapes, count)', () => {
    const dir = copy('other-model');
    unbind(dir);
    const config = readJson(dir, 'config');
    config.model.ffHidden = 16;
    forgeJson(dir, 'config', config);
    expect(() => loadLanguageModel(dir)).toThrow(/the config describes a model of \d+ parameters but the weights hold \d+/);
    config.model.ffHidden = 32; // the default 4·dModel again, spelt out: same model
    forgeJson(dir, 'config', config);
    expect(loadLanguageModel(dir).model.config.ffHidden).toBe(32);
  });

  it('checks the config and state against their schemas, naming the field', () => {
    const cases: [(c: any, s: any) => void, RegExp][] = [
      [(c) => (c.training.batchSize = 0), /config\.training\.batchSize must be an integer in \[1, \d+\], got 0/],
      [(c) => delete c.model.vocabSize, /config\.model\.vocabSize must be present, got nothing \(the field is missing\)/],
      [(c) => (c.model.dModel = 1e12), /config\.model\.dModel must be an integer in \[1, \d+\], got 1000000000000/],
      [(c) => (c.model.postions = true), /config\.model has an unexpected field 'postions'/],
      [(c) => (c.model.attention = 'cuda'), /config\.model\.attention: unknown model 'cuda'/],
      [(_c, s) => (s.step = -1), /state\.step must be an integer ≥ 0, got -1/],
      [(_c, s) => (s.optimizer.step = 99), /state\.optimizer\.step 99 differs from state\.step/],
      [(_c, s) => (s.dataRng.s = [1, 2, 3]), /state\.dataRng\.s must be an array of 4/],
      [(_c, s) => (s.history = null), /state\.history must be an object, got null/],
    ];
    for (const [edit, message] of cases) {
      const dir = copy('schema');
      unbind(dir);
      const config = readJson(dir, 'config');
      const state = readJson(dir, 'state');
      edit(config, state);
      forgeJson(dir, 'config', config);
      forgeJson(dir, 'state', state);
      expect(() => loadLanguageModel(dir), String(message)).toThrow(message);
    }
  });
});

describe('the size estimate', () => {
  it('counts exactly the parameters of every language and translation model', () => {
    for (const attention of [...MODEL_NAMES, 'dpfp-2', 'performer-3']) {
      const config = { vocabSize: 270, attention, dModel: 8, layers: 2, heads: 2, context: 4, positions: true, seed: 1, ffHidden: 12 };
      expect(estimateLanguageModel(resolveLanguageModelConfig(config), 270, 1).parameters, attention).toBe(new LanguageModel(config).parameterCount());
      const learned = { ...config, learnedPositions: true };
      expect(estimateLanguageModel(resolveLanguageModelConfig(learned), 270, 1).parameters, `${attention}, learned positions`).toBe(new LanguageModel(learned).parameterCount());
      const mt = { vocabSize: 270, attention, crossAttention: attention === 'softmax' ? 'delta' : 'softmax', dModel: 8, encoderLayers: 1, decoderLayers: 2, heads: 2, seed: 1 };
      expect(estimateTranslationModel(resolveTranslationModelConfig(mt), 270, 10, 10).parameters, `mt ${attention}`).toBe(new TranslationModel(mt).parameterCount());
    }
  });
});

/** What a load gives, for comparing with the good checkpoint's. */
interface Loaded {
  weights: Map<string, { data: ArrayLike<number> }>;
  config: unknown;
  merges: string;
}
const loaders: Record<'language model' | 'translation model', (dir: string) => Loaded> = {
  'language model': (dir) => {
    const r = loadLanguageModel(dir);
    return { weights: r.model.stateDict(), config: r.config, merges: JSON.stringify(r.tokenizer.toJSON()) };
  },
  'translation model': (dir) => {
    const r = loadTranslationModel(dir);
    return { weights: r.model.stateDict(), config: r.config, merges: JSON.stringify(r.tokenizer.toJSON()) };
  },
};

describe('fuzz: a corrupted checkpoint gives a clear error or the original numbers', () => {

  /** One corruption of a copy of the good checkpoint; returns a description for failure messages. */
  const corruption = fc.oneof(
    // Flip bytes of one file and rewrite the manifest to match.
    fc.record({
      kind: fc.constant('bytes' as const),
      role: fc.constantFrom<Role>('model', 'optimizer', 'config', 'tokenizer', 'state'),
      flips: fc.array(fc.record({ at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }), { minLength: 1, maxLength: 4 }),
    }),
    // Truncate or extend one file, manifest rewritten.
    fc.record({ kind: fc.constant('length' as const), role: fc.constantFrom<Role>('model', 'optimizer', 'config', 'tokenizer', 'state'), delta: fc.integer({ min: -64, max: 64 }) }),
    // Replace one JSON field of the config or state by another value.
    fc.record({
      kind: fc.constant('field' as const),
      role: fc.constantFrom<Role>('config', 'state'),
      pick: fc.nat(),
      value: fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constant(0), fc.constant(1e15), fc.double({ noNaN: true }), fc.string({ maxLength: 3 }), fc.constant(null), fc.boolean(), fc.constant([])),
      unbound: fc.boolean(),
    }),
    // The manifest's own text: flipped bytes.
    fc.record({ kind: fc.constant('manifest' as const), flips: fc.array(fc.record({ at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }), { minLength: 1, maxLength: 3 }) }),
  );

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  function apply(dir: string, c: any): void {
    if (c.kind === 'manifest') {
      const bytes = new Uint8Array(readFileSync(join(dir, 'checkpoint.json')));
      for (const f of c.flips) bytes[f.at % bytes.length]! ^= f.xor;
      writeFileSync(join(dir, 'checkpoint.json'), bytes);
      return;
    }
    if (c.kind === 'field') {
      if (c.unbound) unbind(dir);
      const value = readJson(dir, c.role);
      const leaves: [any, string][] = [];
      const walk = (node: any) => {
        for (const key of Object.keys(node)) {
          if (node[key] !== null && typeof node[key] === 'object' && !Array.isArray(node[key])) walk(node[key]);
          else leaves.push([node, key]);
        }
      };
      walk(value);
      const [node, key] = leaves[c.pick % leaves.length]!;
      node[key] = c.value;
      forgeJson(dir, c.role, value);
      return;
    }
    const path = join(dir, manifestOf(dir).files[c.role as Role].path);
    let bytes = new Uint8Array(readFileSync(path));
    if (c.kind === 'bytes') for (const f of c.flips) bytes[f.at % bytes.length]! ^= f.xor;
    else bytes = c.delta < 0 ? bytes.subarray(0, Math.max(0, bytes.length + c.delta)) : Uint8Array.from([...bytes, ...new Uint8Array(c.delta)]);
    forge(dir, c.role, bytes);
  }

  for (const [kind, load] of Object.entries(loaders)) {
    it(`${kind}: never a crash, a hang or silently different numbers (bounded time and memory per case)`, () => {
      const source = kind === 'language model' ? good : goodMt;
      const expected = load(source);
      const figures = { cases: 0, clear: 0, loaded: 0, alteredValues: 0, legacyConfigEdits: 0 };
      const buffersBefore = process.memoryUsage().arrayBuffers;
      fc.assert(
        fc.property(corruption, (c) => {
          figures.cases++;
          const dir = copy('fuzz', source);
          apply(dir, c);
          const started = Date.now();
          let outcome: Loaded | Error;
          try {
            outcome = load(dir);
          } catch (error) {
            outcome = error as Error;
          }
          // Generous: a load takes milliseconds and a few MB; these only catch runaway reads or allocations.
          expect(Date.now() - started, JSON.stringify(c)).toBeLessThan(5000);
          expect(process.memoryUsage().arrayBuffers, JSON.stringify(c)).toBeLessThan(buffersBefore + 256e6);
          if (outcome instanceof Error) {
            // A clear error names a file or field, never an engine internal.
            expect(outcome.message, JSON.stringify(c)).not.toMatch(/Cannot read properties|is not a function|Invalid typed array length|undefined \(reading|Maximum call stack/);
            expect(outcome.message, JSON.stringify(c)).toMatch(/checkpoint|config|state|tokenizer|safetensors|BpeTokenizer|\.json|loadStateDict/);
            figures.clear++;
            return;
          }
          // A load that succeeds has the trained numbers, except where bytes of the weights' data were
          // flipped and the manifest rewritten: a changed value that no hash can tell from training.
          // Even then only the flipped elements may differ (one per flip), never the structure.
          let differing = 0;
          for (const [name, t] of outcome.weights) {
            const want = expected.weights.get(name)!.data;
            Array.from(t.data).forEach((v, i) => void (Object.is(v, want[i]) || differing++));
          }
          expect(outcome.merges, `tokenizer changed by ${JSON.stringify(c)}`).toBe(expected.merges);
          if (JSON.stringify(outcome.config) !== JSON.stringify(expected.config)) {
            // Only a checkpoint without the weights' record of their config (saved before it existed)
            // can load an edited config that still describes weights of the same names and shapes.
            expect(c.kind === 'field' && c.unbound, `config changed by ${JSON.stringify(c)}`).toBe(true);
            figures.legacyConfigEdits++;
          } else if (differing === 0) figures.loaded++;
          if (differing > 0) {
            expect(c.kind === 'bytes' && c.role === 'model', `weights changed by ${JSON.stringify(c)}`).toBe(true);
            expect(differing).toBeLessThanOrEqual((c as { flips: unknown[] }).flips.length);
            figures.alteredValues++;
          }
        }),
        { numRuns: 150, seed: 12 },
      );
      if (process.env.FUZZ_REPORT) console.log(JSON.stringify({ kind, ...figures }));
      expect(figures.clear).toBeGreaterThan(75);
    });
  }
});

// Files named by the manifest only: nothing else in the directory is read.
it('leaves no unexpected files behind in the good checkpoint', () => {
  expect(readdirSync(good).sort()).toEqual(Object.values(manifestOf(good).files).map((f) => f.path).concat('checkpoint.json').sort());
});
