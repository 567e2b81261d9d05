/** The encoder–decoder translation model: shapes, gradients, padding invariance, step-by-step decoding. */
import { describe, expect, it } from 'vitest';
import { MODEL_NAMES, PAD_ID, BOS_ID, EOS_ID, Tensor, checkGradients, describeGradCheck } from '../../../src/index.js';
import * as ops from '../../../src/ops/index.js';
import { TranslationModel, paddingMask, type TranslationModelConfig } from '../../../src/tasks/mt/model.js';
import type { AttentionState } from '../../../src/nn/attention/types.js';

const tiny = (attention: string, extra: Partial<TranslationModelConfig> = {}): TranslationModelConfig => ({
  vocabSize: 11,
  attention,
  dModel: 8,
  encoderLayers: 1,
  decoderLayers: 2,
  heads: 2,
  ffHidden: 12,
  dropout: 0,
  seed: 3,
  ...extra,
});

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

/** Two sources [B=2, S=4] (the second padded) and decoder inputs [2, 3]. */
const SOURCE = [5, 6, 7, EOS_ID, 8, EOS_ID, PAD_ID, PAD_ID];
const DECODER_INPUT = [BOS_ID, 4, 9, BOS_ID, 10, PAD_ID];
const TARGETS = [4, 9, EOS_ID, 10, EOS_ID, PAD_ID];

