/** The LibreOffice help corpus: the extraction rules on hand-made pages, and the shipped file. */
import { createHash } from 'node:crypto';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_CHARS, buildLibreOffice, decodeEntities, translatableTexts } from '../../../src/tasks/mt/libreoffice-build.js';
import { corpusForCheckpoint, loadEnDePairs, packageRoot, resolveMtCorpus, shippedCorpusPath, splitEnDe } from '../../../src/tasks/mt/ende.js';

const scratch = mkdtempSync(join(tmpdir(), 'fastweights-lohelp-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('translatableTexts', () => {
  it('takes the text of par_id / hd_id elements, tags removed and entities decoded', () => {
    const html = `<!DOCTYPE html><html><head><title>x</title><script>var a = "<p id='par_id9'>no</p>";</script></head><body>
      <h1 id="hd_id1" dir="auto">Java &amp; more</h1>
      <p id="par_id2" class="paragraph">Click <span class="emph">Cancel</span>&nbsp;and
         reopen<br> the <img src="x.png" alt="icon">dialog.</p>
      <p id="other">not translatable</p>
      <p id="par_id3"></p>
    </body></html>`;
    const texts = translatableTexts(html);
    expect(Object.fromEntries(texts)).toEqual({ hd_id1: 'Java & more', par_id2: 'Click Cancel and reopen the dialog.', par_id3: '' });
  });

  it('keeps the default variant of a switch and drops the platform and module ones', () => {
    const html = `<p id="par_id1">Choose <span class="switchinline"><span hidden="true" id="MAC1" class="MAC"><span class="emph">LibreOffice - Preferences</span></span><span hidden="true" id="default1"><span class="emph">Tools - Options</span></span></span> - Advanced.</p>`;
    expect(translatableTexts(html).get('par_id1')).toBe('Choose Tools - Options - Advanced.');
  });

  it('gives a nested id its own text, counts it in the outer one, and keeps the first of a repeated id', () => {
    const html = `<div id="par_id1">Outer <p id="hd_id2">inner</p> end</div><p id="hd_id2">again</p>`;
    expect(Object.fromEntries(translatableTexts(html))).toEqual({ par_id1: 'Outer inner end', hd_id2: 'inner' });
  });

  it('decodes numeric and named entities and leaves unknown ones', () => {
    expect(decodeEntities('&#252;ber &#xE4; &lt;x&gt; &bogus; &#0;')).toBe('über ä <x> &bogus; &#0;');
  });
});

describe('extraction from a help folder', () => {
  it('pairs pages by path and elements by id, and filters as documented', () => {
    const page = (lang: string, rel: string, body: string) => {
      const path = join(scratch, 'help', lang, 'text', rel);
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(path, `<html><body>${body}</body></html>`);
    };
    page('en-US', 'shared/a.html', '<p id="par_id1">Open the file.</p><p id="par_id2">LibreOffice</p><p id="par_id3">Only English.</p><p id="hd_id4">Save</p>');
    page('de', 'shared/a.html', '<p id="par_id1">Öffnen Sie die Datei.</p><p id="par_id2">LibreOffice</p><p id="hd_id4">Speichern</p>');
    page('en-US', 'swriter/b.html', `<p id="par_id1">Open the file.</p><p id="par_id5">${'x'.repeat(MAX_CHARS + 1)}</p><p id="par_id6">42</p>`);
    page('de', 'swriter/b.html', `<p id="par_id1">Öffnen Sie die Datei.</p><p id="par_id5">y</p><p id="par_id6">zweiundvierzig</p>`);
    page('en-US', 'only/english.html', '<p id="par_id1">Lost.</p>');
    const out = join(scratch, 'out');
    const result = buildLibreOffice({ source: join(scratch, 'help'), outDir: out });
    // par_id2 is identical on both sides, par_id3 has no German, par_id5 is too long, par_id6 has no
    // English letter, and the second "Open the file." is an exact duplicate.
    expect(result).toEqual({ files: 2, candidates: 6, pairs: [{ en: 'Open the file.', de: 'Öffnen Sie die Datei.' }, { en: 'Save', de: 'Speichern' }] });
    expect(readFileSync(join(out, 'help-en-de.tsv'), 'utf8')).toBe('Open the file.\tÖffnen Sie die Datei.\nSave\tSpeichern\n');
    const license = readFileSync(join(out, 'LICENSE.md'), 'utf8');
    expect(license).toContain('`help-en-de.tsv`: 2 pairs');
    expect(license).toMatch(/Mozilla Public License, version 2\.0/);
  });

  it('refuses a folder that is not LibreOffice help', () => {
    expect(() => buildLibreOffice({ source: scratch + '/nothing', outDir: join(scratch, 'x') })).toThrow(/not a LibreOffice help folder/);
  });
});

