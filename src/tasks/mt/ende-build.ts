/**
 * Builds data/ende/ding-sentences.tsv, the English–German sentence pairs shipped with the project,
 * from the Ding dictionary (Debian package `trans-de-en`, file usr/share/trans/de-en, GPL-2+).
 *
 *   cd /tmp && apt-get download trans-de-en && dpkg -x trans-de-en_*.deb /tmp/ding
 *   npm run build && node dist/src/tasks/mt/ende-build.js --source /tmp/ding/usr/share/trans/de-en --out data/ende
 *
 * A Ding line is `DE :: EN`; each side lists aligned alternatives separated by ` | ` (the i-th German
 * alternative translates the i-th English one), and an alternative lists synonyms separated by `; `.
 * What is kept, and how it is cleaned:
 * 1. Lines whose two sides have the same number of alternatives; every aligned pair of alternatives
 *    is a candidate. Of each alternative only the first synonym is kept (Ding lists the most
 *    common first, and synonyms of the two sides are not aligned one to one).
 * 2. Markup removed: `{…}` grammar tags ({f}, {vt}), `[…]` usage labels ([Br.], [ugs.]), `<…>`
 *    search keywords, ` /…/` abbreviation markers, and a `(…)` annotation after the sentence's
 *    final . ? or !. Any other `(…)` marks optional words, which are kept without the parentheses
 *    ("A (stray) cat adopted us." → "A stray cat adopted us."; dropping them instead would lose
 *    German separable prefixes such as "tauchte … (auf)").
 * 3. Spaces are collapsed and a space left before . , ; : ! ? is removed.
 * 4. The pair is kept when both sides are now a plain full sentence: starts with a capital letter,
 *    ends in . ? or !, and contains no leftover markup, tab, `…` placeholder, dictionary
 *    placeholder (sth., sb., etw., jdn. …) or slash. A slash offers alternatives
 *    ("outstanding/currently pending") whose extent cannot be told from the text, so such
 *    sentences are left out rather than guessed at.
 * 5. Exact duplicate pairs are dropped; the file is sorted by English, then German (UTF-16 order).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { EnDePair } from './ende.js';

export const ENDE_TSV_NAME = 'ding-sentences.tsv';

export interface DingExtraction {
  pairs: EnDePair[];
  /** From the dictionary's `# Version :: …` header, when present. */
  upstreamVersion: string | null;
  /** Aligned alternatives looked at, before cleaning and filtering. */
  candidates: number;
}

/** The full-sentence pairs of a Ding de-en dictionary file's text (see the file comment). */
export function extractDingSentences(dictionary: string): DingExtraction {
  let upstreamVersion: string | null = null;
  let candidates = 0;
  const seen = new Set<string>();
  const pairs: EnDePair[] = [];
  for (const line of dictionary.split('\n')) {
    if (line.startsWith('#')) {
      const version = /^#\s*Version\s*::\s*(.+?)\s*$/.exec(line);
      if (version && upstreamVersion === null) upstreamVersion = version[1]!;
      continue;
    }
    const sides = line.split(' :: ');
    if (sides.length !== 2) continue;
    const deAlternatives = sides[0]!.split(' | ');
    const enAlternatives = sides[1]!.split(' | ');
    if (deAlternatives.length !== enAlternatives.length) continue;
    for (let i = 0; i < deAlternatives.length; i++) {
      candidates++;
      const de = cleanDingText(firstSynonym(deAlternatives[i]!));
      const en = cleanDingText(firstSynonym(enAlternatives[i]!));
      if (!isPlainSentence(de) || !isPlainSentence(en)) continue;
      const key = `${en}\t${de}`;
      if (seen.has(key)) continue;
      seen.add(key);
      pairs.push({ en, de });
    }
  }
  pairs.sort((a, b) => compare(a.en, b.en) || compare(a.de, b.de));
  return { pairs, upstreamVersion, candidates };
}

function firstSynonym(alternative: string): string {
  return alternative.split(/;\s/)[0]!;
}

/** Strips Ding markup (steps 2–3 of the file comment). */
export function cleanDingText(text: string): string {
  let out = text
    .replace(/\s*\{[^{}]*\}/g, '')
    .replace(/\s*\[[^[\]]*\]/g, '')
    .replace(/\s*<[^<>]*>/g, '')
    .replace(/\s\/[^\s/]+\/(?=\s|$)/g, '');
  // "(…)" after the final . ? ! annotates the sentence: remove it.
  for (let before = ''; before !== out; ) {
    before = out;
    out = out.replace(/(?<=[.?!])\s*\([^()]*\)\s*$/, '');
  }
  // Any other "(…)" holds optional words: keep them, drop the parentheses (innermost first).
  for (let before = ''; before !== out; ) {
    before = out;
    out = out.replace(/\(([^()]*)\)/g, '$1');
  }
  return out
    .replace(/\s+/g, ' ')
    .replace(/ (?=[.,;:!?])/g, '')
    .replace(/(?<!\.)\.\.$/, '.') // one source sentence ends in a doubled period
    .trim();
}

