import { describe, expect, it } from 'vitest';
import { LanguageModel, Rng, checkGradients, describeGradCheck, evaluatePerplexity, generate, type FastWeightAttention } from '../../../src/index.js';
import * as ops from '../../../src/ops/index.js';

const tiny = (attention: string, extra: Partial<ConstructorParameters<typeof LanguageModel>[0]> = {}) =>
  new LanguageModel({ vocabSize: 11, attention, dModel: 8, layers: 2, heads: 2, context: 6, positions: false, seed: 3, ...extra });

const ids = (n: number, seed: number) => {
  const rng = new Rng(seed);
  return Int32Array.from({ length: n }, () => rng.int(11));
};

/** Mean and standard deviation of a weight table's values. */
const spread = (data: ArrayLike<number>) => {
  const values = Array.from(data);
  const mean = values.reduce((s, x) => s + x, 0) / values.length;
  return { mean, std: Math.sqrt(values.reduce((s, x) => s + (x - mean) ** 2, 0) / values.length) };
};

/** checkGradients of the cross-entropy of two segments of 3 random tokens (a vocabulary of 7), over every parameter of a float64 model. */
const expectGradients = (model: LanguageModel, what: string) => {
  model.eval();
  const x = ids(6, 1).map((v) => v % 7);
  const targets = Array.from(ids(6, 2), (v) => v % 7);
  const r = checkGradients(() => ops.crossEntropy(model.forward(x, 2, 3).logits, targets), [], { parameters: model.parameters() });
  expect(r.ok, `${what}: ${describeGradCheck(r)}`).toBe(true);
};

