import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildEnDe, cleanDingText, extractDingSentences } from '../../../src/tasks/mt/ende-build.js';
import { type EnDePair, defaultEnDePath, loadEnDePairs, packageRoot, splitEnDe } from '../../../src/tasks/mt/ende.js';

const scratch = mkdtempSync(join(tmpdir(), 'fastweights-ende-'));

describe('the shipped pairs file', () => {
  const pairs = loadEnDePairs();

  it('is found from the package root and holds about 18 k distinct, sorted sentence pairs', () => {
    expect(existsSync(join(packageRoot(), 'package.json'))).toBe(true);
    expect(defaultEnDePath()).toBe(join(packageRoot(), 'data', 'ende', 'ding-sentences.tsv'));
    expect(pairs.length).toBeGreaterThan(17_000);
    expect(pairs.length).toBeLessThan(20_000);
    const keys = pairs.map((p) => `${p.en}\t${p.de}`);
    expect(new Set(keys).size).toBe(pairs.length);
    expect([...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(keys);
  });

  it('holds only plain full sentences on both sides', () => {
    const plain = /^\p{Lu}[^{}[\]<>()/\t…]*[.?!]$/u;
    for (const { en, de } of pairs) {
      expect(en).toMatch(plain);
      expect(de).toMatch(plain);
    }
  });

  it('ships its licence beside it', () => {
    const license = readFileSync(join(packageRoot(), 'data', 'ende', 'LICENSE.md'), 'utf8');
    expect(license).toMatch(/GPL-2\.0-or-later/);
    expect(license).toMatch(/trans-de-en/);
    expect(license).toContain(`${pairs.length} sentence pairs`);
  });

  it('splits into about 500 valid and 1000 test pairs, disjoint by English sentence', () => {
    const split = splitEnDe(pairs);
    expect(split).toEqual(splitEnDe(pairs));
    expect(split.valid.length).toBeGreaterThan(400);
    expect(split.valid.length).toBeLessThan(600);
    expect(split.test.length).toBeGreaterThan(850);
    expect(split.test.length).toBeLessThan(1150);
    expect(split.train.length + split.valid.length + split.test.length).toBe(pairs.length);
    const english = (list: EnDePair[]): Set<string> => new Set(list.map((p) => p.en));
    const [train, valid, test] = [english(split.train), english(split.valid), english(split.test)];
    for (const en of valid) expect(train.has(en) || test.has(en)).toBe(false);
    for (const en of test) expect(train.has(en)).toBe(false);
  });

  it('keeps every pair in its part when other pairs are added or removed', () => {
    const full = splitEnDe(pairs);
    const partOf = new Map<EnDePair, string>();
    for (const part of ['train', 'valid', 'test'] as const) for (const p of full[part]) partOf.set(p, part);
    fc.assert(
      fc.property(fc.subarray(pairs.slice(0, 3_000)), (subset) => {
        const split = splitEnDe(subset);
        return (['train', 'valid', 'test'] as const).every((part) => split[part].every((p) => partOf.get(p) === part));
      }),
      { numRuns: 20 },
    );
  });
});

describe('loadEnDePairs on other files', () => {
  it('names the file and line of a malformed line', () => {
    const path = join(scratch, 'bad.tsv');
    writeFileSync(path, 'Good morning.\tGuten Morgen.\nno tab here\n');
    expect(() => loadEnDePairs(path)).toThrow(`${path}:2: expected "English<TAB>German"`);
    writeFileSync(path, 'Hello.\t\n');
    expect(() => loadEnDePairs(path)).toThrow(`${path}:1:`);
  });

  it('names a missing file', () => {
    const path = join(scratch, 'missing.tsv');
    expect(() => loadEnDePairs(path)).toThrow(`not found: ${path}`);
  });
});

describe('Ding extraction', () => {
  it('removes markup, keeps optional words, drops trailing annotations', () => {
    expect(cleanDingText('Siehste! [ugs.]')).toBe('Siehste!');
    expect(cleanDingText('A (stray) cat adopted us in May.')).toBe('A stray cat adopted us in May.');
    expect(cleanDingText('Eine Gestalt tauchte aus dem Nebel (auf).')).toBe('Eine Gestalt tauchte aus dem Nebel auf.');
    expect(cleanDingText('He is not without remedy. (of a person)')).toBe('He is not without remedy.');
    expect(cleanDingText('Aal {m} <Aale> /A./ [cook.]')).toBe('Aal');
  });

  it('keeps aligned full-sentence alternatives, first synonym, and skips the rest', () => {
    const dictionary = [
      '# Version :: devel 2023-01-30',
      'Abschied {m} | Abschied nehmen | Er verabschiedete sich. :: leave | to take leave | He took leave.',
      // Synonyms: only the first sentence of each side is used.
      'Noch ist nicht aller Tage Abend.; Man soll den Tag nicht vor dem Abend loben. :: It’s not over until it’s over.; It ain’t over till the fat lady sings. [Am.]',
      // Alternatives not aligned (2 vs 1): skipped.
      'Hallo! | Tschüss! :: Hello!',
      // Slash alternatives and placeholders: skipped.
      'Ich muss warten, bis meine Ablösung kommt. :: I have to wait until my relief comes/arrives.',
      'Er hat etw. gesagt. :: He said sth.',
      // Duplicate of the first sentence pair.
      'Abschied {m} | Er verabschiedete sich. :: leave | He took leave.',
    ].join('\n');
    const result = extractDingSentences(dictionary);
    expect(result.upstreamVersion).toBe('devel 2023-01-30');
    expect(result.pairs).toEqual([
      { en: 'He took leave.', de: 'Er verabschiedete sich.' },
      { en: 'It’s not over until it’s over.', de: 'Noch ist nicht aller Tage Abend.' },
    ]);
  });

  it('writes the pairs file and licence that loadEnDePairs reads back', () => {
    const source = join(scratch, 'de-en');
    writeFileSync(source, '# Version :: test\nJa. | Nein. :: Yes. | No.\n');
    const outDir = join(scratch, 'out');
    buildEnDe({ source, outDir });
    expect(readFileSync(join(outDir, 'ding-sentences.tsv'), 'utf8')).toBe('No.\tNein.\nYes.\tJa.\n');
    expect(loadEnDePairs(join(outDir, 'ding-sentences.tsv'))).toEqual([
      { en: 'No.', de: 'Nein.' },
      { en: 'Yes.', de: 'Ja.' },
    ]);
    expect(readFileSync(join(outDir, 'LICENSE.md'), 'utf8')).toMatch(/upstream version: test/);
  });
});
