import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detokenizeBrown, parseBrownFile, stripTag } from '../../src/data/brown.js';
import { type Corpus, TEXT_FILE_CHUNK_CHARS, TEXT_FILE_SIZE_SPLIT, loadCorpus } from '../../src/data/corpora.js';
import { splitCorpus } from '../../src/data/split.js';
import { firstInvalidUtf8 } from '../../src/data/textFile.js';

const scratch = mkdtempSync(join(tmpdir(), 'fastweights-corpora-'));

describe('loadCorpus("sotu")', () => {
  const sotu = loadCorpus('sotu');

  it('has one document per address, ids in chronological order', () => {
    expect(sotu.name).toBe('sotu');
    expect(sotu.documents.length).toBe(233);
    expect(sotu.documents[0]!.id).toBe('1790_george_washington_n');
    expect(sotu.documents[232]!.id).toBe('2021_joseph_r_biden_d');
    expect(sotu.documents[0]!.text.startsWith('Fellow-Citizens of the Senate and House of Representatives:')).toBe(true);
    expect(sotu.license).toMatch(/PDDL/);
    const chars = sotu.documents.reduce((n, d) => n + d.text.length, 0);
    expect(chars).toBeGreaterThan(9_000_000);
  });

  it('splits 12 / 12 addresses off for valid / test, deterministically and without overlap', () => {
    const a = splitCorpus(sotu);
    const b = splitCorpus(sotu);
    expect(b).toEqual(a);
    expect(a.ids.valid.length).toBe(12);
    expect(a.ids.test.length).toBe(12);
    expect(a.ids.train.length).toBe(209);
    const all = [...a.ids.train, ...a.ids.valid, ...a.ids.test];
    expect(new Set(all).size).toBe(233);
    // Slot k starts at floor(k · 233 / 12): 0, 19, 38, …; valid takes it, test the next address.
    expect(a.ids.valid.slice(0, 2)).toEqual(['1790_george_washington_n', sotu.documents[19]!.id]);
    expect(a.ids.test.slice(0, 2)).toEqual(['1791_george_washington_n', sotu.documents[20]!.id]);
    const byId = new Map(sotu.documents.map((d) => [d.id, d.text]));
    expect(a.valid).toBe(a.ids.valid.map((id) => byId.get(id)).join('\n\n'));
  });
});

describe('loadCorpus("brown")', () => {
  it('has the 500 files as documents, tags stripped, punctuation attached', () => {
    const brown = loadCorpus('brown');
    expect(brown.documents.length).toBe(500);
    const first = brown.documents[0]!;
    expect(first.id).toBe('ca01');
    expect(first.text.startsWith(
      'The Fulton County Grand Jury said Friday an investigation of Atlanta\'s recent primary election produced "no evidence" that any irregularities took place.',
    )).toBe(true);
    // No `word/tag` tokens survive anywhere in the corpus.
    for (const doc of brown.documents) expect(doc.text).not.toMatch(/\w\/(?:at|nn|nns|np|vbd|jj|pps)(?:-tl|-hl)?(?=\s|$)/);
  });

  it('strips tags at the last slash and detokenises quotes and brackets', () => {
    expect(stripTag('1/2/cd')).toBe('1/2');
    expect(stripTag('Jr./np')).toBe('Jr.');
    const [[sentence]] = parseBrownFile("\n\n\t``/`` Only/rb (/( a/at )/) test/nn ,/, he/pps said/vbd ''/'' ./.\n");
    expect(detokenizeBrown(sentence!)).toBe('"Only (a) test, he said".');
  });
});

