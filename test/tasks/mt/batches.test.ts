/** Translation batches: layout, token budget, coverage, seeded order and exact resume. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BOS_ID, EOS_ID, PAD_ID, Rng } from '../../../src/index.js';
import { TranslationBatcher, collatePairs, collateSources, evaluationBatches, packByTokens, type TokenizedPair } from '../../../src/tasks/mt/batches.js';

const pairsArb = fc.array(
  fc.record({
    source: fc.array(fc.integer({ min: 3, max: 50 }), { minLength: 0, maxLength: 12 }),
    target: fc.array(fc.integer({ min: 3, max: 50 }), { minLength: 0, maxLength: 12 }),
  }),
  { minLength: 1, maxLength: 40 },
);

const paddedCost = (p: TokenizedPair) => Math.max(p.source.length, p.target.length) + 1;

describe('collatePairs', () => {
  it('lays out source <eos>, <bos> target and target <eos>, right-padded (hand-checked)', () => {
    const pairs: TokenizedPair[] = [
      { source: [10, 11], target: [20] },
      { source: [12], target: [21, 22, 23] },
    ];
    const b = collatePairs(pairs, [0, 1]);
    expect([b.B, b.S, b.T]).toEqual([2, 3, 4]);
    expect(Array.from(b.source)).toEqual([10, 11, EOS_ID, 12, EOS_ID, PAD_ID]);
    expect(Array.from(b.decoderInput)).toEqual([BOS_ID, 20, PAD_ID, PAD_ID, BOS_ID, 21, 22, 23]);
    expect(Array.from(b.targets)).toEqual([20, EOS_ID, PAD_ID, PAD_ID, 21, 22, 23, EOS_ID]);
    expect(b.targetTokens).toBe(6);
    expect(b.indices).toEqual([0, 1]);
  });

  it('collateSources pads sources the same way', () => {
    const s = collateSources([[10, 11], [12]]);
    expect(Array.from(s.source)).toEqual([10, 11, EOS_ID, 12, EOS_ID, PAD_ID]);
    expect(() => collateSources([])).toThrow(/no sources/);
    expect(() => collatePairs([], [])).toThrow(/empty batch/);
  });
});

describe('packByTokens and the batcher', () => {
  it('every batch keeps B · max length within the budget (or is a single long pair)', () => {
    fc.assert(
      fc.property(pairsArb, fc.integer({ min: 1, max: 60 }), fc.integer({ min: 0, max: 1000 }), (pairs, maxTokens, seed) => {
        const batcher = new TranslationBatcher(pairs, maxTokens, new Rng(seed));
        for (let i = 0; i < batcher.batchesPerEpoch; i++) {
          const b = batcher.next();
          expect(b.B === 1 || b.B * Math.max(b.S, b.T) <= maxTokens).toBe(true);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('an epoch covers every pair exactly once, and the next epoch is reshuffled', () => {
    fc.assert(
      fc.property(pairsArb, fc.integer({ min: 8, max: 60 }), fc.integer({ min: 0, max: 1000 }), (pairs, maxTokens, seed) => {
        const batcher = new TranslationBatcher(pairs, maxTokens, new Rng(seed));
        const epoch = (): number[] => {
          const seen: number[] = [];
          const n = batcher.batchesPerEpoch;
          for (let i = 0; i < n; i++) seen.push(...batcher.next().indices);
          return seen;
        };
        const first = epoch();
        expect([...first].sort((a, b) => a - b)).toEqual(pairs.map((_, i) => i));
        const second = epoch();
        expect([...second].sort((a, b) => a - b)).toEqual(pairs.map((_, i) => i));
      }),
      { numRuns: 40 },
    );
    // With enough pairs, the order differs between epochs.
    const many = Array.from({ length: 200 }, (_, i) => ({ source: new Array(1 + (i % 9)).fill(5), target: new Array(1 + (i % 7)).fill(6) }));
    const b = new TranslationBatcher(many, 40, new Rng(1));
    const n = b.batchesPerEpoch;
    const e1 = Array.from({ length: n }, () => b.next().indices).flat();
    const e2 = Array.from({ length: n }, () => b.next().indices).flat();
    expect(e1).not.toEqual(e2);
  });

  it('groups pairs of similar length (padding is a small share of a batch)', () => {
    const rng = new Rng(7);
    const pairs = Array.from({ length: 500 }, () => ({ source: new Array(1 + rng.int(30)).fill(5), target: new Array(1 + rng.int(30)).fill(6) }));
    const batcher = new TranslationBatcher(pairs, 300, new Rng(2));
    let real = 0;
    let padded = 0;
    for (let i = 0; i < batcher.batchesPerEpoch; i++) {
      const b = batcher.next();
      for (const index of b.indices) real += paddedCost(pairs[index]!);
      padded += b.B * Math.max(b.S, b.T);
    }
    expect(real / padded).toBeGreaterThan(0.9);
  });

  it('the same seed gives the same batches; setState resumes the exact sequence', () => {
    const pairs = Array.from({ length: 120 }, (_, i) => ({ source: new Array(1 + ((i * 7) % 13)).fill(3 + (i % 5)), target: new Array(1 + ((i * 5) % 11)).fill(4) }));
    const a = new TranslationBatcher(pairs, 50, new Rng(9));
    const b = new TranslationBatcher(pairs, 50, new Rng(9));
    const n = a.batchesPerEpoch;
    const run = (batcher: TranslationBatcher, steps: number) => Array.from({ length: steps }, () => batcher.next().indices);
    expect(run(a, n + 3)).toEqual(run(b, n + 3));
    // Save mid-epoch (second epoch), continue in a fresh batcher, compare with the original.
    const saved = JSON.parse(JSON.stringify(a.getState()));
    const expected = run(a, n + 5);
    const resumed = new TranslationBatcher(pairs, 50, new Rng(12345));
    resumed.setState(saved);
    expect(run(resumed, n + 5)).toEqual(expected);
    expect(() => resumed.setState({ ...saved, position: n + 1 })).toThrow(/past the/);
  });

  it('evaluationBatches keeps every pair once, sorted by length', () => {
    const pairs: TokenizedPair[] = [
      { source: [5, 5, 5, 5], target: [6] },
      { source: [5], target: [6] },
      { source: [5, 5], target: [6, 6] },
    ];
    const batches = evaluationBatches(pairs, 6);
    expect(batches.flatMap((b) => b.indices)).toEqual([1, 2, 0]);
    expect(packByTokens(pairs, [1, 2, 0], 6)).toEqual([[1, 2], [0]]);
    expect(() => packByTokens(pairs, [0], 0)).toThrow(/positive integer/);
  });
});