describe('language model', () => {
  it('passes checkGradients end to end for a sum-rule and a delta-rule model, with learned positions and with unit embeddings (float64, every parameter)', () => {
    for (const [name, learnedPositions, unitEmbedding] of [['linear', false, false], ['dpfp-delta', false, false], ['delta', true, false], ['linear', true, true]] as const) {
      const model = new LanguageModel({ vocabSize: 7, attention: name, dModel: 4, layers: 1, heads: 2, context: 3, positions: true, learnedPositions, unitEmbedding, seed: 1, ffHidden: 4 }, 'float64');
      expect(model.positionTable !== null).toBe(learnedPositions);
      expectGradients(model, name);
    }
  });
  it("passes checkGradients end to end with the replica's choices: a ReLU feed-forward, uniform biases, φ / Σφ without ε (float64, every parameter)", () => {
    for (const name of ['linear', 'delta', 'dpfp-delta']) {
      const model = new LanguageModel({ vocabSize: 7, attention: name, dModel: 4, layers: 2, heads: 2, context: 3, positions: true, learnedPositions: true, unitEmbedding: true, ffActivation: 'relu', biasInit: 'uniform', phiEps: 0, seed: 2, ffHidden: 6 }, 'float64');
      expect(model.blocks.every((b) => b.feedForward.options.activation === 'relu')).toBe(true);
      expectGradients(model, name);
    }
  });
  it("biasInit 'uniform' draws every bias in ±1/√fan_in as PyTorch's nn.Linear, the weights in the same range as always; the default starts them at zero", () => {
    const config = { vocabSize: 50, attention: 'delta', dModel: 64, layers: 4, heads: 4, context: 8, positions: true, seed: 7, ffHidden: 256 };
    const torch = new LanguageModel({ ...config, biasInit: 'uniform' });
    const params = new Map(torch.namedParameters());
    const gather = (suffix: string) => torch.namedParameters().filter(([name]) => name.endsWith(suffix)).flatMap(([, p]) => Array.from(p.data));
    // U(−b, b) has mean 0 and standard deviation b/√3; every value inside the bound.
    for (const [suffix, fanIn] of [['feedForward.up.bias', 64], ['feedForward.down.bias', 256], ['attention.beta.bias', 64], ['feedForward.up.weight', 64], ['feedForward.down.weight', 256], ['attention.query.weight', 64]] as const) {
      const values = gather(suffix);
      const bound = 1 / Math.sqrt(fanIn);
      const drawn = spread(values);
      expect(values.reduce((m, v) => Math.max(m, Math.abs(v)), 0), suffix).toBeLessThanOrEqual(bound);
      expect(values.filter((v) => v !== 0).length, suffix).toBe(values.length);
      expect(Math.abs(drawn.mean), suffix).toBeLessThan((3 * bound) / Math.sqrt(3 * values.length));
      // The spread, where there are enough values to measure it (β has one bias per head).
      if (values.length < 256) continue;
      expect(drawn.std / (bound / Math.sqrt(3)), suffix).toBeGreaterThan(values.length >= 1000 ? 0.95 : 0.85);
      expect(drawn.std / (bound / Math.sqrt(3)), suffix).toBeLessThan(values.length >= 1000 ? 1.05 : 1.15);
    }
    // LayerNorm starts at gain 1, shift 0 either way (as PyTorch's).
    expect(Array.from(params.get('finalNorm.weight')!.data).every((v) => v === 1) && Array.from(params.get('finalNorm.bias')!.data).every((v) => v === 0)).toBe(true);
    const plain = new LanguageModel(config);
    for (const [name, p] of plain.namedParameters()) if (name.endsWith('.bias')) expect(Array.from(p.data).every((v) => v === 0), name).toBe(true);
  });
  it('ffActivation and phiEps change the forward as they say, and bad values are refused naming the field', () => {
    const config = { vocabSize: 30, attention: 'delta', dModel: 8, layers: 1, heads: 2, context: 6, positions: true, seed: 3 };
    const x = ids(12, 6).map((v) => v % 30);
    const logits = (extra: object) => Array.from(new LanguageModel({ ...config, ...extra }, 'float64').forward(x, 2, 6).logits.data);
    const gelu = logits({});
    expect(logits({ ffActivation: 'gelu', phiEps: 1e-6, biasInit: 'zero' })).toEqual(gelu); // the defaults, spelt out
    expect(logits({ ffActivation: 'relu' })).not.toEqual(gelu);
    // ε = 0 divides by the sum alone: close to the default's 10⁻⁶, not equal; a large ε is another model.
    const noEps = logits({ phiEps: 0 });
    expect(noEps).not.toEqual(gelu);
    noEps.forEach((v, i) => expect(v).toBeCloseTo(gelu[i]!, 3));
    expect(Math.max(...logits({ phiEps: 1 }).map((v, i) => Math.abs(v - gelu[i]!)))).toBeGreaterThan(1e-3);
    expect(() => new LanguageModel({ ...config, ffActivation: 'tanh' as never })).toThrow(/^language model config: ffActivation must be one of gelu, relu, got tanh$/);
    expect(() => new LanguageModel({ ...config, biasInit: 'normal' as never })).toThrow(/^language model config: biasInit must be one of zero, uniform, got normal$/);
    expect(() => new LanguageModel({ ...config, phiEps: -1 })).toThrow(/^language model config: phiEps must be a number in \[0, 1\], got -1$/);
  });
  it('blockSize: the loss and every gradient equal the model without blocks (float64, to 1e-10), the attention layers run in blocks; refused where it cannot apply', () => {
    const config = { vocabSize: 30, dModel: 8, layers: 2, heads: 2, context: 7, positions: true, seed: 4 };
    const x = Array.from(ids(14, 8), (v) => v % 30);
    const targets = Array.from(ids(14, 9), (v) => v % 30);
    for (const attention of ['delta', 'linear', 'dpfp-delta']) {
      const run = (extra: object) => {
        const model = new LanguageModel({ ...config, attention, ...extra }, 'float64');
        model.eval(); // no dropout: the two models see the same function
        const loss = ops.crossEntropy(model.forward(x, 2, 7).logits, targets);
        loss.backward();
        return { model, values: [loss.data, ...model.parameters().map((p) => p.grad!.data)] };
      };
      const whole = run({}), blocked = run({ blockSize: 3 });
      expect(blocked.model.blocks.every((b) => (b.attention as FastWeightAttention).options.blockSize === 3), attention).toBe(true);
      expect(whole.model.blocks.every((b) => (b.attention as FastWeightAttention).options.blockSize === undefined), attention).toBe(true);
      whole.values.forEach((want, i) => want.forEach((w, j) => expect(Math.abs(blocked.values[i]![j]! - w), `${attention}: array ${i} [${j}]`).toBeLessThanOrEqual(1e-10 * (1 + Math.abs(w)))));
    }
    expect(() => new LanguageModel({ ...config, attention: 'delta', blockSize: 0 })).toThrow(/^language model config: blockSize must be an integer ≥ 1, got 0$/);
    expect(() => new LanguageModel({ ...config, attention: 'delta', blockSize: 2.5 })).toThrow(/^language model config: blockSize must be an integer ≥ 1, got 2.5$/);
    expect(() => new LanguageModel({ ...config, attention: 'softmax', blockSize: 4 })).toThrow(/^language model config: blockSize needs a fast weight model with a fixed φ; 'softmax' is softmax attention$/);
    expect(() => new LanguageModel({ ...config, attention: 'performer', blockSize: 4 })).toThrow(/^language model config: blockSize needs a fast weight model with a fixed φ; 'performer' draws new random features at every forward$/);
  });
  it('carrying state across segments equals one pass over the whole stream (fast weights and softmax cache)', () => {
    for (const name of ['delta', 'linear', 'softmax']) {
      const model = tiny(name);
      model.eval();
      const x = ids(12, 5);
      const whole = model.forward(x, 1, 12).logits;
      const a = model.forward(x.subarray(0, 5), 1, 5);
      const b = model.forward(x.subarray(5), 1, 7, { states: a.states });
      const joined = ops.concat([a.logits, b.logits], 1);
      let diff = 0;
      for (let i = 0; i < whole.size; i++) diff = Math.max(diff, Math.abs(whole.data[i]! - joined.data[i]!));
      expect(diff, name).toBeLessThan(1e-4);
    }
  });
  it('scaledEmbedding: at initialisation the output depends on the tokens about as much as on their positions', () => {
    // Rows of one token repeated: the logits' variance across tokens at a fixed position, over their
    // variance across positions for a fixed token. With embeddings at std 0.02 beside unit-size
    // sinusoidal positions it is about 0.0005: every layer sees the positions, hardly the tokens,
    // and carry-over training learns a memory only its own history builds (docs/experiments.md).
    const V = 60, T = 16;
    const ratio = (model: LanguageModel) => {
      const rows = Int32Array.from({ length: V * T }, (_, i) => Math.floor(i / T));
      const logits = model.forward(rows, V, T).logits.data;
      const variance = (values: number[]) => values.reduce((s, x) => s + x * x, 0) / values.length - (values.reduce((s, x) => s + x, 0) / values.length) ** 2;
      let acrossTokens = 0, acrossPositions = 0;
      for (let j = 0; j < V; j++) {
        for (let t = 0; t < T; t++) acrossTokens += variance(Array.from({ length: V }, (_, r) => logits[(r * T + t) * V + j]!));
        for (let r = 0; r < V; r++) acrossPositions += variance(Array.from({ length: T }, (_, t) => logits[(r * T + t) * V + j]!));
      }
      return acrossTokens / acrossPositions;
    };
    for (const seed of [1, 2]) {
      const config = { vocabSize: V, attention: 'delta', dModel: 16, layers: 2, heads: 2, context: T, positions: true, seed };
      expect(ratio(new LanguageModel({ ...config, scaledEmbedding: true })), `seed ${seed}`).toBeGreaterThan(0.3);
      expect(ratio(new LanguageModel(config)), `seed ${seed}, the older layout`).toBeLessThan(0.01);
    }
  });
  it('without scaledEmbedding the model is the older layout (checkpoints written before the option): embeddings at std 0.02, unscaled', () => {
    const config = { vocabSize: 300, attention: 'linear', dModel: 16, layers: 1, heads: 2, context: 6, positions: true, seed: 4 };
    const std = (m: LanguageModel) => Math.sqrt(Array.from(m.embedding.weight.data).reduce((s, x) => s + x * x, 0) / m.embedding.weight.size);
    expect(std(new LanguageModel(config))).toBeCloseTo(0.02, 3);
    expect(std(new LanguageModel({ ...config, scaledEmbedding: true }))).toBeCloseTo(0.25, 2);
    const x = ids(12, 3);
    const absent = new LanguageModel(config).forward(x, 2, 6).logits.data;
    expect(Array.from(new LanguageModel({ ...config, scaledEmbedding: false }).forward(x, 2, 6).logits.data)).toEqual(Array.from(absent));
    // The same table with and without the √D: other logits (the residual stream carries the scale past the first LayerNorm).
    const scaled = new LanguageModel({ ...config, positions: false, scaledEmbedding: true });
    const plain = new LanguageModel({ ...config, positions: false });
    plain.loadStateDict(scaled.stateDict());
    expect(Array.from(plain.forward(x, 2, 6).logits.data)).not.toEqual(Array.from(scaled.forward(x, 2, 6).logits.data));
  });
  it('unitEmbedding: token embeddings drawn N(0, 1) and added as they are, the output tied to them; refused beside scaledEmbedding', () => {
    const config = { vocabSize: 300, attention: 'linear', dModel: 16, layers: 1, heads: 2, context: 6, positions: true, learnedPositions: true, seed: 5 };
    const unit = new LanguageModel({ ...config, unitEmbedding: true });
    const scaled = new LanguageModel({ ...config, scaledEmbedding: true });
    const weight = unit.embedding.weight;
    const drawn = spread(weight.data);
    expect(Math.abs(drawn.mean)).toBeLessThan(0.05);
    expect(drawn.std).toBeCloseTo(1, 1);
    // The same draws as the scaled model's table (std 1/√16), so every other weight is the same too.
    const scaledWeights = new Map(scaled.namedParameters());
    for (const [name, p] of unit.namedParameters()) {
      const expected = Array.from(scaledWeights.get(name)!.data, (x) => (name === 'embedding.weight' ? x * 4 : x));
      Array.from(p.data).forEach((x, i) => expect(x, `${name}[${i}]`).toBeCloseTo(expected[i]!, 5));
    }
    // Added as they are: a token's input is its row of the table, not √D times it.
    const x = ids(6, 8);
    const rows = unit.embedding.forward(x, [1, 6]).data;
    for (let t = 0; t < 6; t++) expect(Array.from(rows.subarray(t * 16, (t + 1) * 16))).toEqual(Array.from(weight.data.subarray(x[t]! * 16, (x[t]! + 1) * 16)));
    // No output layer of its own: the logits read the embedding table (tied), so changing it moves them.
    expect(unit.namedParameters().map(([name]) => name).filter((name) => !name.startsWith('blocks.'))).toEqual(['positionTable', 'embedding.weight', 'finalNorm.weight', 'finalNorm.bias']);
    unit.eval();
    const before = unit.forward(x, 1, 6).logits.data.slice();
    weight.data[299 * 16] += 1; // token 299 is not in x: only its logit column can move
    const after = unit.forward(x, 1, 6).logits.data;
    for (let i = 0; i < before.length; i++) if (i % 300 !== 299) expect(after[i]).toBe(before[i]);
    expect(after[299]).not.toBe(before[299]);
    expect(() => new LanguageModel({ ...config, unitEmbedding: true, scaledEmbedding: true })).toThrow(/^language model config: unitEmbedding contradicts scaledEmbedding$/);
  });
  it('learned positions: a table of context rows drawn N(0, 1) after every other weight, added row by row, refused past the context', () => {
    const config = { vocabSize: 50, attention: 'delta', dModel: 16, layers: 2, heads: 2, context: 40, positions: true, seed: 6, scaledEmbedding: true };
    const learned = new LanguageModel({ ...config, learnedPositions: true });
    const sinusoidal = new LanguageModel(config);
    const table = learned.positionTable!;
    expect(table.shape).toEqual([40, 16]);
    const drawn = spread(table.data);
    expect(Math.abs(drawn.mean)).toBeLessThan(0.1);
    expect(drawn.std).toBeCloseTo(1, 1);
    // Every other weight is the sinusoidal model's of the same seed: only the positions differ.
    const other = new Map(sinusoidal.namedParameters());
    for (const [name, p] of learned.namedParameters()) {
      if (name === 'positionTable') continue;
      expect(Array.from(p.data), name).toEqual(Array.from(other.get(name)!.data));
    }
    expect(sinusoidal.positionTable).toBeNull();
    // Row t of the table is what position t adds: with the table zeroed but row 3, only position 3's logits move.
    const x = ids(8, 4).map((v) => v % 50);
    learned.eval();
    table.data.fill(0);
    const zero = learned.forward(x, 1, 8).logits.data.slice();
    table.data.fill(0.5, 3 * 16, 4 * 16);
    const moved = learned.forward(x, 1, 8).logits.data;
    for (let t = 0; t < 8; t++) {
      const row = (a: ArrayLike<number>) => Array.from(a).slice(t * 50, (t + 1) * 50);
      if (t < 3) expect(row(moved), `position ${t}`).toEqual(row(zero));
      if (t === 3) expect(row(moved)).not.toEqual(row(zero));
    }
    // An offset continues the table: from offset 2 the second token reads row 3, from 0 the fourth.
    const from2 = learned.forward(x.subarray(0, 4), 1, 4, { positionOffset: 2 }).logits.data;
    const from0 = learned.forward(x.subarray(0, 4), 1, 4).logits.data;
    const first = (a: ArrayLike<number>, t: number) => Array.from(a).slice(t * 50, (t + 1) * 50);
    expect(first(from2, 0)).toEqual(first(from0, 0));
    expect(first(from2, 1)).not.toEqual(first(from0, 1));
    expect(first(from2, 1)).not.toEqual(first(zero, 1));
    expect(() => learned.forward(x, 1, 8, { positionOffset: 33 })).toThrow(/slice: range \[33, 41\) is out of bounds/);
    expect(() => new LanguageModel({ ...config, positions: false, learnedPositions: true })).toThrow(/learnedPositions needs positions/);
  });
  it('carry-mode perplexity differs from independent segments for fast weights and is refused for softmax', () => {
    const model = tiny('delta');
    const stream = ids(200, 9);
    const seg = evaluatePerplexity(model, stream, { mode: 'segments', batchSize: 2 });
    const carry = evaluatePerplexity(model, stream, { mode: 'carry', batchSize: 2 });
    expect(seg.tokens).toBe(carry.tokens);
    expect(carry.loss).not.toBe(seg.loss);
    expect(() => evaluatePerplexity(tiny('softmax'), stream, { mode: 'carry' })).toThrow(/carry mode needs a fast weight model/);
    const sliding = evaluatePerplexity(model, stream.subarray(0, 30), { mode: 'sliding', batchSize: 4 });
    expect(sliding.tokens).toBe(29); // every token after the first is predicted once
  });
  it('greedy generation one token at a time matches the argmax of a full forward pass', () => {
    for (const [name, extra] of [['delta', {}], ['softmax', {}], ['delta', { positions: true, learnedPositions: true }]] as const) {
      const model = tiny(name, { context: 32, ...extra });
      const prompt = Array.from(ids(4, 2));
      const out = generate(model, prompt, { tokens: 6, temperature: 0, rng: new Rng(1) });
      expect(out).toHaveLength(6);
      const seq = [...prompt, ...out];
      const logits = model.forward(seq, 1, seq.length).logits;
      for (let i = 0; i < out.length; i++) {
        const row = logits.data.subarray((prompt.length - 1 + i) * 11, (prompt.length + i) * 11);
        expect(out[i], `${name} step ${i}`).toBe(row.indexOf(Math.max(...row)));
      }
    }
  });
  it('bad configurations are refused with the reason', () => {
    expect(() => tiny('lstm')).toThrow(/unknown model 'lstm'/);
    expect(() => tiny('delta', { dModel: 9 })).toThrow(/dModel 9 is not divisible by heads 2/);
    expect(() => tiny('delta').forward([1, 2, 3], 1, 2)).toThrow(/3 ids do not fill \[1, 2\]/);
    expect(() => tiny('delta').forward([1, 99], 1, 2)).toThrow(/id 99 at position 1 is outside the vocabulary/);
  });
});

describe('causality', () => {
  it('changing token t never changes the logits at positions before t (every model)', () => {
    for (const name of ['softmax', 'linear', 'performer', 'dpfp', 'delta', 'performer-delta', 'dpfp-delta']) {
      const model = tiny(name, { positions: true, context: 10 });
      model.eval();
      const x = ids(2 * 10, 11);
      const base = model.forward(x, 2, 10).logits;
      for (const t of [0, 4, 9]) {
        const changed = x.slice();
        changed[t] = (changed[t]! + 1) % 11; // row 0
        changed[10 + t] = (changed[10 + t]! + 3) % 11; // row 1
        const after = model.forward(changed, 2, 10).logits;
        for (let b = 0; b < 2; b++)
          for (let i = 0; i < t * 11; i++) expect(after.data[b * 110 + i], `${name}: position ${Math.floor(i / 11)} saw token ${t}`).toBe(base.data[b * 110 + i]);
        // …and it does change position t itself.
        let moved = 0;
        for (let i = t * 11; i < (t + 1) * 11; i++) moved += Math.abs(after.data[i]! - base.data[i]!);
        expect(moved, name).toBeGreaterThan(0);
      }
    }
  });
});
