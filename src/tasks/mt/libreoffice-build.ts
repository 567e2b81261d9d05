/**
 * Builds data/libreoffice/help-en-de.tsv, English–German paragraph pairs from the LibreOffice help
 * (Debian packages `libreoffice-help-en-us` and `libreoffice-help-de`, MPL-2.0):
 *
 *   cd /tmp && apt-get download libreoffice-help-en-us libreoffice-help-de
 *   for f in libreoffice-help-*.deb; do dpkg -x "$f" /tmp/lohelp; done
 *   npm run build && node dist/src/tasks/mt/libreoffice-build.js --source /tmp/lohelp/usr/share/libreoffice/help --out data/libreoffice
 *
 * Both languages ship the same HTML files (help/<lang>/text/…/*.html), generated from one source,
 * and every translatable paragraph or heading carries the same id in both (`par_id…`, `hd_id…`).
 * A pair is the text of the element with a given id in the English file and in the German file of
 * the same path. How the text is taken and what is kept:
 * 1. The text of an element is the text of everything inside it, tags removed and entities decoded.
 *    Platform and module variants (`<span hidden="true" class="MAC|WRITER|CALC|…">`) are dropped;
 *    the default variant (a hidden span with no class) is kept, as the help's script shows it by
 *    default. Images contribute nothing; spaces are collapsed.
 * 2. An id found twice in one file (embedded snippets repeat) keeps its first text.
 * 3. Kept when both sides contain a letter, are at most MAX_CHARS characters long, and differ
 *    (identical sides are names, code or untranslated strings: copying them would teach nothing
 *    and inflate BLEU).
 * 4. Exact duplicate pairs are dropped (the help repeats "Click OK." in many files); the file is
 *    sorted by English, then German (UTF-16 order), so a rebuild from the same packages is
 *    byte-identical.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { EnDePair } from './ende.js';

export const LIBREOFFICE_TSV_NAME = 'help-en-de.tsv';

/** Longer paragraphs are rare (tables of options flattened into one cell) and only slow training. */
export const MAX_CHARS = 400;

/** Elements whose id marks a translatable paragraph or heading. */
const TRANSLATABLE_ID = /^(?:par_id|hd_id)/;

/** HTML elements that have no closing tag. */
const VOID_ELEMENTS = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr']);

/** Map from element id to its text, for the translatable elements of one help page. */
export function translatableTexts(html: string): Map<string, string> {
  const texts = new Map<string, string>();
  // Open elements; `capture` is the id whose text this element belongs to (the innermost captured one
  // and every captured one around it, so a heading inside a captured cell still counts for both).
  const stack: { name: string; captures: string[]; skip: boolean }[] = [];
  const buffers = new Map<string, string[]>();
  const tag = /<(\/?)([a-zA-Z][a-zA-Z0-9]*)([^>]*)>|<!--[\s\S]*?-->|<![^>]*>/g;
  let at = 0;
  const addText = (raw: string): void => {
    const top = stack[stack.length - 1];
    if (!top || top.skip || top.captures.length === 0 || raw === '') return;
    for (const id of top.captures) buffers.get(id)?.push(raw);
  };
  for (let m = tag.exec(html); m !== null; m = tag.exec(html)) {
    addText(html.slice(at, m.index));
    at = tag.lastIndex;
    if (m[2] === undefined) continue; // a comment or a doctype
    const name = m[2].toLowerCase();
    const attributes = m[3] ?? '';
    if (m[1] === '/') {
      // Close the nearest open element of this name (generated HTML nests properly; this also
      // tolerates a stray closing tag).
      for (let i = stack.length - 1; i >= 0; i--) {
        if (stack[i]!.name !== name) continue;
        for (const closed of stack.splice(i)) finish(closed.captures, stack, buffers, texts);
        break;
      }
      continue;
    }
    if (VOID_ELEMENTS.has(name) || attributes.trimEnd().endsWith('/')) continue;
    const parent = stack[stack.length - 1];
    const hidden = /\bhidden="true"/.test(attributes);
    const variant = hidden && /\bclass="/.test(attributes); // MAC, WRITER, …: not the default text
    const skip = (parent?.skip ?? false) || variant || name === 'script' || name === 'style';
    const id = /\bid="([^"]*)"/.exec(attributes)?.[1];
    const captures = [...(parent?.captures ?? [])];
    if (id !== undefined && TRANSLATABLE_ID.test(id) && !skip && !buffers.has(id) && !texts.has(id)) {
      buffers.set(id, []);
      captures.push(id);
    }
    stack.push({ name, captures, skip });
  }
  for (const open of stack.splice(0)) finish(open.captures, stack, buffers, texts);
  return texts;
}

/** An element closed: the ids it opened (those not in its parent) are complete. */
function finish(captures: string[], stack: { captures: string[] }[], buffers: Map<string, string[]>, texts: Map<string, string>): void {
  const parentCaptures = new Set(stack[stack.length - 1]?.captures ?? []);
  for (const id of captures) {
    if (parentCaptures.has(id)) continue;
    const parts = buffers.get(id);
    if (parts === undefined) continue;
    buffers.delete(id);
    texts.set(id, normaliseText(decodeEntities(parts.join(''))));
  }
}

const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (whole, body: string) => {
    if (body[0] === '#') {
      const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED_ENTITIES[body] ?? whole;
  });
}

