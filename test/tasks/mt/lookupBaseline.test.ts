/** The lookup baseline (nearest training English → its German), the novel subset, and their cache. */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { englishFeatures, englishSimilarity, lookupMatches, lookupTranslations } from '../../../src/tasks/mt/lookupBaseline.js';
import { NOVEL_SIMILARITY_BELOW, isNovel, novelIndices } from '../../../src/tasks/mt/novelSubset.js';
import { belowLookupWarning, formatSplitBaselines, splitBaselines } from '../../../src/tasks/mt/splitBaselines.js';
import { cachedLookupMatches } from '../../../src/tasks/mt/lookupCache.js';
import { corpusBleu } from '../../../src/tasks/mt/bleu.js';
import type { EnDePair } from '../../../src/tasks/mt/ende.js';

const TRAIN: EnDePair[] = [
  { en: 'Click OK to close the dialog.', de: 'Klicken Sie auf OK, um den Dialog zu schließen.' },
  { en: 'Choose Format - Cells.', de: 'Wählen Sie Format - Zellen.' },
  { en: 'The sum of the selected cells.', de: 'Die Summe der ausgewählten Zellen.' },
  { en: 'Choose Format - Cells.', de: 'Wählen Sie Format - Zellen!' },
];

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fastweights-lookup-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('englishFeatures / englishSimilarity', () => {
  it('uses lower-cased words, punctuation as words, and adjacent word pairs', () => {
    expect(englishFeatures('Click OK.').sort()).toEqual(['.', 'click', 'click ok', 'ok', 'ok .'].sort());
    expect(englishFeatures('the the')).toEqual(['the', 'the the']);
  });

  it('is the Jaccard index of the feature sets', () => {
    // {a, b, a b} and {a, c, a c}: one shared of five.
    expect(englishSimilarity('a b', 'a c')).toBeCloseTo(1 / 5, 12);
    expect(englishSimilarity('Choose Format', 'choose   format')).toBe(1);
    expect(englishSimilarity('x', 'y')).toBe(0);
  });
});

describe('lookupMatches', () => {
  it('returns the most similar training sentence, the earliest on a tie, and −1 with no shared feature', () => {
    const matches = lookupMatches(TRAIN, ['choose format - cells.', 'Click OK to close', 'zzz']);
    expect(matches[0]).toEqual({ index: 1, similarity: 1 }); // pair 3 has the same English: the earlier wins
    expect(matches[1]!.index).toBe(0);
    expect(matches[1]!.similarity).toBeCloseTo(englishSimilarity('Click OK to close', TRAIN[0]!.en), 12);
    expect(matches[2]).toEqual({ index: -1, similarity: 0 });
    expect(lookupTranslations(TRAIN, matches)).toEqual([TRAIN[1]!.de, TRAIN[0]!.de, '']);
  });

  it('agrees with a brute-force search over every training sentence', () => {
    const word = fc.constantFrom('a', 'b', 'c', 'd', 'e', '.', 'OK', 'ok');
    const sentence = fc.array(word, { minLength: 0, maxLength: 6 }).map((w) => w.join(' '));
    fc.assert(
      fc.property(fc.array(sentence, { minLength: 1, maxLength: 12 }), fc.array(sentence, { minLength: 1, maxLength: 5 }), (trainEn, queries) => {
        const train = trainEn.map((en, i) => ({ en, de: `de${i}` }));
        const matches = lookupMatches(train, queries);
        queries.forEach((q, qi) => {
          const sims = train.map((p) => (englishFeatures(q).length === 0 || englishFeatures(p.en).length === 0 ? 0 : englishSimilarity(q, p.en)));
          const best = Math.max(...sims);
          const expected = best > 0 ? { index: sims.indexOf(best), similarity: best } : { index: -1, similarity: 0 };
          expect(matches[qi]!.index).toBe(expected.index);
          expect(matches[qi]!.similarity).toBeCloseTo(expected.similarity, 12);
        });
      }),
      { numRuns: 200 },
    );
  });
});

describe('novel subset', () => {
  it(`keeps the pairs whose nearest training English is below ${NOVEL_SIMILARITY_BELOW} similar`, () => {
    expect(isNovel({ index: 3, similarity: NOVEL_SIMILARITY_BELOW - 1e-9 })).toBe(true);
    expect(isNovel({ index: 3, similarity: NOVEL_SIMILARITY_BELOW })).toBe(false);
    expect(isNovel({ index: -1, similarity: 0 })).toBe(true);
    // A training sentence again, up to case and spacing, is never novel; unrelated English is.
    const matches = lookupMatches(TRAIN, ['CHOOSE  format - cells.', 'Insert a picture from a file.', 'The sum of the cells.']);
    expect(novelIndices(matches)).toEqual([1]);
  });
});

