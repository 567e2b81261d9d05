/**
 * fla's DeltaNet here (src/nn/fla/): the config's defaults and refusals, the parameter list against
 * fla's names, the whole model's gradients against finite differences in float64 for every variant,
 * and the recurrent form (prefill, then one token at a time, carrying only fast weights and
 * convolution caches) against the full sequence.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkGradients, describeGradCheck, inference, Rng, sum } from '../../src/index.js';
import { DeltaNetForCausalLM, deltaNetParameterShapes, flaIntermediateSize, parseDeltaNetConfig, type DeltaNetLayerState } from '../../src/nn/fla/index.js';

const tiny = (extra: Record<string, unknown> = {}) =>
  parseDeltaNetConfig({ model_type: 'delta_net', vocab_size: 7, hidden_size: 4, num_hidden_layers: 1, num_heads: 2, intermediate_size: 3, conv_size: 2, ...extra }, 'tiny/config.json');

/** The variants the tests run through: every option fla's layer has. */
const VARIANTS: Record<string, Record<string, unknown>> = {
  'fla-hub default (silu, l2, short conv)': {},
  'use_gate, allow_neg_eigval': { use_gate: true, allow_neg_eigval: true },
  'paper (elu, sum, no conv)': { qk_activation: 'elu', qk_norm: 'sum', use_short_conv: false },
  'relu, no beta, tied': { qk_activation: 'relu', use_beta: false, tie_word_embeddings: true },
  'identity, silu without conv, expand_v 2': { qk_activation: 'identity', expand_v: 2, conv_size: 3 },
  'silu without conv': { use_short_conv: false },
};

describe('the fla DeltaNet config', () => {
  it("has fla's defaults: the 1.3B shape with its MLP width 5,632", () => {
    const c = parseDeltaNetConfig({ model_type: 'delta_net' });
    expect([c.hiddenSize, c.numHiddenLayers, c.numHeads, c.headKDim, c.intermediateSize, c.vocabSize, c.convSize]).toEqual([2048, 24, 16, 128, 5632, 32000, 4]);
    expect([c.qkActivation, c.qkNorm, c.useShortConv, c.useBeta, c.useGate, c.tieWordEmbeddings, c.normEps]).toEqual(['silu', 'l2', true, true, false, false, 1e-6]);
    expect(flaIntermediateSize(1024, 4, null)).toBe(2816); // 2730 → 2816
    expect(flaIntermediateSize(32, 2, null)).toBe(256);
    expect(flaIntermediateSize(32, null, 100)).toBe(100);
  });

  it("reads a config with the keys fla's trainer writes for its 340M DeltaNet", () => {
    const c = parseDeltaNetConfig({
      attn_mode: 'chunk', bos_token_id: 1, conv_size: 4, eos_token_id: 2, expand_k: 1, expand_v: 1, fuse_cross_entropy: true, hidden_act: 'swish',
      hidden_ratio: 4, hidden_size: 1024, initializer_range: 0.02, intermediate_size: null, model_type: 'delta_net', norm_eps: 1e-6, num_heads: 8,
      num_hidden_layers: 24, qk_activation: 'silu', qk_norm: 'l2', tie_word_embeddings: false, use_beta: true, use_cache: true, use_gate: false,
      use_output_norm: true, use_short_conv: true, vocab_size: 32000,
    });
    expect([c.hiddenSize, c.numHeads, c.headKDim, c.intermediateSize, c.numHiddenLayers]).toEqual([1024, 8, 128, 2816, 24]);
  });

  it('accepts the kernel choices and Hugging Face keys, and refuses what it does not implement, by name', () => {
    expect(() => tiny({ attn_mode: 'fused_recurrent', fuse_norm: false, fuse_swiglu: false, use_cache: false, architectures: ['DeltaNetForCausalLM'], torch_dtype: 'bfloat16', transformers_version: '4.48.0', attn: null, use_output_norm: true })).not.toThrow();
    const refused: [Record<string, unknown>, string][] = [
      [{ model_type: 'llama' }, 'tiny/config.json: model_type is "llama"; only fla\'s "delta_net" models are supported'],
      [{ attn: { layers: [0], num_heads: 2 } }, "tiny/config.json: config key 'attn' = {\"layers\":[0],\"num_heads\":2} is not supported (hybrid softmax-attention layers are not implemented)"],
      [{ attnres_block_size: 2 }, "tiny/config.json: config key 'attnres_block_size' = 2 is not supported (attention residuals (AttnRes) are not implemented)"],
      [{ hidden_act: 'powlu' }, "config key 'hidden_act' = \"powlu\" is not supported"],
      [{ use_l2warp: true }, "config key 'use_l2warp' = true is not supported"],
      [{ rope_theta: 10000 }, "tiny/config.json: config key 'rope_theta' is not implemented here"],
      [{ qk_activation: 'gelu' }, `config key 'qk_activation' must be one of "silu", "relu", "elu", "identity", got "gelu"`],
      [{ num_heads: 3 }, 'key dim 4 (hidden_size · expand_k) is not divisible by num_heads 3'],
      [{ conv_size: 0 }, "config key 'conv_size' must be a positive integer, got 0"],
      [{ fuse_linear_cross_entropy: true }, "'fuse_cross_entropy' and 'fuse_linear_cross_entropy' cannot both be true"],
    ];
    for (const [extra, message] of refused) expect(() => tiny(extra), message).toThrow(message);
  });
});

