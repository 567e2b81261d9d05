/**
 * English–German sentence pairs for the translation experiments: the shipped file
 * data/ende/ding-sentences.tsv (GPL-2+, from the Ding dictionary; see data/ende/LICENSE.md and
 * ende-build.ts for how it was made), and its fixed train / valid / test split.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
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

export function defaultEnDePath(): string {
  return join(packageRoot(), 'data', 'ende', 'ding-sentences.tsv');
}

/** Reads and checks a `English<TAB>German` file (default: the shipped one). */
export function loadEnDePairs(path: string = defaultEnDePath()): EnDePair[] {
  if (!existsSync(path)) throw new Error(`English–German pairs file not found: ${path}`);
  const text = readFileSync(path, 'utf8');
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
