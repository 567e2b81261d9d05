/** Greedy and beam search on tiny translation models, checked against brute force. */
import { describe, expect, it } from 'vitest';
import { BOS_ID, EOS_ID, PAD_ID, Tensor, noGrad } from '../../../src/index.js';
import { TranslationModel } from '../../../src/tasks/mt/model.js';
import { collateSources } from '../../../src/tasks/mt/batches.js';
import { beamSearch, gatherRows, gatherStates, greedyDecode, lengthPenalty, maxLengthFor, translateIds } from '../../../src/tasks/mt/beamSearch.js';

/** A model over 3 specials + `words` tokens, with weights scaled up so its distributions are peaked. */
function tinyModel(attention: string, seed: number, words = 3): TranslationModel {
  const model = new TranslationModel({ vocabSize: 3 + words, attention, dModel: 8, encoderLayers: 1, decoderLayers: 1, heads: 2, ffHidden: 8, dropout: 0, seed });
  for (const p of model.embedding.parameters()) for (let i = 0; i < p.size; i++) p.data[i]! *= 6;
  return model.eval();
}

/** Log-probability of `tokens` (+ <eos> when finished) under teacher forcing, with <pad>/<bos> excluded as in decoding. */
function sequenceLogProb(model: TranslationModel, source: number[], tokens: number[], finished: boolean): number {
  return noGrad(() => {
    const { B, S, source: ids } = collateSources([source]);
    const input = [BOS_ID, ...tokens];
    const T = finished ? input.length : tokens.length;
    const logits = model.forward(ids, B, S, input.slice(0, T), T);
    const V = model.config.vocabSize;
    const next = [...tokens, EOS_ID].slice(0, T);
    let total = 0;
    for (let t = 0; t < T; t++) {
      const row = Array.from(logits.data.subarray(t * V, (t + 1) * V));
      const allowed = row.filter((_, v) => v !== PAD_ID && v !== BOS_ID);
      const max = Math.max(...allowed);
      const logZ = max + Math.log(allowed.reduce((s, x) => s + Math.exp(x - max), 0));
      total += row[next[t]!]! - logZ;
    }
    return total;
  });
}

/** Every output of at most maxLength tokens (<eos> counted), with its score: the brute-force answer. */
function exhaustiveBest(model: TranslationModel, source: number[], maxLength: number, alpha: number) {
  const words = Array.from({ length: model.config.vocabSize - 3 }, (_, i) => 3 + i);
  let best = { tokens: [] as number[], score: -Infinity };
  const visit = (prefix: number[]) => {
    // End here with <eos> (length prefix + 1), or at the limit without it.
    const candidates: [number[], boolean][] = prefix.length + 1 <= maxLength ? [[prefix, true]] : [];
    if (prefix.length === maxLength) candidates.push([prefix, false]);
    for (const [tokens, finished] of candidates) {
      const score = sequenceLogProb(model, source, tokens, finished) / lengthPenalty(tokens.length + (finished ? 1 : 0), alpha);
      if (score > best.score) best = { tokens, score };
    }
    if (prefix.length < maxLength) for (const w of words) visit([...prefix, w]);
  };
  visit([]);
  return best;
}

describe('lengthPenalty and maxLengthFor', () => {
  it('follow ((5 + n) / 6)^α and min(maxLength, ratio · n + 10)', () => {
    expect(lengthPenalty(1, 1)).toBe(1);
    expect(lengthPenalty(7, 1)).toBe(2);
    expect(lengthPenalty(7, 0)).toBe(1);
    expect(lengthPenalty(31, 0.5)).toBeCloseTo(Math.sqrt(6), 12);
    expect(maxLengthFor(5)).toBe(20);
    expect(maxLengthFor(100)).toBe(128);
    expect(maxLengthFor(5, { maxLength: 3 })).toBe(3);
    expect(() => maxLengthFor(5, { maxLength: 0 })).toThrow(/maxLength/);
  });
});

describe('gatherRows and gatherStates', () => {
  it('reorder and repeat entries along the batch axis', () => {
    const t = new Tensor(Float32Array.from([0, 1, 10, 11, 20, 21]), [3, 2]);
    expect(gatherRows(t, [2, 0, 0]).toArray()).toEqual([[20, 21], [0, 1], [0, 1]]);
    expect(() => gatherRows(t, [3])).toThrow(/outside/);
    const W = new Tensor(Float32Array.from([1, 2, 3, 4]), [2, 1, 2, 1]);
    const [s] = gatherStates([{ kind: 'fast-weights', W }], [1, 1, 0]);
    expect(s!.kind === 'fast-weights' && Array.from(s.W.data)).toEqual([3, 4, 3, 4, 1, 2]);
  });
});