describe('the fla DeltaNet model', () => {
  it("lists fla's parameter names and shapes, which the model registers in that order", () => {
    for (const extra of Object.values(VARIANTS)) {
      const c = tiny(extra);
      const model = new DeltaNetForCausalLM(c);
      expect([...model.stateDict()].map(([name, p]) => [name, p.shape])).toEqual([...deltaNetParameterShapes(c)]);
    }
    const names = [...deltaNetParameterShapes(tiny({ use_gate: true }))].map(([n]) => n);
    expect(names).toContain('model.layers.0.attn.q_conv1d.weight');
    expect(names).toContain('model.layers.0.attn.g_proj.weight');
    expect(names).toContain('lm_head.weight');
    expect(deltaNetParameterShapes(tiny()).get('model.layers.0.attn.b_proj.weight')).toEqual([2, 4]);
  });

  for (const [name, extra] of Object.entries(VARIANTS)) {
    it(`${name}: gradients of every parameter against finite differences (float64)`, () => {
      const model = new DeltaNetForCausalLM(tiny(extra), { seed: 3, dtype: 'float64' });
      // Larger weights than fla's 0.02 so that every path shows in the loss, and norm weights (rank 1) away from 1.
      for (const p of model.parameters()) for (let i = 0; i < p.size; i++) p.data[i] = p.rank === 1 ? 1 + 0.1 * ((i % 5) - 2) : p.data[i]! * 20;
      const ids = [1, 5, 0, 6, 2];
      const result = checkGradients(() => model.forward(ids, 1, ids.length).logits, [], { parameters: model.parameters(), tolerance: 1e-5 });
      expect(result.ok, describeGradCheck(result)).toBe(true);
      expect(result.checked).toBe(model.parameterCount());
    });
  }

  it('prefill, then one token at a time, equals the full sequence; so do chunks of any size', () => {
    fc.assert(
      fc.property(fc.constantFrom(...Object.values(VARIANTS)), fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 2, maxLength: 9 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 1000 }), (extra, ids, cut, seed) => {
        const model = new DeltaNetForCausalLM(tiny(extra), { seed, dtype: 'float64' });
        for (const p of model.parameters()) for (let i = 0; i < p.size; i++) p.data[i] = p.data[i]! * 20;
        const full = model.forward(ids, 1, ids.length).logits;
        const V = 7;
        const split = Math.min(cut, ids.length - 1);
        let { logits, states } = model.forward(ids.slice(0, split), 1, split);
        const got = Array.from(logits.data);
        for (let t = split; t < ids.length; t++) {
          ({ logits, states } = model.forward([ids[t]!], 1, 1, { states }));
          got.push(...logits.data);
        }
        expect(got.length).toBe(ids.length * V);
        got.forEach((v, i) => expect(v).toBeCloseTo(full.data[i]!, 10));
        const last = model.forward(ids, 1, ids.length, { lastOnly: true }).logits;
        expect(last.shape).toEqual([1, 1, V]);
        Array.from(last.data).forEach((v, j) => expect(v).toBeCloseTo(full.data[(ids.length - 1) * V + j]!, 12));
      }),
      { numRuns: 30 },
    );
  });

  it('overwriteStates writes the next states over the ones passed in, with the same bits as fresh ones', () => {
    fc.assert(
      fc.property(fc.constantFrom(...Object.values(VARIANTS)), fc.constantFrom('float32' as const, 'float64' as const), fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 2, maxLength: 9 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 1000 }), (extra, dtype, ids, cut, seed) => {
        const model = new DeltaNetForCausalLM(tiny({ num_hidden_layers: 2, ...extra }), { seed, dtype });
        for (const p of model.parameters()) for (let i = 0; i < p.size; i++) p.data[i] = p.data[i]! * 20;
        const split = Math.min(cut, ids.length - 1);
        const run = (overwriteStates: boolean) =>
          inference(model, () => {
            let { logits, states } = model.forward(ids.slice(0, split), 1, split, { overwriteStates });
            const kept = states;
            const got = [Array.from(logits.data)];
            for (let t = split; t < ids.length; t++) {
              ({ logits, states } = model.forward([ids[t]!], 1, 1, { states, overwriteStates }));
              got.push(Array.from(logits.data));
            }
            const arrays = (s: DeltaNetLayerState[]) => s.flatMap((l) => [l.W.data, ...(l.conv ? [l.conv.q.data, l.conv.k.data, l.conv.v.data] : [])]);
            const same = arrays(states).every((a, i) => a === arrays(kept)[i]);
            return { got, states: arrays(states).map((a) => Array.from(a)), same };
          });
        const fresh = run(false), overwritten = run(true);
        expect(overwritten.got).toEqual(fresh.got);
        expect(overwritten.states).toEqual(fresh.states);
        expect(overwritten.same).toBe(true);
        expect(fresh.same).toBe(false);
      }),
      { numRuns: 30 },
    );
    const model = new DeltaNetForCausalLM(tiny(), { seed: 1 });
    expect(() => model.forward([1, 2], 1, 2, { overwriteStates: true })).toThrow('DeltaNetForCausalLM: overwriteStates is for inference only (no gradients)');
  });

  it('without gradients (scratch scopes per half block, states overwritten) gives bit for bit the logits and states of the graph path', () => {
    // Wide enough that activations (T · hidden ≥ 1024 floats) come from the scratch pool, in WebAssembly memory where it is shared.
    const config = tiny({ hidden_size: 64, num_heads: 4, intermediate_size: 96, num_hidden_layers: 3, vocab_size: 50, conv_size: 4 });
    const model = new DeltaNetForCausalLM(config, { seed: 5 });
    const rng = new Rng(6);
    const ids = Array.from({ length: 40 }, () => Math.floor(rng.uniform() * 50));
    const arrays = (s: DeltaNetLayerState[]) => s.flatMap((l) => [l.W.data, l.conv!.q.data, l.conv!.k.data, l.conv!.v.data].map((a) => Array.from(a)));
    const graph = model.forward(ids.slice(0, 32), 1, 32);
    const graphNext = model.forward(ids.slice(32), 1, 8, { states: graph.states });
    inference(model, () => {
      const first = model.forward(ids.slice(0, 32), 1, 32, { overwriteStates: true });
      expect(Array.from(first.logits.data)).toEqual(Array.from(graph.logits.data));
      expect(arrays(first.states)).toEqual(arrays(graph.states));
      const next = model.forward(ids.slice(32), 1, 8, { states: first.states, overwriteStates: true });
      expect(Array.from(next.logits.data)).toEqual(Array.from(graphNext.logits.data));
      expect(arrays(next.states)).toEqual(arrays(graphNext.states));
    });
  });

  it('a batch of texts gives each text the logits and state it gets alone', () => {
    for (const extra of Object.values(VARIANTS)) {
      const model = new DeltaNetForCausalLM(tiny(extra), { seed: 4, dtype: 'float64' });
      for (const p of model.parameters()) for (let i = 0; i < p.size; i++) p.data[i] = p.data[i]! * 20;
      const rows = [[1, 5, 0, 6], [2, 2, 3, 4]];
      const both = model.forward(rows.flat(), 2, 4);
      rows.forEach((row, b) => {
        const alone = model.forward(row, 1, 4);
        Array.from(alone.logits.data).forEach((v, i) => expect(both.logits.data[b * 4 * 7 + i]).toBeCloseTo(v, 12));
        const W = alone.states[0]!.W.data;
        Array.from(W).forEach((v, i) => expect(both.states[0]!.W.data[b * W.length + i]).toBeCloseTo(v, 12));
      });
    }
  });

  it("the padding id's embedding row gets no gradient (PyTorch's padding_idx); the other rows read do", () => {
    const model = new DeltaNetForCausalLM(tiny({ pad_token_id: 3 }), { seed: 1, dtype: 'float64' });
    sum(model.forward([3, 1, 3, 5], 1, 4).logits).backward();
    const grad = model.stateDict().get('model.embeddings.weight')!.grad!.data;
    const rowNorm = (r: number) => Math.hypot(...Array.from(grad.subarray(r * 4, r * 4 + 4)));
    expect(rowNorm(3)).toBe(0);
    expect(rowNorm(1)).toBeGreaterThan(0);
    expect(rowNorm(5)).toBeGreaterThan(0);
  });

  it('a zero sum under qk_norm "sum" is an error saying why, not NaN', () => {
    const model = new DeltaNetForCausalLM(tiny({ qk_activation: 'relu', qk_norm: 'sum', use_short_conv: false }), { seed: 2 });
    for (const p of model.model.layers[0]!.attn.qProj.parameters()) p.data.fill(1);
    for (const p of model.model.layers[0]!.attn.kProj.parameters()) p.data.fill(-1); // relu(negative) = 0 everywhere
    for (const p of model.model.embeddings.parameters()) p.data.fill(1);
    expect(() => model.forward([1, 2], 1, 2)).toThrow('DeltaNetAttention: qk_norm "sum" divides k by its sum, and one head\'s k sums to 0 after qk_activation "relu" (fla gives NaN there)');
  });

  it('carries only fast weights and convolution caches, of a size that does not grow with the text', () => {
    const c = tiny({ conv_size: 3 });
    const model = new DeltaNetForCausalLM(c, { seed: 1 });
    const sizes = (states: DeltaNetLayerState[]) => states.map((s) => [s.W.shape, s.conv!.q.shape, s.conv!.k.shape, s.conv!.v.shape]);
    const short = model.forward([1, 2], 1, 2).states;
    const long = model.forward([1, 2, 3, 4, 5, 6, 0, 1, 2], 1, 9).states;
    expect(sizes(long)).toEqual(sizes(short));
    expect(sizes(long)).toEqual([[[1, 2, 2, 2], [1, 2, 4], [1, 2, 4], [1, 2, 4]]]);
  });
});
