import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/index.js';
import { oneHotTargets, retrievalBatch, sequenceLength } from '../../../src/tasks/retrieval/batches.js';
import { parseKeyRange } from '../../../src/tasks/retrieval/plan.js';

describe('retrieval task generator', () => {
  it('setting 1: every key once, values a bijection, the query among the keys, the answer its value', () => {
    const S = 7;
    const batch = retrievalBatch(1, S, 20, new Rng(3));
    expect(batch.L).toBe(S);
    for (let b = 0; b < batch.batch; b++) {
      const keys = Array.from(batch.keys.subarray(b * S, (b + 1) * S));
      const values = Array.from(batch.values.subarray(b * S, (b + 1) * S));
      expect([...keys].sort((x, y) => x - y)).toEqual([...Array(S).keys()]);
      expect([...values].sort((x, y) => x - y)).toEqual([...Array(S).keys()]);
      const position = keys.indexOf(batch.query[b]!);
      expect(position).toBeGreaterThanOrEqual(0);
      expect(batch.answer[b]).toBe(values[position]);
    }
  });

  it('setting 2: L = 2S with replacement; the answer is the latest value of the queried key', () => {
    const S = 5;
    const batch = retrievalBatch(2, S, 200, new Rng(4));
    expect(batch.L).toBe(sequenceLength(2, S));
    let repeatedQueries = 0;
    for (let b = 0; b < batch.batch; b++) {
      const row = b * batch.L;
      const q = batch.query[b]!;
      let last = -1;
      let count = 0;
      for (let t = 0; t < batch.L; t++) {
        if (batch.keys[row + t] === q) {
          last = batch.values[row + t]!;
          count++;
        }
      }
      expect(last).toBeGreaterThanOrEqual(0); // the query occurs in its sequence
      expect(batch.answer[b]).toBe(last);
      if (count > 1) repeatedQueries++;
    }
    // With 10 draws over 5 keys most queried keys come back: the overwrite case is exercised.
    expect(repeatedQueries).toBeGreaterThan(100);
  });

  it('same seed, same batch; another seed, another batch; one-hot targets mark the answers', () => {
    const a = retrievalBatch(2, 6, 8, new Rng(11));
    const b = retrievalBatch(2, 6, 8, new Rng(11));
    const c = retrievalBatch(2, 6, 8, new Rng(12));
    expect(b).toEqual(a);
    expect(Array.from(c.keys)).not.toEqual(Array.from(a.keys));
    const target = oneHotTargets(a);
    expect(target.shape).toEqual([8, 6]);
    for (let i = 0; i < 8; i++) {
      const row = Array.from(target.data.subarray(i * 6, (i + 1) * 6));
      expect(row.reduce((s, x) => s + x, 0)).toBe(1);
      expect(row[a.answer[i]!]).toBe(1);
    }
  });

  it('rejects bad settings and sizes', () => {
    expect(() => retrievalBatch(3 as 1, 4, 2, new Rng(0))).toThrow(/setting must be 1 or 2/);
    expect(() => retrievalBatch(1, 0, 2, new Rng(0))).toThrow(/S must be a positive integer/);
    expect(() => retrievalBatch(1, 4, 1.5, new Rng(0))).toThrow(/batch/);
  });

  it('parses key ranges and explains bad ones', () => {
    expect(parseKeyRange('20:100:20')).toEqual([20, 40, 60, 80, 100]);
    expect(parseKeyRange('4,8,2:3')).toEqual([2, 3, 4, 8]);
    expect(parseKeyRange('10')).toEqual([10]);
    expect(() => parseKeyRange('20:600:0')).toThrow(/step 0/);
    expect(() => parseKeyRange('1:2:3:4')).toThrow(/too many ':'/);
    expect(() => parseKeyRange('a:5')).toThrow(/not a positive integer/);
    expect(() => parseKeyRange('0:5')).toThrow(/at least 1 key/);
    expect(() => parseKeyRange('4,,8')).toThrow(/empty entry/);
  });
});
