/**
 * Loading fla DeltaNet models from Hugging Face directories: the six tiny models that
 * scripts/fla_reference.py wrote into test/fixtures/fla (pure PyTorch written from fla's code, float64)
 * give the same logits here (1e-4 of each row's largest logit; bf16 weights are widened exactly, so the
 * same bound holds, and fla's bf16 arithmetic is within 3e-2), the same greedy continuation, and the
 * same logits decoding one token at a time. Bad directories fail before any weight is read, naming the
 * file and the fault. A model written here loads back with identical logits, and the reference
 * script, given what saveHfDeltaNet wrote (test/fixtures/fla/exported), computes the same logits.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadHfDeltaNet, saveHfDeltaNet } from '../../src/io/huggingFace.js';
import { inference } from '../../src/nn/module.js';
import { DeltaNetForCausalLM, deltaNetParameterShapes, parseDeltaNetConfig } from '../../src/nn/fla/index.js';
import { bf16BytesToFloat32, float32ToBf16Bits } from '../../src/io/halfFloat.js';
import { encodeSafetensors } from '../../src/io/safetensors.js';

const FIXTURES = new URL('../fixtures/fla/', import.meta.url).pathname;
const CASES = ['default', 'gate', 'paper', 'tied', 'bf16', 'sharded'];

interface Expected {
  input_ids: number[];
  logits: number[][];
  greedy: { prompt: number[]; new_tokens: number[] };
  logits_bf16_arithmetic?: number[][];
}

/** Largest |got − want| over each row, relative to that row's largest |want|. */
function worstRelative(got: ArrayLike<number>, want: number[][]): number {
  let worst = 0;
  want.forEach((row, t) => {
    const scale = Math.max(...row.map(Math.abs));
    row.forEach((w, j) => (worst = Math.max(worst, Math.abs(got[t * row.length + j]! - w) / scale)));
  });
  return worst;
}

function greedy(model: DeltaNetForCausalLM, prompt: number[], n: number): number[] {
  return inference(model, () => {
    let { logits, states } = model.forward(prompt, 1, prompt.length, { lastOnly: true });
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let j = 1; j < logits.size; j++) if (logits.data[j]! > logits.data[best]!) best = j;
      out.push(best);
      ({ logits, states } = model.forward([best], 1, 1, { states }));
    }
    return out;
  });
}

describe('fla DeltaNet directories from the reference script', () => {
  // resident: the matrices kept in their file's format in WebAssembly memory (bf16 at two bytes), the
  // whole sequence through widened blocks and one-token steps through the matrix-vector kernels.
  for (const [name, resident] of CASES.flatMap((name) => [[name, false], [name, true]] as const)) {
    it(`${name}${resident ? ', resident weights' : ''}: logits, greedy continuation and token-by-token decoding match`, () => {
      const dir = join(FIXTURES, name);
      const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Expected;
      const { model, storedDTypes, files } = loadHfDeltaNet(dir, { resident });
      expect([...storedDTypes]).toEqual([name === 'bf16' ? 'BF16' : 'F32']);
      const compact = model.namedCompactWeights();
      const matrices = [...deltaNetParameterShapes(model.config).values()].filter((shape) => shape.length === 2).length;
      expect(compact.length).toBe(resident ? matrices : 0);
      for (const [, w] of compact) expect(w.dtype).toBe(name === 'bf16' ? 'bfloat16' : 'float32');
      expect(files.length).toBe(name === 'sharded' ? 2 : 1);
      const ids = expected.input_ids;
      const full = inference(model, () => model.forward(ids, 1, ids.length).logits);
      expect(worstRelative(full.data, expected.logits)).toBeLessThan(1e-4);
      if (expected.logits_bf16_arithmetic) expect(worstRelative(full.data, expected.logits_bf16_arithmetic)).toBeLessThan(3e-2);

      expect(greedy(model, expected.greedy.prompt, expected.greedy.new_tokens.length)).toEqual(expected.greedy.new_tokens);

      // Prefill the first five tokens, then one at a time: the state is all the model keeps.
      const stepped: number[] = [];
      inference(model, () => {
        let { logits, states } = model.forward(ids.slice(0, 5), 1, 5);
        stepped.push(...logits.data);
        for (let t = 5; t < ids.length; t++) {
          ({ logits, states } = model.forward([ids[t]!], 1, 1, { states }));
          stepped.push(...logits.data);
        }
      });
      expect(worstRelative(stepped, expected.logits)).toBeLessThan(1e-4);
      const scale = Math.max(...Array.from(full.data, Math.abs));
      stepped.forEach((v, i) => expect(Math.abs(v - full.data[i]!) / scale).toBeLessThan(1e-5));
    });
  }
});

