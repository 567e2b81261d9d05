/**
 * tokenizer.json files on disk (Node only): reading one as an HfTokenizer, and writing this
 * project's BPE tokenizer as one. The parsing itself is in hfTokenizer/ and runs in browsers too.
 */
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../io/atomic.js';
import type { BpeTokenizer } from './bpe.js';
import { bpeToHfTokenizerJson } from './hfTokenizer/export.js';
import { HfTokenizerError, parseHfTokenizer, type HfTokenizer } from './hfTokenizer/index.js';

/** Reads a tokenizer.json; errors name the file. */
export function loadHfTokenizer(path: string): HfTokenizer {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new HfTokenizerError(`${path}: cannot read the tokenizer file (${code === 'ENOENT' ? 'no such file' : (error as Error).message})`);
  }
  return parseHfTokenizer(text, path);
}

/** Writes `tokenizer` as a Hugging Face tokenizer.json (see hfTokenizer/export.ts). */
export function writeHfTokenizer(path: string, tokenizer: BpeTokenizer): void {
  writeFileAtomic(path, `${JSON.stringify(bpeToHfTokenizerJson(tokenizer), null, 2)}\n`);
}