describe('greedy and beam search', () => {
  const sources = [[3, 4, 5], [5], [4, 4, 3, 5, 3], [3]];

  for (const attention of ['softmax', 'delta', 'dpfp']) {
    it(`${attention}: beam size 1 gives exactly the greedy outputs, batched or one by one`, () => {
      const model = tinyModel(attention, 11, 5);
      const options = { maxLength: 8 };
      const greedy = greedyDecode(model, sources, options);
      const beam = beamSearch(model, sources, { ...options, beamSize: 1 }).map((h) => h[0]!.tokens);
      expect(beam).toEqual(greedy);
      const oneByOne = sources.map((s) => greedyDecode(model, [s], options)[0]!);
      expect(greedy).toEqual(oneByOne);
      for (const out of greedy) {
        expect(out.length).toBeLessThanOrEqual(8);
        expect(out.every((id) => id !== PAD_ID && id !== BOS_ID && id !== EOS_ID)).toBe(true);
      }
    });
  }

  for (const [attention, alpha] of [
    ['softmax', 0],
    ['linear', 0.6],
    ['delta', 1],
  ] as const) {
    it(`${attention}, α = ${alpha}: a beam wider than the search space finds the brute-force best of all 40 outputs (3 words, max length 3)`, () => {
      for (const seed of [1, 2, 3]) {
        const model = tinyModel(attention, seed);
        for (const source of [[3, 4], [5, 5, 4]]) {
          const best = exhaustiveBest(model, source, 3, alpha);
          const [top] = beamSearch(model, [source], { beamSize: 64, lengthPenalty: alpha, maxLength: 3 })[0]!;
          expect(top!.tokens).toEqual(best.tokens);
          expect(top!.score).toBeCloseTo(best.score, 4);
          // The beam's own score bookkeeping agrees with teacher-forced scoring.
          expect(top!.logProb).toBeCloseTo(sequenceLogProb(model, source, top!.tokens, top!.finished), 4);
        }
      }
    });
  }

  it('a narrower beam never beats brute force, and batching does not change its results', () => {
    const model = tinyModel('dpfp', 5);
    const srcs = [[3, 4], [5, 5, 4], [4]];
    const batched = beamSearch(model, srcs, { beamSize: 2, maxLength: 3 });
    srcs.forEach((source, i) => {
      const alone = beamSearch(model, [source], { beamSize: 2, maxLength: 3 })[0]!;
      expect(batched[i]!.map((h) => h.tokens)).toEqual(alone.map((h) => h.tokens));
      expect(batched[i]![0]!.score).toBeLessThanOrEqual(exhaustiveBest(model, source, 3, 0.6).score + 1e-9);
      // Hypotheses come best first.
      const scores = batched[i]!.map((h) => h.score);
      expect(scores).toEqual([...scores].sort((a, b) => b - a));
    });
  });

  it('translateIds returns outputs in input order whatever the batch size', () => {
    const model = tinyModel('linear', 4, 5);
    const a = translateIds(model, sources, { beamSize: 2, maxLength: 6, batchSize: 1 });
    const b = translateIds(model, sources, { beamSize: 2, maxLength: 6, batchSize: 3 });
    expect(a).toEqual(b);
    expect(translateIds(model, sources, { maxLength: 6, batchSize: 2 })).toEqual(greedyDecode(model, sources, { maxLength: 6 }));
  });

  it('refuses bad settings', () => {
    const model = tinyModel('softmax', 1);
    expect(() => beamSearch(model, [[3]], { beamSize: 0 })).toThrow(/beamSize/);
    expect(() => beamSearch(model, [[3]], { beamSize: 2, lengthPenalty: -1 })).toThrow(/lengthPenalty/);
    expect(() => translateIds(model, [[3]], { batchSize: 0 })).toThrow(/batchSize/);
    expect(beamSearch(model, [], { beamSize: 2 })).toEqual([]);
  });

  it('leaves the model in the mode it found it', () => {
    const model = tinyModel('softmax', 1).train();
    greedyDecode(model, [[3]], { maxLength: 2 });
    expect(model.training).toBe(true);
  });
});
