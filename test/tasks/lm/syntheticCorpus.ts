/** A small synthetic corpus for the LM tests: sentences of 6 words from a fixed vocabulary, blank-line separated documents. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../../src/index.js';

const WORDS = ['the', 'union', 'is', 'strong', 'and', 'we', 'shall', 'govern', 'people', 'nation', 'of', 'free'];

/** Writes the corpus to a fresh temporary folder and returns the file's path. */
export function syntheticCorpusFile(options: { seed: number; documents: number; sentencesPerDocument: number }): string {
  const dir = mkdtempSync(join(tmpdir(), 'fw-lm-'));
  const rng = new Rng(options.seed);
  const docs: string[] = [];
  for (let d = 0; d < options.documents; d++) {
    const sentences: string[] = [];
    for (let s = 0; s < options.sentencesPerDocument; s++) sentences.push(Array.from({ length: 6 }, () => WORDS[rng.int(WORDS.length)]).join(' ') + '.');
    docs.push(sentences.join(' '));
  }
  const path = join(dir, 'corpus.txt');
  writeFileSync(path, docs.join('\n\n'));
  return path;
}
