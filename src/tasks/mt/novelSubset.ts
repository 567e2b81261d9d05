/**
 * The novel subset of a test or valid split: the pairs whose English has no near-twin among the
 * training pairs, so that a model cannot score on them by recalling a training sentence.
 *
 * Rule: a pair is novel when the most similar training English (lookupBaseline.ts: Jaccard index of
 * lower-cased words and adjacent word pairs) has similarity below NOVEL_SIMILARITY_BELOW = 0.4.
 * A sentence whose lower-cased words equal a training sentence's has similarity 1, so a novel
 * pair's normalised English is never in train.
 *
 * Why 0.4: on the LibreOffice help split the lookup baseline's BLEU by similarity of the nearest
 * training sentence is (test; valid alike) 0.2 below 0.1, 4 in [0.1, 0.2), 10 in [0.2, 0.3),
 * 20 in [0.3, 0.4), then 30 in [0.4, 0.5), 42 in [0.5, 0.6) and 55–79 above: from 0.4 up the
 * nearest training pair already is much of the answer. Below 0.4 lie 1065 of the 1821 test
 * pairs (lookup BLEU 9.8) and 502 of the 917 valid pairs (lookup BLEU 9.8).
 * Browser-safe: no Node imports.
 */
import { corpusBleu } from './bleu.js';
import type { EnDePair } from './ende.js';
import type { LookupMatch } from './lookupBaseline.js';

export const NOVEL_SIMILARITY_BELOW = 0.4;

/** Whether a pair with this nearest training sentence is novel (the rule above). */
export function isNovel(match: LookupMatch): boolean {
  return match.similarity < NOVEL_SIMILARITY_BELOW;
}

/** The positions of the novel pairs, in order. */
export function novelIndices(matches: readonly LookupMatch[]): number[] {
  const indices: number[] = [];
  matches.forEach((m, i) => {
    if (isNovel(m)) indices.push(i);
  });
  return indices;
}

/** Corpus BLEU of the hypotheses at `indices` against their references; null for an empty subset. */
export function subsetBleu(hypotheses: readonly string[], pairs: readonly EnDePair[], indices: readonly number[]): number | null {
  if (indices.length === 0) return null;
  return corpusBleu(indices.map((i) => hypotheses[i]!), indices.map((i) => pairs[i]!.de)).score;
}