function normaliseText(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function keep(pair: EnDePair): boolean {
  return /\p{L}/u.test(pair.en) && /\p{L}/u.test(pair.de) && pair.en.length <= MAX_CHARS && pair.de.length <= MAX_CHARS && pair.en !== pair.de;
}

export interface LibreOfficeExtraction {
  pairs: EnDePair[];
  /** Help pages present in both languages. */
  files: number;
  /** Translatable ids found in both languages of a page, before filtering. */
  candidates: number;
}

/** Pairs from every page of `<helpRoot>/en-US/text` that also exists under `<helpRoot>/de/text`. */
export function extractLibreOfficePairs(helpRoot: string): LibreOfficeExtraction {
  const enRoot = join(helpRoot, 'en-US', 'text');
  const deRoot = join(helpRoot, 'de', 'text');
  for (const dir of [enRoot, deRoot]) if (!existsSync(dir)) throw new Error(`not a LibreOffice help folder (no ${dir})`);
  const seen = new Set<string>();
  const pairs: EnDePair[] = [];
  let files = 0;
  let candidates = 0;
  for (const enFile of htmlFiles(enRoot)) {
    const deFile = join(deRoot, relative(enRoot, enFile));
    if (!existsSync(deFile)) continue;
    files++;
    const german = translatableTexts(readFileSync(deFile, 'utf8'));
    for (const [id, en] of translatableTexts(readFileSync(enFile, 'utf8'))) {
      const de = german.get(id);
      if (de === undefined) continue;
      candidates++;
      const pair = { en, de };
      const key = `${en}\t${de}`;
      if (!keep(pair) || seen.has(key)) continue;
      seen.add(key);
      pairs.push(pair);
    }
  }
  pairs.sort((a, b) => compare(a.en, b.en) || compare(a.de, b.de));
  return { pairs, files, candidates };
}

function htmlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => compare(a.name, b.name))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...htmlFiles(path));
    else if (entry.isFile() && entry.name.endsWith('.html')) out.push(path);
  }
  return out;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Writes `<outDir>/help-en-de.tsv` (en<TAB>de per line) and `<outDir>/LICENSE.md`. */
export function buildLibreOffice(options: { source: string; outDir: string; debianVersion?: string }): LibreOfficeExtraction {
  const extraction = extractLibreOfficePairs(options.source);
  mkdirSync(options.outDir, { recursive: true });
  writeFileSync(join(options.outDir, LIBREOFFICE_TSV_NAME), extraction.pairs.map((p) => `${p.en}\t${p.de}\n`).join(''));
  writeFileSync(join(options.outDir, 'LICENSE.md'), licenseText(extraction, options.debianVersion ?? '4:7.4.7-1+deb12u14'));
  return extraction;
}

function licenseText(extraction: LibreOfficeExtraction, debianVersion: string): string {
  return `# data/libreoffice: English–German paragraph pairs from the LibreOffice help

\`${LIBREOFFICE_TSV_NAME}\`: ${extraction.pairs.length} pairs, one per line, \`English<TAB>German\`, UTF-8, sorted
by the English side. Paragraphs and headings of the same help page matched by their element id.

## Licence

Mozilla Public License, version 2.0 (MPL-2.0), as the LibreOffice help it was extracted from. This
licence covers \`${LIBREOFFICE_TSV_NAME}\` only; the rest of fastweights keeps its own licence. The MPL-2.0
text: https://mozilla.org/MPL/2.0/ (on Debian systems also in \`/usr/share/common-licenses/MPL-2.0\`).
The source form of the covered files is the LibreOffice help (https://git.libreoffice.org/help) and
the Debian packages named below.

## Source

- LibreOffice 7.4 help, © The Document Foundation and the LibreOffice contributors.
- Taken from the Debian 12 ("bookworm") packages libreoffice-help-en-us and libreoffice-help-de,
  version ${debianVersion}, folder \`usr/share/libreoffice/help\`.

## What was extracted

${extraction.files} help pages present in both languages; ${extraction.candidates} ids found in both. Kept when
both sides contain a letter, are at most ${MAX_CHARS} characters and differ; platform and module variants
dropped (the default text kept); exact duplicates dropped. The rules are documented in
\`src/tasks/mt/libreoffice-build.ts\`.

## Rebuilding

\`\`\`
cd /tmp && apt-get download libreoffice-help-en-us libreoffice-help-de
for f in libreoffice-help-*.deb; do dpkg -x "$f" /tmp/lohelp; done
npm run build
node dist/src/tasks/mt/libreoffice-build.js --source /tmp/lohelp/usr/share/libreoffice/help --out data/libreoffice
\`\`\`
`;
}

function parseArgs(argv: string[]): { source: string; outDir: string; debianVersion?: string } {
  const usage = 'usage: node dist/src/tasks/mt/libreoffice-build.js --source <…/usr/share/libreoffice/help> --out <directory> [--debian-version 4:7.4.7-1+deb12u14]';
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    if (!['--source', '--out', '--debian-version'].includes(flag) || value === undefined) throw new Error(`unexpected argument "${flag}"\n${usage}`);
    values.set(flag, value);
  }
  const source = values.get('--source');
  const outDir = values.get('--out');
  if (source === undefined || outDir === undefined) throw new Error(usage);
  return { source: resolve(source), outDir: resolve(outDir), debianVersion: values.get('--debian-version') };
}

const runDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (runDirectly) {
  try {
    const options = parseArgs(process.argv.slice(2));
    const result = buildLibreOffice(options);
    console.log(`${result.pairs.length} pairs (from ${result.candidates} ids in ${result.files} pages) written to ${join(options.outDir, LIBREOFFICE_TSV_NAME)}`);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  }
}