describe('resident weights (kept bf16 for inference)', () => {
  it('a forward pass that records gradients is refused in one line', () => {
    const { model } = loadHfDeltaNet(join(FIXTURES, 'bf16'), { resident: true });
    expect(() => model.forward([1, 2], 1, 2)).toThrow(
      /^linearCompact: the weight \[\d+, 32\] is kept as bfloat16 for inference and has no gradient; run under inference\(\), or load the model without resident weights to train it$/,
    );
  });

  it('F16 matrices stay half, a file mixing BF16 and F32 gives float32: the logits are those of float32 parameters', () => {
    const root = mkdtempSync(join(tmpdir(), 'fla-formats-'));
    try {
      const { model } = loadHfDeltaNet(join(FIXTURES, 'default'));
      const half = join(root, 'f16');
      saveHfDeltaNet(model, half, { dtype: 'F16' });
      const mixed = join(root, 'mixed');
      cpSync(join(FIXTURES, 'default'), mixed, { recursive: true });
      const tensors = new Map([...model.stateDict()].map(([name, p], i) => [name, { dtype: i % 2 ? ('BF16' as const) : ('F32' as const), shape: [...p.shape], data: p.data as Float32Array }]));
      writeFileSync(join(mixed, 'model.safetensors'), encodeSafetensors(tensors));
      const ids = [3, 17, 42, 5, 99, 7, 1];
      for (const [dir, format] of [[half, 'float16'], [mixed, 'float32']] as const) {
        const plain = loadHfDeltaNet(dir).model;
        const resident = loadHfDeltaNet(dir, { resident: true }).model;
        for (const [, w] of resident.namedCompactWeights()) expect(w.dtype).toBe(format);
        const want = inference(plain, () => plain.forward(ids, 1, ids.length).logits.data);
        const scale = Math.max(...Array.from(want, Math.abs));
        for (const got of [inference(resident, () => resident.forward(ids, 1, ids.length).logits.data), inference(resident, () => resident.forward([ids[0]!], 1, 1).logits.data)]) {
          got.forEach((v, i) => expect(Math.abs(v - want[i]!) / scale, `${format} [${i}]`).toBeLessThan(1e-5));
        }
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('saved again as BF16, they give back the same weights', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fla-resident-'));
    try {
      saveHfDeltaNet(loadHfDeltaNet(join(FIXTURES, 'bf16'), { resident: true }).model, dir, { dtype: 'BF16' });
      const weights = (d: string) => [...loadHfDeltaNet(d).model.stateDict()].map(([n, p]) => [n, Array.from(p.data)]);
      expect(weights(dir)).toEqual(weights(join(FIXTURES, 'bf16')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('loading into float64', () => {
  it('F32 and BF16 weights widen exactly: the float64 model gives the reference logits closer still', () => {
    for (const name of ['default', 'bf16']) {
      const dir = join(FIXTURES, name);
      const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Expected;
      const { model } = loadHfDeltaNet(dir, { dtype: 'float64' });
      expect(model.dtype).toBe('float64');
      const logits = model.forward(expected.input_ids, 1, expected.input_ids.length).logits;
      expect(worstRelative(logits.data, expected.logits), name).toBeLessThan(1e-7);
    }
  });
});

describe('bad directories fail early, naming the file and the fault', () => {
  const root = mkdtempSync(join(tmpdir(), 'fla-bad-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  let n = 0;
  /** A copy of a fixture, changed by `edit`. */
  const copy = (name: string, edit: (dir: string) => void): string => {
    const dir = join(root, `${name}-${n++}`);
    cpSync(join(FIXTURES, name), dir, { recursive: true });
    edit(dir);
    return dir;
  };
  const editConfig = (dir: string, change: (c: Record<string, unknown>) => void) => {
    const path = join(dir, 'config.json');
    const config = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    change(config);
    writeFileSync(path, JSON.stringify(config));
  };

  it('an unknown model_type', () => {
    const dir = copy('default', (d) => editConfig(d, (c) => (c.model_type = 'llama')));
    expect(() => loadHfDeltaNet(dir)).toThrow(`${join(dir, 'config.json')}: model_type is "llama"; only fla's "delta_net" models are supported`);
  });

  it('a config key not implemented here', () => {
    const dir = copy('default', (d) => editConfig(d, (c) => (c.attn = { layers: [1], num_heads: 2 })));
    expect(() => loadHfDeltaNet(dir)).toThrow(`${join(dir, 'config.json')}: config key 'attn' = {"layers":[1],"num_heads":2} is not supported (hybrid softmax-attention layers are not implemented)`);
    const other = copy('default', (d) => editConfig(d, (c) => (c.num_kv_heads = 2)));
    expect(() => loadHfDeltaNet(other)).toThrow(`${join(other, 'config.json')}: config key 'num_kv_heads' is not implemented here`);
  });

  it('a missing shard', () => {
    const dir = copy('sharded', (d) => unlinkSync(join(d, 'model-00002-of-00002.safetensors')));
    expect(() => loadHfDeltaNet(dir)).toThrow(`${join(dir, 'model.safetensors.index.json')}: shard 'model-00002-of-00002.safetensors' is missing`);
  });

  it('a tensor whose shape disagrees with the config', () => {
    const dir = copy('default', (d) => editConfig(d, (c) => (c.intermediate_size = 96)));
    expect(() => loadHfDeltaNet(dir)).toThrow(
      `${join(dir, 'model.safetensors')}: tensor 'model.layers.0.mlp.down_proj.weight' has shape [32, 64] but ${join(dir, 'config.json')} gives [32, 96]`,
    );
  });

  it('a truncated safetensors file', () => {
    const dir = copy('default', (d) => {
      const path = join(d, 'model.safetensors');
      truncateSync(path, statSync(path).size - 10);
    });
    expect(() => loadHfDeltaNet(dir)).toThrow(new RegExp(`^${join(dir, 'model.safetensors')}: not a valid safetensors file: tensor data needs \\d+ bytes but only \\d+ follow the header \\(truncated\\?\\)$`));
  });

  it('a missing tensor, and no weight file at all', () => {
    const dir = copy('tied', (d) => editConfig(d, (c) => (c.tie_word_embeddings = false)));
    expect(() => loadHfDeltaNet(dir)).toThrow(`${dir}: tensor 'lm_head.weight' [256, 32] is in none of the weight files (model.safetensors)`);
    const empty = copy('default', (d) => unlinkSync(join(d, 'model.safetensors')));
    expect(() => loadHfDeltaNet(empty)).toThrow(`${empty}: has neither model.safetensors nor model.safetensors.index.json`);
  });
});

describe('saving as a Hugging Face directory', () => {
  const root = mkdtempSync(join(tmpdir(), 'fla-save-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const ids = [3, 1, 4, 1, 5, 9, 2, 6];
  const variants = [{}, { use_gate: true }, { qk_activation: 'elu', qk_norm: 'sum', use_short_conv: false }, { tie_word_embeddings: true, use_beta: false }];

  it('F32: loads back with the same parameters and bit-identical logits', () => {
    variants.forEach((extra, i) => {
      const config = parseDeltaNetConfig({ model_type: 'delta_net', vocab_size: 11, hidden_size: 8, num_hidden_layers: 2, num_heads: 2, intermediate_size: 12, initializer_range: 0.3, ...extra });
      const model = new DeltaNetForCausalLM(config, { seed: i });
      const dir = join(root, `f32-${i}`);
      saveHfDeltaNet(model, dir);
      const back = loadHfDeltaNet(dir).model;
      expect([...back.stateDict()].map(([n, p]) => [n, Array.from(p.data)])).toEqual([...model.stateDict()].map(([n, p]) => [n, Array.from(p.data)]));
      expect(Array.from(back.forward(ids, 1, ids.length).logits.data)).toEqual(Array.from(model.forward(ids, 1, ids.length).logits.data));
    });
  });

  it('BF16: every weight rounded to nearest even, two bytes each', () => {
    const config = parseDeltaNetConfig({ model_type: 'delta_net', vocab_size: 11, hidden_size: 8, num_hidden_layers: 1, num_heads: 2, intermediate_size: 12, initializer_range: 0.3 });
    const model = new DeltaNetForCausalLM(config, { seed: 9 });
    const dir = join(root, 'bf16');
    saveHfDeltaNet(model, dir, { dtype: 'BF16' });
    const { model: back, storedDTypes } = loadHfDeltaNet(dir);
    expect([...storedDTypes]).toEqual(['BF16']);
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).torch_dtype).toBe('bfloat16');
    for (const [name, p] of model.stateDict()) {
      const bits = Array.from(p.data, float32ToBf16Bits);
      const rounded = bf16BytesToFloat32(new Uint8Array(bits.flatMap((b) => [b & 0xff, b >>> 8])), 0, bits.length);
      expect(Array.from(back.stateDict().get(name)!.data), name).toEqual(Array.from(rounded));
    }
  });

  it('refuses to write over sharded weights (the index would win)', () => {
    const dir = join(root, 'sharded');
    cpSync(join(FIXTURES, 'sharded'), dir, { recursive: true });
    const { model } = loadHfDeltaNet(dir);
    expect(() => saveHfDeltaNet(model, dir)).toThrow(`${join(dir, 'model.safetensors.index.json')}: exists; save into a directory without sharded weights`);
  });

  it('what it writes is what the reference script reads: the same logits within 1e-5', () => {
    // test/fixtures/fla/exported was written by this call once; reference.json is the script's answer for it.
    const config = parseDeltaNetConfig({ model_type: 'delta_net', vocab_size: 256, hidden_size: 32, num_hidden_layers: 2, num_heads: 2, intermediate_size: 64, use_gate: true, initializer_range: 0.3 });
    const model = new DeltaNetForCausalLM(config, { seed: 5 });
    const dir = join(root, 'exported');
    saveHfDeltaNet(model, dir);
    const committed = join(FIXTURES, 'exported');
    expect(readFileSync(join(dir, 'model.safetensors')).equals(readFileSync(join(committed, 'model.safetensors')))).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))).toEqual(JSON.parse(readFileSync(join(committed, 'config.json'), 'utf8')));
    const reference = JSON.parse(readFileSync(join(committed, 'reference.json'), 'utf8')) as { input_ids: number[]; logits: number[][] };
    const logits = model.forward(reference.input_ids, 1, reference.input_ids.length).logits;
    expect(worstRelative(logits.data, reference.logits)).toBeLessThan(1e-5);
  });
});
