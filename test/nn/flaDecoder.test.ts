/**
 * The lean one-token decoder of an fla DeltaNet with compact weights (src/nn/fla/decoder.ts) against
 * the Tensor path's one-token forward pass (the reference): the same logits and states, bit for bit,
 * at every step, on random configs of every variant (odd sizes, one-token prompts, f32/bf16/f16
 * weights) and on the committed fixtures; greedy continuations equal the reference script's; one
 * thread and two give the same bits; a step allocates nothing.
 */
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng, inference } from '../../src/index.js';
import { loadHfDeltaNet, saveHfDeltaNet } from '../../src/io/huggingFace.js';
import { DeltaNetDecoder, DeltaNetForCausalLM, decoderUnsupportedReason, parseDeltaNetConfig, type DeltaNetLayerState } from '../../src/nn/fla/index.js';
import { generatePretrained } from '../../src/tasks/lm/pretrained.js';
import { bytesRequestedBy } from '../../kernels/alloc.js';
import { setWasmThreads, threadsWanted, wasmRuntime } from '../../kernels/wasm/runtime.js';
import '../../kernels/threads/index.js'; // the thread pool, for the runs on two threads

const FIXTURES = new URL('../fixtures/fla/', import.meta.url).pathname;
const FIXTURE_NAMES = ['default', 'gate', 'paper', 'tied', 'bf16', 'sharded'];
const expectedOf = (name: string) => JSON.parse(readFileSync(join(FIXTURES, name, 'expected.json'), 'utf8')) as { greedy: { prompt: number[]; new_tokens: number[] } };

