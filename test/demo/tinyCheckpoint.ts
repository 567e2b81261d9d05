/**
 * A tiny language-model checkpoint written by the trainer behind `fastweights lm train`
 * (trainLanguageModel), on a synthetic corpus: a few steps of a 1-layer Delta Network, in a
 * temporary directory. For the tests of the demo's checkpoint reader and of the demo page.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../src/index.js';
import { prepareLmData, trainLanguageModel } from '../../src/tasks/lm/training.js';

export const TINY_PROMPT = 'the union is';

/** Trains and saves the checkpoint; returns its directory. */
export async function makeTinyLmCheckpoint(): Promise<string> {
  const work = mkdtempSync(join(tmpdir(), 'fw-tiny-lm-'));
  const corpus = join(work, 'corpus.txt');
  const rng = new Rng(4);
  const words = ['the', 'union', 'is', 'strong', 'and', 'we', 'shall', 'govern', 'people', 'nation'];
  const sentence = () => Array.from({ length: 6 }, () => words[rng.int(words.length)]).join(' ') + '.';
  writeFileSync(corpus, Array.from({ length: 30 }, () => Array.from({ length: 40 }, sentence).join(' ')).join('\n\n'));
  const dir = join(work, 'checkpoint');
  const training = { corpus, vocabSize: 300, batchSize: 2, lr: 3e-3, warmupSteps: 2, weightDecay: 0.01, clip: 1, steps: 4, evalEvery: 4, evalTokens: 64, saveEvery: 4, seed: 7 };
  const model = { attention: 'delta', dModel: 8, layers: 1, heads: 2, context: 8, dropout: 0, positions: true, seed: 2 };
  await trainLanguageModel({ out: dir, model, training, data: prepareLmData(corpus, 300) });
  return dir;
}
