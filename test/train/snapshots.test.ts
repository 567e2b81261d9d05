/** Weight snapshots for averaging (src/train/snapshots.ts): naming, listing and the element-wise mean. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Tensor } from '../../src/tensor/tensor.js';
import { saveCheckpoint } from '../../src/io/checkpoint.js';
import { averageWeights, clearSnapshots, listSnapshots, pruneSnapshots, snapshotDir } from '../../src/train/snapshots.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fastweights-snapshots-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function weights(values: number[], extra?: number[]): Map<string, Tensor> {
  const set = new Map([['w', new Tensor(Float32Array.from(values), [values.length])]]);
  if (extra) set.set('b', new Tensor(Float64Array.from(extra), [1, extra.length]));
  return set;
}

describe('averageWeights', () => {
  it('is the element-wise mean of every tensor, in its own dtype and shape', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 7 }), fc.integer(), (count, size, seed) => {
        const value = (k: number, j: number) => Math.sin(seed + 7 * k + j) * 3;
        const sets = Array.from({ length: count }, (_, k) => weights(Array.from({ length: size }, (_, j) => value(k, j)), [value(k, 99)]));
        const mean = averageWeights(sets);
        for (let j = 0; j < size; j++) {
          let sum = 0;
          for (let k = 0; k < count; k++) sum += Math.fround(value(k, j));
          expect(mean.get('w')!.data[j]).toBe(Math.fround(sum / count));
        }
        expect(mean.get('w')!.dtype).toBe('float32');
        expect(mean.get('b')!.dtype).toBe('float64');
        expect(mean.get('b')!.shape).toEqual([1, 1]);
        expect(mean.get('b')!.data[0]).toBeCloseTo(Array.from({ length: count }, (_, k) => value(k, 99)).reduce((a, b) => a + b) / count, 12);
      }),
    );
  });

  it('names a missing, extra or mismatched tensor', () => {
    expect(() => averageWeights([])).toThrow(/no weights to average/);
    expect(() => averageWeights([weights([1], [2]), weights([1])])).toThrow(/set 2 has no tensor 'b'/);
    expect(() => averageWeights([weights([1]), weights([1], [2])])).toThrow(/set 2 has a tensor 'b' that set 1 lacks/);
    expect(() => averageWeights([weights([1, 2]), weights([1, 2, 3])])).toThrow(/'w' is float32 \[3\] in set 2 but float32 \[2\] in set 1/);
  });
});

describe('snapshot directories', () => {
  const contents = (step: number) => ({ weights: weights([step]), optimizer: {}, config: {}, tokenizer: {}, state: { step } });

  it('lists the snapshots that hold a checkpoint, by step, keeps the newest and clears them', () => {
    for (const step of [1200, 300, 50]) saveCheckpoint(snapshotDir(dir, step), contents(step));
    mkdirSync(join(dir, 'snapshots', 'step-00000070')); // a save that never finished: no checkpoint.json
    writeFileSync(join(dir, 'snapshots', 'notes.txt'), 'not a snapshot');
    expect(snapshotDir(dir, 300)).toBe(join(dir, 'snapshots', 'step-00000300'));
    expect(listSnapshots(dir).map((s) => s.step)).toEqual([50, 300, 1200]);
    pruneSnapshots(dir, 2);
    expect(listSnapshots(dir).map((s) => s.step)).toEqual([300, 1200]);
    clearSnapshots(dir);
    expect(listSnapshots(dir)).toEqual([]);
    expect(listSnapshots(join(dir, 'nowhere'))).toEqual([]);
  });
});