const scratch = mkdtempSync(join(tmpdir(), 'fla-decoder-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A model of `config` with random weights (seeded), written as F32/BF16/F16 and loaded back with resident weights. */
function residentModel(config: Record<string, unknown>, seed: number, dtype: 'F32' | 'BF16' | 'F16'): DeltaNetForCausalLM {
  const dir = join(scratch, `m${seed}-${dtype}`);
  saveHfDeltaNet(new DeltaNetForCausalLM(parseDeltaNetConfig({ model_type: 'delta_net', initializer_range: 0.4, ...config }), { seed }), dir, { dtype });
  return loadHfDeltaNet(dir, { resident: true }).model;
}

/** The prompt through the forward pass, then `steps` tokens through both paths side by side: logits and states compared bit for bit at every step. */
function compareSteps(model: DeltaNetForCausalLM, prompt: number[], steps: number, rng: Rng, what: string): void {
  let states: DeltaNetLayerState[] = inference(model, () => model.forward(prompt, 1, prompt.length, { lastOnly: true })).states;
  const decoder = new DeltaNetDecoder(model, states);
  for (let step = 0; step < steps; step++) {
    const id = Math.floor(rng.uniform() * model.config.vocabSize);
    const want = inference(model, () => model.forward([id], 1, 1, { states }));
    states = want.states;
    const got = decoder.step(id);
    expect(Array.from(got), `${what}, step ${step}: logits`).toEqual(Array.from(want.logits.data));
    decoder.states().forEach((s, i) => {
      expect(Array.from(s.W.data), `${what}, step ${step}, layer ${i}: W`).toEqual(Array.from(states[i]!.W.data));
      expect(s.W.shape).toEqual(states[i]!.W.shape);
      for (const part of ['q', 'k', 'v'] as const) {
        expect(s.conv === null, `${what}: conv caches`).toBe(states[i]!.conv === null);
        if (s.conv) expect(Array.from(s.conv[part].data), `${what}, step ${step}, layer ${i}: ${part} cache`).toEqual(Array.from(states[i]!.conv![part].data));
      }
    });
  }
}

describe('the one-token decoder of a DeltaNet with compact weights', () => {
  it('gives the logits and states of the forward pass, bit for bit, on random configs of every variant (20 steps)', () => {
    fc.assert(
      fc.property(
        fc.record({
          heads: fc.integer({ min: 1, max: 3 }),
          headDim: fc.integer({ min: 1, max: 7 }),
          expandV: fc.constantFrom(1, 2),
          layers: fc.integer({ min: 1, max: 2 }),
          intermediate: fc.integer({ min: 1, max: 21 }),
          vocab: fc.integer({ min: 3, max: 40 }),
          conv: fc.integer({ min: 1, max: 4 }),
          useShortConv: fc.boolean(),
          useGate: fc.boolean(),
          useBeta: fc.boolean(),
          negative: fc.boolean(),
          tied: fc.boolean(),
          activation: fc.constantFrom('silu', 'relu', 'elu', 'identity'),
          sumNorm: fc.boolean(),
          dtype: fc.constantFrom('F32' as const, 'BF16' as const, 'F16' as const),
          promptLength: fc.integer({ min: 1, max: 5 }),
        }),
        fc.integer({ min: 0, max: 100_000 }),
        (o, seed) => {
          const config = {
            vocab_size: o.vocab, hidden_size: o.heads * o.headDim, num_heads: o.heads, expand_v: o.expandV, num_hidden_layers: o.layers,
            intermediate_size: o.intermediate, conv_size: o.conv, use_short_conv: o.useShortConv, use_gate: o.useGate, use_beta: o.useBeta,
            allow_neg_eigval: o.negative, tie_word_embeddings: o.tied,
            // qk_norm "sum" divides by the sum: only with elu + 1 (positive), as the paper's model.
            qk_activation: o.sumNorm ? 'elu' : o.activation, qk_norm: o.sumNorm ? 'sum' : 'l2',
          };
          const model = residentModel(config, seed, o.dtype);
          expect(decoderUnsupportedReason(model)).toBeNull();
          const rng = new Rng(seed);
          const prompt = Array.from({ length: o.promptLength }, () => Math.floor(rng.uniform() * o.vocab));
          compareSteps(model, prompt, 20, rng, JSON.stringify(o));
        },
      ),
      { numRuns: 25 },
    );
  });

  it('gives the forward pass\'s bits on every committed fixture, and their greedy continuations', () => {
    for (const name of FIXTURE_NAMES) {
      const { model } = loadHfDeltaNet(join(FIXTURES, name), { resident: true });
      const { prompt, new_tokens: want } = expectedOf(name).greedy;
      compareSteps(model, prompt, 24, new Rng(3), name);
      compareSteps(model, prompt.slice(0, 1), 24, new Rng(4), `${name}, one-token prompt`);
      for (const chunk of [1, 256]) {
        const lean = [...generatePretrained(model, prompt, { tokens: want.length, temperature: 0, rng: new Rng(0), chunk })];
        const reference = [...generatePretrained(model, prompt, { tokens: want.length, temperature: 0, rng: new Rng(0), chunk, decoder: false })];
        expect(lean, `${name}, chunk ${chunk}`).toEqual(reference);
        expect(lean, `${name}, chunk ${chunk}: the reference script's`).toEqual(want);
      }
      // Sampling draws the same tokens from the same generator.
      const sampled = (decoder: boolean) => [...generatePretrained(model, prompt, { tokens: 30, temperature: 0.9, topP: 0.9, rng: new Rng(8), decoder })];
      expect(sampled(true), name).toEqual(sampled(false));
    }
  });

  it('one thread and two give the same bits (an output head large enough to be split)', () => {
    const threads = threadsWanted();
    const run = (n: number) => {
      setWasmThreads(n);
      const model = residentModel({ vocab_size: 4099, hidden_size: 72, num_heads: 3, num_hidden_layers: 1, intermediate_size: 45 }, 77, 'BF16');
      expect(wasmRuntime()!.threads).toBe(n);
      const decoder = new DeltaNetDecoder(model, inference(model, () => model.forward([5, 6], 1, 2)).states);
      return [1, 2, 3, 4000, 9].map((id) => Array.from(decoder.step(id)));
    };
    try {
      expect(run(2)).toEqual(run(1));
    } finally {
      setWasmThreads(threads);
    }
  });

  it('a step allocates nothing and takes no more WebAssembly memory', () => {
    const model = residentModel({ vocab_size: 50, hidden_size: 12, num_heads: 2, num_hidden_layers: 2, intermediate_size: 20, use_gate: true }, 5, 'BF16');
    const decoder = new DeltaNetDecoder(model, inference(model, () => model.forward([1, 2, 3], 1, 3)).states);
    for (let i = 0; i < 20; i++) decoder.step(i);
    const heap = wasmRuntime()!.heap;
    const [extent, free] = [heap.extent, heap.freeBytesTotal];
    expect(bytesRequestedBy(() => {
      for (let i = 0; i < 300; i++) decoder.step(i % 50);
    })).toBe(0);
    expect([heap.extent, heap.freeBytesTotal]).toEqual([extent, free]);
  });

  it('refuses a model without compact weights, a token outside the vocabulary, and states for another number of layers', () => {
    const { model: plain } = loadHfDeltaNet(join(FIXTURES, 'default'));
    expect(decoderUnsupportedReason(plain)).toBe('the matrices are not kept compact in WebAssembly memory (load the model with resident weights)');
    const states = inference(plain, () => plain.forward([1], 1, 1)).states;
    expect(() => new DeltaNetDecoder(plain, states)).toThrow('DeltaNetDecoder: the matrices are not kept compact in WebAssembly memory (load the model with resident weights)');
    const { model } = loadHfDeltaNet(join(FIXTURES, 'default'), { resident: true });
    const decoder = new DeltaNetDecoder(model, states);
    expect(() => decoder.step(256)).toThrow('DeltaNetDecoder: token 256 is outside the vocabulary [0, 256)');
    expect(() => new DeltaNetDecoder(model, states.slice(1))).toThrow('DeltaNetDecoder: 1 states for 2 layers');
  });
});