describe('splitBaselines', () => {
  const split: EnDePair[] = [
    { en: 'Choose Format - Cells.', de: 'Wählen Sie Format - Zellen.' },
    { en: 'Click OK to close the window.', de: 'Klicken Sie auf OK, um das Fenster zu schließen.' },
    { en: 'Insert a picture from a file.', de: 'Fügen Sie ein Bild aus einer Datei ein.' },
    { en: 'Delete the row.', de: 'Löschen Sie die Zeile.' },
  ];

  it('scores the model, the lookup baseline and both on the novel subset', () => {
    const cache = tempDir();
    const lookup = lookupTranslations(TRAIN, lookupMatches(TRAIN, split.map((p) => p.en)));
    // A "model" that outputs the lookup's translations scores what the lookup scores.
    const same = splitBaselines(TRAIN, split, lookup, cache);
    expect(same.modelBleu).toBe(same.lookupBleu);
    expect(same.lookupBleu).toBeCloseTo(corpusBleu(lookup, split.map((p) => p.de)).score, 12);
    expect(same.novel.pairs).toBe(2); // the picture and the row
    expect(same.novel.modelBleu).toBe(same.novel.lookupBleu);
    // A perfect model: 100 everywhere; the novel subset's lookup baseline is far below.
    const perfect = splitBaselines(TRAIN, split, split.map((p) => p.de), cache);
    expect(perfect.modelBleu).toBeCloseTo(100, 9);
    expect(perfect.novel.modelBleu).toBeCloseTo(100, 9);
    expect(perfect.novel.lookupBleu!).toBeLessThan(20);
    // The first N pairs only (mt eval --limit N).
    const first = splitBaselines(TRAIN, split, split.slice(0, 1).map((p) => p.de), cache);
    expect(first).toMatchObject({ pairs: 1, novel: { pairs: 0, modelBleu: null, lookupBleu: null } });
    expect(first.lookupBleu).toBeCloseTo(100, 9);
    // Warned below the lookup baseline only.
    expect(belowLookupWarning(perfect, 'test')).toBeNull();
    expect(belowLookupWarning(same, 'test')).toBeNull();
    const empty = splitBaselines(TRAIN, split, split.map(() => 'nichts'), cache);
    expect(belowLookupWarning(empty, 'valid')).toMatch(/^warning: BLEU 0\.00 is below the lookup baseline's \d+\.\d\d on the same 4 valid pairs: copying the German/);
    const lines = formatSplitBaselines(perfect, 'test');
    expect(lines[0]).toMatch(/^lookup baseline .*BLEU \d+\.\d\d on the same 4 test pairs$/);
    expect(lines[1]).toMatch(/^novel subset: 2 of 4 pairs \(nearest training English below 0\.4 similarity\): model BLEU 100\.00, lookup baseline \d+\.\d\d$/);
  });

  it('keeps the matches in a cache file named by the data, and recomputes a damaged one', () => {
    const cache = tempDir();
    const queries = split.map((p) => p.en);
    const computed = cachedLookupMatches(TRAIN, queries, cache);
    const files = readdirSync(cache);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^mt-lookup-[0-9a-f]{64}\.json$/);
    // Other data, another file.
    cachedLookupMatches(TRAIN.slice(0, 3), queries, cache);
    expect(readdirSync(cache)).toHaveLength(2);

    // A second cache directory holding a copy whose matches were edited: they are read, not recomputed.
    const other = tempDir();
    const file = JSON.parse(readFileSync(join(cache, files[0]!), 'utf8'));
    file.index = file.index.map(() => 2);
    writeFileSync(join(other, files[0]!), JSON.stringify(file));
    expect(cachedLookupMatches(TRAIN, queries, other).map((m) => m.index)).toEqual([2, 2, 2, 2]);

    // A damaged file (an index past the training pairs) is recomputed and rewritten.
    const damaged = tempDir();
    writeFileSync(join(damaged, files[0]!), JSON.stringify({ ...file, index: file.index.map(() => 99) }));
    expect(cachedLookupMatches(TRAIN, queries, damaged)).toEqual(computed);
    expect(JSON.parse(readFileSync(join(damaged, files[0]!), 'utf8')).index).toEqual(computed.map((m) => m.index));
    expect(existsSync(join(damaged, files[0]!))).toBe(true);
  });
});
