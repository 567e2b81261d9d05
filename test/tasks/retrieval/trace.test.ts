/** RetrievalModel.fastWeightTrace: the W_t the demo page draws are the ones the model reads from. */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/index.js';
import { retrievalBatch } from '../../../src/tasks/retrieval/batches.js';
import { RetrievalModel } from '../../../src/tasks/retrieval/model.js';

describe('retrieval model fast weight trace', () => {
  for (const name of ['linear', 'delta', 'dpfp-2', 'dpfp-delta-1']) {
    it(`${name}: W_L φ'(q) is the model's read-out, for every sequence`, () => {
      const batch = retrievalBatch(2, 5, 3, new Rng(11));
      const model = new RetrievalModel({ model: name, S: 5, dKey: 4, dEmb: 6, rng: new Rng(12), dtype: 'float64' });
      model.eval();
      const y = model.forward(batch).data;
      for (let b = 0; b < batch.batch; b++) {
        const { states, query, rule } = model.fastWeightTrace(batch, b);
        expect(rule).toBe(name.includes('delta') ? 'delta' : 'sum');
        expect(states).toHaveLength(batch.L);
        const W = states.at(-1)!;
        for (let i = 0; i < 5; i++) {
          const read = query.reduce((sum, q, j) => sum + W[i * model.dDot + j]! * q, 0);
          expect(read).toBeCloseTo(y[b * 5 + i]!, 10);
        }
      }
    });
  }

  for (const name of ['linear', 'delta']) {
    it(`${name}: every W_t is the state after the first t pairs (the read-out of the sequence cut at t)`, () => {
      const full = retrievalBatch(2, 4, 1, new Rng(21));
      const model = new RetrievalModel({ model: name, S: 4, dKey: 3, dEmb: 5, rng: new Rng(22), dtype: 'float64' });
      model.eval();
      const { states, query } = model.fastWeightTrace(full);
      for (let t = 1; t <= full.L; t++) {
        const prefix = { ...full, L: t, keys: full.keys.slice(0, t), values: full.values.slice(0, t) };
        const y = model.forward(prefix).data;
        const W = states[t - 1]!;
        for (let i = 0; i < 4; i++) expect(query.reduce((sum, q, j) => sum + W[i * model.dDot + j]! * q, 0)).toBeCloseTo(y[i]!, 10);
      }
    });
  }

  it('refuses softmax and an index outside the batch', () => {
    const batch = retrievalBatch(1, 3, 2, new Rng(1));
    expect(() => new RetrievalModel({ model: 'softmax', S: 3, dKey: 2, dEmb: 2, rng: new Rng(0) }).fastWeightTrace(batch)).toThrow('softmax attention has no fast weights');
    expect(() => new RetrievalModel({ model: 'delta', S: 3, dKey: 2, dEmb: 2, rng: new Rng(0) }).fastWeightTrace(batch, 2)).toThrow('index 2 is not a sequence of this batch (0..1)');
  });
});
