/**
 * English–German pairs for the translation experiments and their fixed train / valid / test split.
 * Two corpora ship with the package (each with its licence beside it and a rebuild script):
 *  - `ding`: 18 k sentence pairs from the Ding dictionary, mostly idioms and proverbs
 *    (data/ende, GPL-2+, built by ende-build.ts);
 *  - `libreoffice`: 34 k paragraph and heading pairs from the LibreOffice help
 *    (data/libreoffice, MPL-2.0, built by libreoffice-build.ts).
 * A user's own `English<TAB>German` file works too; a checkpoint records it by name and SHA-256,
 * never by absolute path, so it can move between machines and still refuse the wrong file.
 */
import { existsSync, statSync } from 'node:fs';
import { checkTextFileSize, readTextFile, sha256File } from '../../data/textFile.js';
import { basename, join, resolve } from 'node:path';
import { packageRoot } from '../../io/packageRoot.js';

export interface EnDePair {
  en: string;
  de: string;
}

export interface EnDeSplit {
  train: EnDePair[];
  valid: EnDePair[];
  test: EnDePair[];
}

export { packageRoot } from '../../io/packageRoot.js';

/** The corpora shipped in data/, by the name `mt train --corpus` takes. */
export const MT_CORPORA = {
  ding: ['ende', 'ding-sentences.tsv'],
  libreoffice: ['libreoffice', 'help-en-de.tsv'],
} as const;
export type MtCorpusName = keyof typeof MT_CORPORA;
export const MT_CORPUS_NAMES = Object.keys(MT_CORPORA) as MtCorpusName[];

export function defaultEnDePath(): string {
  return shippedCorpusPath('ding');
}

export function shippedCorpusPath(name: MtCorpusName): string {
  return join(packageRoot(), 'data', ...MT_CORPORA[name]);
}

/**
 * A corpus as a checkpoint records it: a shipped corpus by its name (`libreoffice`), a user's file
 * as `file:<base name>:sha256:<hex>`.
 */
export interface MtCorpus {
  id: string;
  path: string;
}

/** `--corpus ding|libreoffice|FILE`: a shipped corpus's name, or the path of an `English<TAB>German` file. */
export function resolveMtCorpus(spec: string): MtCorpus {
  if (spec in MT_CORPORA) return { id: spec, path: shippedCorpusPath(spec as MtCorpusName) };
  const path = resolve(spec);
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new Error(`--corpus: "${spec}" is neither a shipped corpus (${MT_CORPUS_NAMES.join(', ')}) nor a readable file`);
  }
  checkTextFileSize(path, 'English–German pairs file'); // before hashing it whole
  return { id: `file:${basename(path)}:sha256:${sha256File(path)}`, path };
}

/**
 * The pairs file of a checkpoint's corpus id. A shipped corpus needs nothing; a user's file must be
 * given again (`--corpus FILE`), and its content must be the one the model was trained on.
 */
export function corpusForCheckpoint(id: string, given?: string): MtCorpus {
  if (id in MT_CORPORA) {
    if (given !== undefined && given !== id) throw new Error(`this model was trained on the shipped corpus "${id}"; leave out --corpus or give --corpus ${id}`);
    return { id, path: shippedCorpusPath(id as MtCorpusName) };
  }
  const file = /^file:(.*):sha256:([0-9a-f]{64})$/.exec(id);
  if (file === null) throw new Error(`unknown corpus "${id}" in the checkpoint (expected ${MT_CORPUS_NAMES.join(', ')} or file:NAME:sha256:HEX)`);
  if (given === undefined) throw new Error(`this model was trained on your file ${file[1]} (SHA-256 ${file[2]!.slice(0, 12)}…); give its path with --corpus FILE`);
  const corpus = resolveMtCorpus(given);
  if (corpus.id !== id) throw new Error(`--corpus ${given} is not the file this model was trained on (${file[1]}, SHA-256 ${file[2]!.slice(0, 12)}…)`);
  return corpus;
}

/** Reads and checks a `English<TAB>German` file (default: the shipped one). */
export function loadEnDePairs(path: string = defaultEnDePath()): EnDePair[] {
  if (!existsSync(path)) throw new Error(`English–German pairs file not found: ${path}`);
  const text = readTextFile(path, 'English–German pairs file');
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((line, i) => {
    const fields = line.split('\t');
    const [en, de] = fields;
    if (fields.length !== 2 || !en?.trim() || !de?.trim()) {
      throw new Error(`${path}:${i + 1}: expected "English<TAB>German" with both sides non-empty, got ${JSON.stringify(line.slice(0, 80))}`);
    }
    return { en, de };
  });
}

/** Out of HASH_BUCKETS buckets of the English side's hash, these go to valid and test. */
const HASH_BUCKETS = 10_000;
const VALID_BUCKETS_END = 270; // buckets [0, 270): valid, about 2.7 % (≈ 500 of the shipped pairs)
const TEST_BUCKETS_END = 810; // buckets [270, 810): test, about 5.4 % (≈ 1000)

/**
 * Fixed split: a pair goes to valid or test by the FNV-1a hash of its English side's UTF-8 bytes
 * (bucket = hash mod 10 000: below 270 valid, 270–809 test, the rest train). A pair's part never
 * depends on the other pairs, so the split stays put if the file grows, and pairs sharing an
 * English sentence always land in the same part. Order within each part follows the input.
 */
export function splitEnDe(pairs: EnDePair[]): EnDeSplit {
  const split: EnDeSplit = { train: [], valid: [], test: [] };
  for (const pair of pairs) {
    const bucket = fnv1a(pair.en) % HASH_BUCKETS;
    if (bucket < VALID_BUCKETS_END) split.valid.push(pair);
    else if (bucket < TEST_BUCKETS_END) split.test.push(pair);
    else split.train.push(pair);
  }
  return split;
}

/** 32-bit FNV-1a over the UTF-8 bytes of `text`, as an unsigned integer. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
