/**
 * A model's BLEU on a split beside what no model at all would score: the lookup baseline
 * (lookupBaseline.ts) on the same pairs, and both on the novel subset (novelSubset.ts). The matches
 * come from lookupCache.ts (computed once per split and kept). Node-only (files).
 */
import { corpusBleu } from './bleu.js';
import { loadEnDePairs, splitEnDe, type EnDePair } from './ende.js';
import { lookupTranslations } from './lookupBaseline.js';
import { cachedLookupMatches } from './lookupCache.js';
import { NOVEL_SIMILARITY_BELOW, novelIndices, subsetBleu } from './novelSubset.js';
import { trainingCorpus, type MtTrainingConfig } from './training.js';

export interface SplitBaselines {
  /** Pairs scored (the first `pairs` of the split). */
  pairs: number;
  modelBleu: number;
  lookupBleu: number;
  novel: { pairs: number; modelBleu: number | null; lookupBleu: number | null };
}

/**
 * The model's BLEU and the baselines on the first `hypotheses.length` pairs of a split (`splitPairs`
 * is the whole split, whose matches are what the cache holds).
 */
export function splitBaselines(train: readonly EnDePair[], splitPairs: readonly EnDePair[], hypotheses: readonly string[], cacheDir?: string): SplitBaselines {
  if (hypotheses.length > splitPairs.length) throw new Error(`splitBaselines: ${hypotheses.length} hypotheses for a split of ${splitPairs.length} pairs`);
  const pairs = splitPairs.slice(0, hypotheses.length);
  const matches = cachedLookupMatches(train, splitPairs.map((p) => p.en), cacheDir).slice(0, pairs.length);
  const lookup = lookupTranslations(train, matches);
  const references = pairs.map((p) => p.de);
  const novel = novelIndices(matches);
  return {
    pairs: pairs.length,
    modelBleu: corpusBleu([...hypotheses], references).score,
    lookupBleu: corpusBleu(lookup, references).score,
    novel: { pairs: novel.length, modelBleu: subsetBleu(hypotheses, pairs, novel), lookupBleu: subsetBleu(lookup, pairs, novel) },
  };
}

/** Two lines for people: the lookup baseline on the same pairs, and the novel subset. */
export function formatSplitBaselines(b: SplitBaselines, split: string): string[] {
  const bleu = (x: number | null) => (x === null ? '–' : x.toFixed(2));
  return [
    `lookup baseline (German side of the most similar training English): BLEU ${bleu(b.lookupBleu)} on the same ${b.pairs} ${split} pairs`,
    `novel subset: ${b.novel.pairs} of ${b.pairs} pairs (nearest training English below ${NOVEL_SIMILARITY_BELOW} similarity): model BLEU ${bleu(b.novel.modelBleu)}, lookup baseline ${bleu(b.novel.lookupBleu)}`,
  ];
}

/**
 * For `mt compare`: a row for its table with the lookup baseline's BLEU on the same test pairs, and
 * a line with the novel subset's size and the baseline's BLEU on it.
 */
export function lookupBaselineRow(training: Pick<MtTrainingConfig, 'corpus' | 'trainPairs'>, corpusFile: string | undefined, testLimit: number | undefined): string {
  const split = splitEnDe(loadEnDePairs(trainingCorpus(training, corpusFile).path));
  const train = split.train.slice(0, training.trainPairs);
  const test = split.test.slice(0, testLimit);
  const b = splitBaselines(train, split.test, lookupTranslations(train, cachedLookupMatches(train, split.test.map((p) => p.en)).slice(0, test.length)));
  const novel = b.novel.lookupBleu === null ? 'no novel pair' : `novel subset: ${b.novel.pairs} of ${b.pairs} test pairs, lookup baseline BLEU ${b.novel.lookupBleu.toFixed(2)} there (mt eval --checkpoint DIR gives a model's)`;
  return `| lookup baseline (no model) | – | 0 | – | – | – | – | ${b.lookupBleu.toFixed(2)} |\n\n${novel}\n`;
}

/** A warning when the model scores below the lookup baseline on the same pairs (it has not shown that it translates); else null. */
export function belowLookupWarning(b: SplitBaselines, split: string): string | null {
  if (b.modelBleu >= b.lookupBleu) return null;
  return `warning: BLEU ${b.modelBleu.toFixed(2)} is below the lookup baseline's ${b.lookupBleu.toFixed(2)} on the same ${b.pairs} ${split} pairs: copying the German of the most similar training sentence does better than this model; train longer (--minutes, --steps)`;
}