describe('TranslationModel', () => {
  it('gives logits [B, T, vocab] and one decoder state per decoder layer', () => {
    const model = new TranslationModel(tiny('dpfp'));
    const encoded = model.encode(SOURCE, 2, 4);
    expect(encoded.memory.shape).toEqual([2, 4, 8]);
    expect(Array.from(encoded.mask.data)).toEqual([1, 1, 1, 1, 1, 1, 0, 0]);
    const out = model.decode(DECODER_INPUT, 2, 3, encoded);
    expect(out.logits.shape).toEqual([2, 3, 11]);
    expect(out.states).toHaveLength(2);
    expect(out.states[0]!.kind).toBe('fast-weights');
    expect(new TranslationModel(tiny('softmax')).decode(DECODER_INPUT, 2, 3, model.encode(SOURCE, 2, 4)).states[0]!.kind).toBe('kv-cache');
  });

  it('shares one embedding between encoder, decoder and output layer', () => {
    const names = new TranslationModel(tiny('linear')).namedParameters().map(([n]) => n);
    expect(names.filter((n) => n.includes('embedding'))).toEqual(['embedding.weight']);
    expect(names.some((n) => n.startsWith('decoder.0.cross.'))).toBe(true);
    expect(names.some((n) => n.startsWith('encoder.0.cross.'))).toBe(false);
  });

  it('targetLoss: the summed cross-entropy of the real targets, value and gradients as through the full logits', () => {
    for (const labelSmoothing of [0, 0.1]) {
      const grads = [true, false].map((targetRowsOnly) => {
        const model = new TranslationModel(tiny('delta'), 'float64');
        const loss = targetRowsOnly
          ? model.targetLoss(SOURCE, 2, 4, DECODER_INPUT, 3, TARGETS, labelSmoothing)
          : ops.crossEntropy(model.forward(SOURCE, 2, 4, DECODER_INPUT, 3), TARGETS, { ignoreIndex: PAD_ID, labelSmoothing, reduction: 'sum' });
        loss.backward();
        return [loss.item(), ...model.parameters().flatMap((p) => Array.from(p.grad!.data))];
      });
      expect(maxAbsDiff(grads[0]!, grads[1]!)).toBeLessThan(1e-12);
    }
    const model = new TranslationModel(tiny('linear'));
    expect(() => model.targetLoss(SOURCE, 2, 4, DECODER_INPUT, 3, TARGETS.slice(1))).toThrow(/5 targets do not fill \[2, 3\]/);
    expect(() => model.targetLoss(SOURCE, 2, 4, DECODER_INPUT, 3, [4, 9, EOS_ID, 10, 11, PAD_ID])).toThrow(/target 11 at position 4 is not a token id in \[0, 11\)/);
  });

  it('refuses bad configs and mismatched inputs with clear messages', () => {
    expect(() => new TranslationModel(tiny('nope'))).toThrow(/unknown model 'nope'/);
    expect(() => new TranslationModel(tiny('linear', { heads: 3 }))).toThrow(/not divisible by heads/);
    expect(() => new TranslationModel(tiny('linear', { crossAttention: 'bogus' }))).toThrow(/unknown model 'bogus'/);
    const model = new TranslationModel(tiny('linear'));
    expect(() => model.encode([1, 2, 3], 2, 2)).toThrow(/do not fill \[2, 2\]/);
    expect(() => model.decode([1, 2], 2, 1, model.encode([5, 6], 1, 2))).toThrow(/memory has batch 1/);
  });

  for (const [attention, crossAttention] of [
    ['softmax', 'softmax'],
    ['dpfp-delta', 'linear'],
  ] as const) {
    it(`has exact gradients for every parameter (${attention}, cross ${crossAttention}; float64)`, () => {
      // As small as still exercises everything: one layer each side, vocabulary 6, d_model 4.
      const model = new TranslationModel(tiny(attention, { crossAttention, dModel: 4, ffHidden: 4, vocabSize: 6, decoderLayers: 1 }), 'float64');
      const source = [3, 4, 5, EOS_ID, 3, EOS_ID, PAD_ID, PAD_ID];
      const decoderInput = [BOS_ID, 4, 5, BOS_ID, 3, PAD_ID];
      const targets = [4, 5, EOS_ID, 3, EOS_ID, PAD_ID];
      const result = checkGradients(
        () => ops.crossEntropy(model.forward(source, 2, 4, decoderInput, 3), targets, { ignoreIndex: PAD_ID, labelSmoothing: 0.1 }),
        [],
        { parameters: model.parameters(), tolerance: 1e-6 },
      );
      expect(result.ok, describeGradCheck(result)).toBe(true);
      expect(result.checked).toBe(model.parameterCount());
    });
  }

  for (const name of MODEL_NAMES) {
    it(`${name}: extra source padding changes nothing`, () => {
      const model = new TranslationModel(tiny(name)).eval();
      const padded = [5, 6, 7, EOS_ID, PAD_ID, PAD_ID, PAD_ID, 8, EOS_ID, PAD_ID, PAD_ID, PAD_ID, PAD_ID, PAD_ID]; // [2, 7]
      const a = model.encode(SOURCE, 2, 4);
      const b = model.encode(padded, 2, 7);
      // The real positions of the memory agree …
      const realRows = (t: Tensor, S: number) => [0, 1, 2, 3, S, S + 1].flatMap((row) => Array.from(t.data.subarray(row * 8, row * 8 + 8)));
      expect(maxAbsDiff(realRows(a.memory, 4), realRows(b.memory, 7))).toBeLessThan(1e-5);
      // … and so do the decoder's outputs.
      const la = model.decode(DECODER_INPUT, 2, 3, a).logits.data;
      const lb = model.decode(DECODER_INPUT, 2, 3, b).logits.data;
      expect(maxAbsDiff(la, lb)).toBeLessThan(1e-5);
    });

    it(`${name}: decoding one token at a time equals the full-sequence decoder`, () => {
      const model = new TranslationModel(tiny(name)).eval();
      const encoded = model.encode(SOURCE, 2, 4);
      const T = 3;
      const full = model.decode(DECODER_INPUT, 2, T, encoded).logits; // [2, 3, V]
      let states: AttentionState[] | undefined;
      for (let t = 0; t < T; t++) {
        const ids = [DECODER_INPUT[t]!, DECODER_INPUT[T + t]!];
        const r = model.decode(ids, 2, 1, encoded, { ...(states ? { states } : {}), positionOffset: t });
        states = r.states;
        for (let b = 0; b < 2; b++) {
          const want = full.data.subarray((b * T + t) * 11, (b * T + t + 1) * 11);
          const got = r.logits.data.subarray(b * 11, (b + 1) * 11);
          expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);
        }
      }
    });
  }
});

describe('paddingMask', () => {
  it('marks PAD_ID as 0 and everything else as 1', () => {
    expect(Array.from(paddingMask([3, PAD_ID, EOS_ID, PAD_ID], 2, 2).data)).toEqual([1, 0, 1, 0]);
  });
});