describe('loadCorpus(path)', () => {
  it('groups blank-line paragraphs of a text file into chunked documents', () => {
    const paragraph = 'word '.repeat(1_200).trim(); // 5 999 characters
    const path = join(scratch, 'book.txt');
    writeFileSync(path, [paragraph, paragraph, paragraph, paragraph, paragraph, 'The end.'].join('\r\n\r\n') + '\r\n');
    const corpus = loadCorpus(path);
    expect(corpus.name).toBe('book.txt');
    expect(corpus.documents.map((d) => d.id)).toEqual(['book.txt:00000', 'book.txt:00001', 'book.txt:00002']);
    // 5 999 + 5 999 ≥ TEXT_FILE_CHUNK_CHARS (10 000) closes a document; the rest forms the last.
    expect(TEXT_FILE_CHUNK_CHARS).toBe(10_000);
    expect(corpus.documents[0]!.text).toBe(`${paragraph}\n\n${paragraph}`);
    expect(corpus.documents[2]!.text).toBe(`${paragraph}\n\nThe end.`);
  });

  it('cuts a text with no blank lines by size instead of refusing it as one document', () => {
    const lines = Array.from({ length: 400 }, (_, i) => `Line ${i} of a text that has no blank lines at all.`);
    const path = join(scratch, 'lines.txt');
    writeFileSync(path, lines.join('\n') + '\n');
    const corpus = loadCorpus(path);
    expect(corpus.documents.length).toBeGreaterThanOrEqual(TEXT_FILE_SIZE_SPLIT - 1);
    expect(corpus.documents.length).toBeLessThanOrEqual(TEXT_FILE_SIZE_SPLIT + 1);
    // Cut at line ends: every line survives whole, in order.
    expect(corpus.documents.map((d) => d.text).join('\n').split('\n')).toEqual(lines);
    const split = splitCorpus(corpus);
    expect(split.ids.valid.length).toBe(1);
    expect(split.ids.train.length).toBeGreaterThan(15);
    // One long line: cut at spaces.
    const oneLine = join(scratch, 'one-line.txt');
    writeFileSync(oneLine, lines.join(' '));
    expect(loadCorpus(oneLine).documents.map((d) => d.text).join(' ')).toBe(lines.join(' '));
  });

  it('names the path for a missing file, a directory and invalid UTF-8', () => {
    const missing = join(scratch, 'nope.txt');
    expect(() => loadCorpus(missing)).toThrow(`no such file ${missing}`);
    expect(() => loadCorpus(scratch)).toThrow(`not a regular file: ${scratch}`);
    const binary = join(scratch, 'latin1.txt');
    writeFileSync(binary, Buffer.from([0x47, 0x72, 0xfc, 0xdf, 0x65])); // "Grüße" in Latin-1
    expect(() => loadCorpus(binary)).toThrow(`${binary}:1: corpus file is not valid UTF-8 (byte 0xfc at offset 2)`);
  });

  it('names the line of the first invalid byte, and refuses NUL bytes as a binary file', () => {
    const third = join(scratch, 'third-line.txt');
    writeFileSync(third, Buffer.concat([Buffer.from('one\ntwo\r\nthr'), Buffer.from([0xe2, 0x82]), Buffer.from('ee\n')]));
    expect(() => loadCorpus(third)).toThrow(new RegExp(`^${third}:3: corpus file is not valid UTF-8 \\(byte 0xe2 at offset 12\\)$`));
    const zeros = join(scratch, 'zeros.txt');
    writeFileSync(zeros, Buffer.alloc(4096));
    expect(() => loadCorpus(zeros)).toThrow(new RegExp(`^${zeros}:1: corpus file holds a NUL byte: a binary file, not text$`));
  });

  it('refuses a file larger than one string by its size, before reading it', () => {
    const huge = join(scratch, 'huge.txt');
    writeFileSync(huge, '');
    truncateSync(huge, 2 ** 31); // sparse: nothing is written
    const started = performance.now();
    expect(() => loadCorpus(huge)).toThrow(new RegExp(`^corpus file ${huge} is 2\\.1 GB, more than the 537 MB one JavaScript string can hold \\(536870888 characters\\); use a part of it$`));
    expect(performance.now() - started).toBeLessThan(1000);
    rmSync(huge);
  });

  it('finds the first invalid UTF-8 byte where a strict decoder fails, on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 10 }), (junk, text) => {
        const bytes = Uint8Array.from([...new TextEncoder().encode(text), ...junk]);
        const found = firstInvalidUtf8(bytes);
        let valid = true;
        try {
          new TextDecoder('utf-8', { fatal: true }).decode(bytes);
        } catch {
          valid = false;
        }
        const hasNul = bytes.includes(0);
        if (valid && !hasNul) return found === null;
        if (found === null) return false;
        // Everything before the reported byte decodes, and is NUL-free.
        const before = bytes.subarray(0, found.at);
        new TextDecoder('utf-8', { fatal: true }).decode(before);
        return !before.includes(0) && (found.nul ? bytes[found.at] === 0 : !valid);
      }),
    );
  });

  it('lists the built-in corpora for an unknown name', () => {
    expect(() => loadCorpus('wikitext')).toThrow(/"wikitext" is neither a built-in corpus \(sotu, brown\)/);
  });
});

describe('splitCorpus', () => {
  const corpus = (n: number): Corpus => ({
    name: 'tiny',
    license: 'test',
    // Given in reverse order: the split must sort by id itself.
    documents: Array.from({ length: n }, (_, i) => ({ id: `d${String(n - 1 - i).padStart(2, '0')}`, text: `text ${n - 1 - i}` })),
  });

  it('holds out at least one document each from a small corpus', () => {
    const s = splitCorpus(corpus(10));
    expect(s.ids).toEqual({ valid: ['d00'], test: ['d01'], train: ['d02', 'd03', 'd04', 'd05', 'd06', 'd07', 'd08', 'd09'] });
    expect(s.test).toBe('text 1');
  });

  it('supports unequal fractions without overlap', () => {
    const s = splitCorpus(corpus(40), { valid: 0.1, test: 0.05 });
    expect(s.ids.valid).toEqual(['d00', 'd10', 'd20', 'd30']);
    expect(s.ids.test).toEqual(['d01', 'd11']);
    expect(s.ids.train.length).toBe(34);
  });

  it('refuses bad fractions, too few documents and duplicate ids', () => {
    expect(() => splitCorpus(corpus(10), { valid: 1.5, test: 0 })).toThrow(/"valid" must be in \[0, 1\)/);
    expect(() => splitCorpus(corpus(2))).toThrow(/2 documents, too few/);
    expect(() => splitCorpus(corpus(1))).toThrow(/1 documents, too few/);
    const dup = corpus(10);
    dup.documents.push({ id: 'd03', text: 'again' });
    expect(() => splitCorpus(dup)).toThrow(/two documents with id "d03"/);
  });
});
