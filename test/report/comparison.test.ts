/** The helpers the compare commands share: canonical settings, their differences, and reading results.json. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalJson, describeDifference, readComparisonRows } from '../../src/report/comparison.js';

const dir = mkdtempSync(join(tmpdir(), 'fastweights-comparison-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('canonicalJson and describeDifference', () => {
  it('gives equal text for equal settings whatever the key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { y: 1, x: 0 }], c: null } })).toBe(canonicalJson({ a: { c: null, d: [2, { x: 0, y: 1 }] }, b: 1 }));
    expect(canonicalJson({ b: 1, a: 2 })).toBe('{"a":2,"b":1}');
  });
  it('names each leaf that differs, sorted, with unset for a missing one', () => {
    expect(describeDifference({ training: { steps: 600, lr: 1 }, model: { layers: 2 } }, { training: { steps: 1000, lr: 1 }, model: { layers: 3, ff: 8 } })).toBe('model.ff unset → 8, model.layers 2 → 3, training.steps 600 → 1000');
    expect(describeDifference({ a: 1 }, { a: 1 })).toBe('unknown difference');
  });
});

describe('readComparisonRows', () => {
  const write = (name: string, text: string) => {
    const out = join(dir, name);
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out);
    writeFileSync(join(out, 'results.json'), text);
    return out;
  };
  const settings = canonicalJson({ training: { steps: 2 } });

  it('returns [] with no results.json, and with overwrite', () => {
    expect(readComparisonRows(join(dir, 'none'), settings, false)).toEqual([]);
    expect(readComparisonRows(write('broken-but-overwritten', '{'), settings, true)).toEqual([]);
  });
  it('returns rows of the same settings', () => {
    const rows = [{ model: 'delta', seed: 1, settings }];
    expect(readComparisonRows(write('same', JSON.stringify(rows)), settings, false)).toEqual(rows);
  });
  it('refuses a corrupt file, a file that is not a list of rows, and rows of other settings, naming the fix', () => {
    expect(() => readComparisonRows(write('corrupt', '[{"model":'), settings, false)).toThrow(/results\.json is not valid JSON \(.*\); pass --overwrite to start the comparison again$/);
    expect(() => readComparisonRows(write('object', '{"model":"delta"}'), settings, false)).toThrow(/results\.json is not a list of results; pass --overwrite/);
    expect(() => readComparisonRows(write('numbers', '[1, 2]'), settings, false)).toThrow(/is not a list of results/);
    const other = JSON.stringify([{ model: 'delta', seed: 1, settings: canonicalJson({ training: { steps: 3 } }) }]);
    expect(() => readComparisonRows(write('other', other), settings, false)).toThrow(/holds results of 'delta' computed with other settings \(training\.steps 3 → 2\); pass --overwrite to replace them, or choose another --out$/);
    const unrecorded = JSON.stringify([{ model: 'delta', seed: 1 }]);
    expect(() => readComparisonRows(write('unrecorded', unrecorded), settings, false)).toThrow(/settings not recorded/);
  });
});