const LEFTOVER_MARKUP = /[{}[\]<>()/\t…]/;
const DICTIONARY_PLACEHOLDER = /(?:^|[^\p{L}])(?:sth|sb|etw|jd|jdm|jdn|jds)\./u;

function isPlainSentence(text: string): boolean {
  return /^\p{Lu}/u.test(text) && /[.?!]$/.test(text) && !LEFTOVER_MARKUP.test(text) && !DICTIONARY_PLACEHOLDER.test(text);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Writes `<outDir>/ding-sentences.tsv` (en<TAB>de per line) and `<outDir>/LICENSE.md`. */
export function buildEnDe(options: { source: string; outDir: string; debianPackage?: string }): DingExtraction {
  const extraction = extractDingSentences(readFileSync(options.source, 'utf8'));
  mkdirSync(options.outDir, { recursive: true });
  const tsv = extraction.pairs.map((p) => `${p.en}\t${p.de}\n`).join('');
  writeFileSync(join(options.outDir, ENDE_TSV_NAME), tsv);
  writeFileSync(join(options.outDir, 'LICENSE.md'), licenseText(extraction, options.debianPackage ?? 'trans-de-en 1.9-6 (Debian 12 "bookworm")'));
  return extraction;
}

function licenseText(extraction: DingExtraction, debianPackage: string): string {
  return `# data/ende: English–German sentence pairs from the Ding dictionary

\`${ENDE_TSV_NAME}\`: ${extraction.pairs.length} sentence pairs, one per line, \`English<TAB>German\`, UTF-8,
sorted by the English side.

## Licence

GNU General Public License, version 2 or (at your option) any later version (GPL-2.0-or-later),
as the dictionary it was extracted from. This licence covers \`${ENDE_TSV_NAME}\` only; the rest of
fastweights keeps its own licence. On Debian systems the GPL-2 text is in
\`/usr/share/common-licenses/GPL-2\`.

## Source

- Ding German–English dictionary, © Frank Richter <frank.richter@hrz.tu-chemnitz.de> 1995–2023,
  https://dict.tu-chemnitz.de/ (upstream version: ${extraction.upstreamVersion ?? 'not stated'}).
- Taken from the Debian package ${debianPackage}, file \`usr/share/trans/de-en\`.

## What was extracted

The aligned alternatives (\` | \`) of each \`German :: English\` entry, first synonym only, with the
dictionary's markup removed ({…} grammar tags, […] usage labels, <…> keywords, trailing (…)
annotations; the parentheses around optional words), kept when both sides are a plain sentence
that starts with a capital letter, ends in . ? or ! and has no slash alternatives or placeholders;
exact duplicates dropped.
${extraction.candidates} aligned alternatives were examined. The rules are documented in
\`src/tasks/mt/ende-build.ts\`.

## Rebuilding

\`\`\`
cd /tmp && apt-get download trans-de-en && dpkg -x trans-de-en_*.deb /tmp/ding
npm run build
node dist/src/tasks/mt/ende-build.js --source /tmp/ding/usr/share/trans/de-en --out data/ende
\`\`\`
`;
}

function parseArgs(argv: string[]): { source: string; outDir: string; debianPackage?: string } {
  const usage = 'usage: node dist/src/tasks/mt/ende-build.js --source <Ding de-en file> --out <directory> [--debian-package "trans-de-en 1.9-6"]';
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    if (!['--source', '--out', '--debian-package'].includes(flag) || value === undefined) throw new Error(`unexpected argument "${flag}"\n${usage}`);
    values.set(flag, value);
  }
  const source = values.get('--source');
  const outDir = values.get('--out');
  if (source === undefined || outDir === undefined) throw new Error(usage);
  return { source: resolve(source), outDir: resolve(outDir), debianPackage: values.get('--debian-package') };
}

const runDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (runDirectly) {
  try {
    const options = parseArgs(process.argv.slice(2));
    const result = buildEnDe(options);
    console.log(`${result.pairs.length} sentence pairs (from ${result.candidates} aligned alternatives) written to ${join(options.outDir, ENDE_TSV_NAME)}`);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  }
}
