/**
 * Generation from a pretrained fla DeltaNet directory: greedy decoding reproduces the reference
 * script's continuation whatever the prefill chunk, eos stops it, top-p keeps only the nucleus, and
 * `fastweights lm generate --checkpoint DIR --prompt-ids …` streams the ids. Perplexity read in
 * segments equals the reference's; a loaded model fine-tunes with AdamW.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { loadHfDeltaNet, saveHfDeltaNet } from '../../../src/io/huggingFace.js';
import { loadHfTokenizer } from '../../../src/data/hfTokenizerFile.js';
import { DeltaNetForCausalLM, parseDeltaNetConfig } from '../../../src/nn/fla/index.js';
import { continuationDecoder, evaluatePretrained, generatePretrained, sampleTopP } from '../../../src/tasks/lm/pretrained.js';
import { AdamW } from '../../../src/train/optim.js';
import { crossEntropy } from '../../../src/ops/index.js';
import { sample } from '../../../src/tasks/lm/generate.js';
import { runLm } from '../../../src/tasks/lm/cli.js';
import { Rng } from '../../../src/index.js';
import { inference } from '../../../src/nn/module.js';
import type { DeltaNetLayerState } from '../../../src/nn/fla/index.js';

const FIXTURES = new URL('../../fixtures/fla/', import.meta.url).pathname;
const expectedOf = (name: string) =>
  JSON.parse(readFileSync(join(FIXTURES, name, 'expected.json'), 'utf8')) as { input_ids: number[]; logits: number[][]; greedy: { prompt: number[]; new_tokens: number[] } };

describe('generation from a pretrained fla DeltaNet', () => {
  it('greedy continuations equal the reference, for any prefill chunk size', () => {
    for (const name of ['default', 'gate', 'paper']) {
      const { model } = loadHfDeltaNet(join(FIXTURES, name));
      const { prompt, new_tokens: want } = expectedOf(name).greedy;
      for (const chunk of [1, 2, 256]) {
        expect([...generatePretrained(model, prompt, { tokens: want.length, temperature: 0, rng: new Rng(0), chunk })], `${name}, chunk ${chunk}`).toEqual(want);
      }
    }
  });

  it('with resident weights (the matrix-vector decoding path) gives the same greedy continuations and logits within 1e-5', () => {
    for (const name of ['default', 'gate', 'paper', 'tied']) {
      const plain = loadHfDeltaNet(join(FIXTURES, name)).model;
      const resident = loadHfDeltaNet(join(FIXTURES, name), { resident: true }).model;
      expect(new Map(resident.namedCompactWeights()).get('model.layers.0.attn.q_proj.weight')?.dtype, name).toBe('float32');
      const { prompt, new_tokens: want } = expectedOf(name).greedy;
      expect([...generatePretrained(resident, prompt, { tokens: want.length, temperature: 0, rng: new Rng(0), chunk: 1 })], name).toEqual(want);
      // One-token steps side by side: the logits agree to float32 rounding.
      let a: DeltaNetLayerState[] | undefined, b: DeltaNetLayerState[] | undefined;
      for (const id of [...prompt, ...want]) {
        const x = inference(plain, () => plain.forward([id], 1, 1, a ? { states: a } : {}));
        const y = inference(resident, () => resident.forward([id], 1, 1, b ? { states: b } : {}));
        [a, b] = [x.states, y.states];
        const scale = Math.max(...x.logits.data.map(Math.abs));
        x.logits.data.forEach((v, i) => expect(Math.abs(y.logits.data[i]! - v), `${name} [${i}]`).toBeLessThanOrEqual(1e-5 * scale));
      }
    }
  });

  it('stops after a stop token, and refuses a prompt id outside the vocabulary', () => {
    const { model } = loadHfDeltaNet(join(FIXTURES, 'default'));
    const { prompt, new_tokens: want } = expectedOf('default').greedy;
    const stopAt = want[3]!;
    const got = [...generatePretrained(model, prompt, { tokens: want.length, temperature: 0, rng: new Rng(0), stopTokens: [stopAt] })];
    expect(got).toEqual(want.slice(0, want.indexOf(stopAt) + 1));
    expect(() => [...generatePretrained(model, [1, 256], { tokens: 1, rng: new Rng(0) })]).toThrow('generate: prompt token 1 is 256, outside the vocabulary [0, 256)');
  });

  it('top-p draws only from the nucleus; p = 1 is plain sampling', () => {
    const logits = [Math.log(0.5), Math.log(0.3), Math.log(0.2)];
    const draws = (p: number) => {
      const rng = new Rng(4);
      return new Set(Array.from({ length: 300 }, () => sampleTopP(logits, 1, 0, p, rng)));
    };
    expect(draws(0.5)).toEqual(new Set([0]));
    expect(draws(0.75)).toEqual(new Set([0, 1]));
    expect(draws(0.95)).toEqual(new Set([0, 1, 2]));
    const a = new Rng(7), b = new Rng(7);
    for (let i = 0; i < 50; i++) expect(sampleTopP(logits, 0.9, 2, 1, a)).toBe(sample(logits, 0.9, 2, b));
  });

  it('fastweights lm generate --checkpoint DIR --prompt-ids streams the ids and reports the speed', async () => {
    const { prompt, new_tokens: want } = expectedOf('sharded').greedy;
    const written: string[] = [];
    const errors: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const error = vi.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => void errors.push(parts.join(' ')));
    try {
      const code = await runLm(['generate', '--checkpoint', join(FIXTURES, 'sharded'), '--prompt-ids', prompt.join(','), '--tokens', String(want.length), '--temperature', '0']);
      expect(code).toBe(0);
    } finally {
      write.mockRestore();
      error.mockRestore();
    }
    expect(written.length).toBe(want.length + 1); // one write per id, then the newline
    expect(written.join('')).toBe(`${want.join(' ')}\n`);
    expect(errors.join('\n')).toMatch(/^loaded in [\d.]+ s; prompt of 3 tokens in [\d.]+ s; 12 tokens generated, [\d.]+ tokens\/s decoding$/);
    await expect(runLm(['generate', '--checkpoint', join(FIXTURES, 'default'), '--prompt', 'hello'])).rejects.toThrow(/default has no tokenizer.json; give the prompt as token ids with --prompt-ids 1,2,3/);
    await expect(runLm(['generate', '--checkpoint', join(FIXTURES, 'default'), '--prompt-ids', '1,x'])).rejects.toThrow("lm generate: --prompt-ids: 'x' is not a token id");
  });
});

describe('evaluating and fine-tuning a pretrained fla DeltaNet', () => {
  it("perplexity in segments of any size equals the one from the reference's logits", () => {
    for (const name of ['default', 'paper']) {
      const { input_ids: ids, logits } = expectedOf(name);
      // Cross-entropy of each reference row against the next id, in float64.
      let want = 0;
      for (let t = 0; t + 1 < ids.length; t++) {
        const row = logits[t]!;
        const top = Math.max(...row);
        want += top + Math.log(row.reduce((a, v) => a + Math.exp(v - top), 0)) - row[ids[t + 1]!]!;
      }
      want /= ids.length - 1;
      const { model } = loadHfDeltaNet(join(FIXTURES, name));
      for (const segment of [1, 5, 512]) {
        const r = evaluatePretrained(model, ids, { segment });
        expect(r.tokens).toBe(ids.length - 1);
        expect(Math.abs(r.loss - want) / want, `${name}, segment ${segment}`).toBeLessThan(1e-5);
        expect(r.perplexity).toBeCloseTo(Math.exp(r.loss), 10);
      }
    }
  });

  it('fine-tunes with AdamW: 15 steps on a text halve its loss', () => {
    const { model } = loadHfDeltaNet(join(FIXTURES, 'gate'));
    const text = [5, 9, 14, 200, 31, 7, 99, 5, 9, 14, 200, 31];
    const before = evaluatePretrained(model, text).loss;
    const optimizer = new AdamW(model.namedParameters(), { lr: 1e-2, weightDecay: 0 });
    for (let step = 0; step < 15; step++) {
      optimizer.zeroGrad();
      const { logits } = model.forward(text.slice(0, -1), 1, text.length - 1);
      crossEntropy(logits, text.slice(1)).backward();
      optimizer.step();
    }
    const after = evaluatePretrained(model, text).loss;
    expect(after).toBeLessThan(before / 2);
  });
});

describe('text in and out through the directory\'s tokenizer.json', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fla-text-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // A random model with the vocabulary of the Llama-style test tokenizer (byte fallback, Metaspace).
  const tokenizerFile = new URL('../../data/fixtures/tokenizers/llama-bytefallback.tokenizer.json', import.meta.url).pathname;
  const tokenizer = loadHfTokenizer(tokenizerFile);
  const config = parseDeltaNetConfig({ model_type: 'delta_net', vocab_size: tokenizer.vocabSize, hidden_size: 16, num_hidden_layers: 1, num_heads: 2, intermediate_size: 32, initializer_range: 0.5, bos_token_id: 1, eos_token_id: 2 });
  const model = new DeltaNetForCausalLM(config, { seed: 11 });
  saveHfDeltaNet(model, dir);
  copyFileSync(tokenizerFile, join(dir, 'tokenizer.json'));

  async function capture(argv: string[]): Promise<{ stdout: string; stderr: string }> {
    const written: string[] = [];
    const logged: string[] = [];
    const errors: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const log = vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void logged.push(parts.join(' ')));
    const error = vi.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => void errors.push(parts.join(' ')));
    try {
      expect(await runLm(argv)).toBe(0);
    } finally {
      write.mockRestore();
      log.mockRestore();
      error.mockRestore();
    }
    return { stdout: written.join('') + logged.join('\n'), stderr: errors.join('\n') };
  }

  it('lm generate --prompt TEXT streams the continuation as text', async () => {
    const prompt = 'Fast weights über alles';
    const promptIds = tokenizer.encode(prompt);
    const ids = [...generatePretrained(model, promptIds, { tokens: 20, temperature: 0, rng: new Rng(0), stopTokens: [2] })];
    expect(ids.length).toBeGreaterThan(5);
    // The continuation as the tokenizer decodes it after the prompt (with the space a first token would lose).
    expect(tokenizer.decode(promptIds)).toBe(prompt);
    const continuation = tokenizer.decode([...promptIds, ...ids]).slice(prompt.length);
    const { stdout } = await capture(['generate', '--checkpoint', dir, '--prompt', prompt, '--tokens', '20', '--temperature', '0']);
    expect(stdout).toBe(`${prompt}${continuation}\n`);
  });

  it('a continuation keeps the space before its first word (decoded after the prompt)', () => {
    const promptIds = tokenizer.encode('Fast');
    const next = tokenizer.encode('Fast weights', { addSpecialTokens: false }).slice(tokenizer.encode('Fast', { addSpecialTokens: false }).length);
    expect(tokenizer.decode(next)).toBe('weights'); // alone, Metaspace drops the space
    const stream = continuationDecoder(tokenizer, promptIds);
    expect(next.map((id) => stream.push(id)).join('') + stream.flush()).toBe(' weights');
  });

  it('lm eval --corpus FILE gives the perplexity of the text read with the tokenizer', async () => {
    const corpus = join(dir, 'text.txt');
    const text = 'The delta rule overwrites an association.\nDie Katze schläft. 日本語 🙂 123';
    writeFileSync(corpus, text);
    const want = evaluatePretrained(model, tokenizer.encode(text));
    const { stdout } = await capture(['eval', '--checkpoint', dir, '--corpus', corpus, '--json']);
    const got = JSON.parse(stdout) as { perplexity: number; tokens: number };
    expect(got.tokens).toBe(want.tokens);
    expect(got.perplexity).toBeCloseTo(want.perplexity, 8);
    await expect(runLm(['eval', '--checkpoint', dir])).rejects.toThrow(/is a Hugging Face model directory; give the text with --corpus FILE/);
  });

  it('lm export writes one file in the chosen precision, with the tokenizer, that loads back', async () => {
    const out = join(dir, 'exported-bf16');
    const { stdout } = await capture(['export', '--checkpoint', dir, '--out', out, '--dtype', 'bf16']);
    expect(stdout).toBe(`${out}: config.json, model.safetensors (BF16, ${model.parameterCount().toLocaleString('en-US')} parameters), tokenizer.json`);
    expect(readFileSync(join(out, 'tokenizer.json'), 'utf8')).toBe(readFileSync(tokenizerFile, 'utf8'));
    expect([...loadHfDeltaNet(out).storedDTypes]).toEqual(['BF16']);
    await expect(runLm(['export', '--checkpoint', dir, '--out', out])).rejects.toThrow(`lm export: ${out} already holds a model (config.json); choose an empty directory`);
  });
});

describe('lm export', () => {
  const root = mkdtempSync(join(tmpdir(), 'fla-export-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('joins shards into one F32 file with the same weights, and refuses a training checkpoint', async () => {
    const out = join(root, 'joined');
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      expect(await runLm(['export', '--checkpoint', join(FIXTURES, 'sharded'), '--out', out])).toBe(0);
    } finally {
      log.mockRestore();
    }
    expect(existsSync(join(out, 'model.safetensors.index.json'))).toBe(false);
    const a = loadHfDeltaNet(join(FIXTURES, 'sharded')).model;
    const b = loadHfDeltaNet(out).model;
    expect([...b.stateDict()].map(([n, p]) => [n, Array.from(p.data)])).toEqual([...a.stateDict()].map(([n, p]) => [n, Array.from(p.data)]));
    await expect(runLm(['export', '--checkpoint', root, '--out', join(root, 'x')])).rejects.toThrow(/is neither a Hugging Face directory \(config.json\) nor a training run \(checkpoint.json\)/);
  });
});
