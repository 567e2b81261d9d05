import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FeedForward, LayerNorm, Linear, Rng, Tensor, Embedding, linear } from '../../src/index.js';
import { expectGradients, randomTensor, seedArb } from '../helpers.js';

describe('layers', () => {
  it('Linear, LayerNorm and FeedForward pass checkGradients for inputs and every parameter', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 2, max: 4 }), seedArb, (rows, inF, outF, seed) => {
        const rng = new Rng(seed);
        const lin = new Linear(inF, outF, { rng, dtype: 'float64' });
        expectGradients((x, w, b) => linear(x, w!, b!), [randomTensor([2, rows, inF], seed), lin.weight.clone(), randomTensor([outF], seed + 2)]);
        const ff = new FeedForward(outF, 3, { rng, dtype: 'float64', activation: 'gelu' });
        const ln = new LayerNorm(outF, { dtype: 'float64' });
        expectGradients((x) => ff.forward(ln.forward(x)), [randomTensor([rows, outF], seed + 1)]);
      }),
      { numRuns: 15 },
    );
  });
  it('named parameters, train/eval, state dict round trip with clear errors', () => {
    const rng = new Rng(1);
    const ff = new FeedForward(4, 8, { rng, dropout: 0.5 });
    expect(ff.namedParameters().map(([n]) => n)).toEqual(['up.weight', 'up.bias', 'down.weight', 'down.bias']);
    expect(ff.parameterCount()).toBe(4 * 8 + 8 + 8 * 4 + 4);
    ff.eval();
    expect(ff.up.training).toBe(false);
    const x = randomTensor([2, 4], 3).to('float32');
    const y1 = ff.forward(x);
    const other = new FeedForward(4, 8, { rng: new Rng(2) });
    other.eval();
    other.loadStateDict(ff.stateDict());
    expect(Array.from(other.forward(x).data)).toEqual(Array.from(y1.data));
    const bad = new Map(ff.stateDict());
    bad.set('up.weight', new Tensor(new Float32Array(3), [3]));
    expect(() => other.loadStateDict(bad)).toThrow(/parameter 'up.weight' has shape \[3\], the model expects \[4, 8\]/);
    bad.delete('up.weight');
    expect(() => other.loadStateDict(bad)).toThrow(/missing parameter 'up.weight'/);
  });
  it('Linear names the wrong input size; Embedding gathers rows', () => {
    const lin = new Linear(3, 2, { rng: new Rng(0) });
    expect(() => lin.forward(randomTensor([2, 4], 0).to('float32'))).toThrow(/Linear\(3 → 2\): input has shape \[2, 4\], last axis must be 3/);
    const emb = new Embedding(5, 2, { rng: new Rng(0) });
    const out = emb.forward([4, 0], [1, 2]);
    expect(out.shape).toEqual([1, 2, 2]);
    expect(Array.from(out.data.subarray(0, 2))).toEqual(Array.from(emb.weight.data.subarray(8, 10)));
  });
});