describe('the shipped LibreOffice pairs', () => {
  const pairs = loadEnDePairs(shippedCorpusPath('libreoffice'));

  it('holds about 34 k distinct, sorted pairs with both sides different, and its MPL-2.0 licence', () => {
    expect(pairs.length).toBeGreaterThan(30_000);
    const keys = pairs.map((p) => `${p.en}\t${p.de}`);
    expect(new Set(keys).size).toBe(pairs.length);
    expect([...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(keys);
    for (const { en, de } of pairs) {
      expect(en).not.toBe(de);
      expect(en.length).toBeLessThanOrEqual(MAX_CHARS);
    }
    const license = readFileSync(join(packageRoot(), 'data', 'libreoffice', 'LICENSE.md'), 'utf8');
    expect(license).toMatch(/MPL-2\.0/);
    expect(license).toContain(`${pairs.length} pairs`);
  });

  it('splits into about 2.7 % valid and 5.4 % test pairs', () => {
    const split = splitEnDe(pairs);
    expect(split.valid.length / pairs.length).toBeGreaterThan(0.02);
    expect(split.valid.length / pairs.length).toBeLessThan(0.035);
    expect(split.test.length / pairs.length).toBeGreaterThan(0.045);
    expect(split.test.length / pairs.length).toBeLessThan(0.065);
  });
});

describe('corpus names in checkpoints', () => {
  it('records a shipped corpus by name and a file by name and SHA-256, never by path', () => {
    expect(resolveMtCorpus('libreoffice')).toEqual({ id: 'libreoffice', path: shippedCorpusPath('libreoffice') });
    const file = join(scratch, 'mine.tsv');
    writeFileSync(file, 'Hello.\tHallo.\n');
    const corpus = resolveMtCorpus(file);
    expect(corpus.id).toBe(`file:mine.tsv:sha256:${createHash('sha256').update('Hello.\tHallo.\n').digest('hex')}`);
    expect(corpus.id).toMatch(/^file:mine\.tsv:sha256:[0-9a-f]{64}$/);
    expect(corpus.id).not.toContain(scratch);
    expect(corpusForCheckpoint(corpus.id, file)).toEqual(corpus);
  });

  it('asks for a file again, refuses a changed one, and names unknown corpora', () => {
    const file = join(scratch, 'mine2.tsv');
    writeFileSync(file, 'Hello.\tHallo.\n');
    const { id } = resolveMtCorpus(file);
    expect(() => corpusForCheckpoint(id)).toThrow(/trained on your file mine2\.tsv .*--corpus FILE/);
    writeFileSync(file, 'Hello.\tGuten Tag.\n');
    expect(() => corpusForCheckpoint(id, file)).toThrow(/is not the file this model was trained on/);
    expect(() => corpusForCheckpoint('ding', 'libreoffice')).toThrow(/trained on the shipped corpus "ding"/);
    expect(() => resolveMtCorpus('wmt14')).toThrow(/neither a shipped corpus \(ding, libreoffice\) nor a readable file/);
    expect(() => corpusForCheckpoint('europarl')).toThrow(/unknown corpus "europarl"/);
  });
});
