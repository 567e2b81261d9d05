/**
 * The lookup (retrieval) baseline of translation: no model at all. For each English sentence it
 * finds the most similar English sentence of the TRAINING pairs and outputs that pair's German side.
 * A model whose BLEU is not above this baseline's has not shown that it translates rather than recalls.
 *
 * Similarity of two English sentences: the Jaccard index |A ∩ B| / |A ∪ B| of their feature sets,
 * where a sentence's features are its distinct lower-cased words and its distinct pairs of adjacent
 * words. Words are maximal runs of letters and digits (\p{L}\p{N}), and every other non-space
 * character is a word of its own, so "Click OK." has the features {click, ok, ., click ok, ok .}.
 * Ties go to the earliest training pair; a sentence that shares no feature with any training
 * sentence gets similarity 0 and an empty output.
 *
 * The search is exact: an inverted index from feature to the training sentences holding it, and
 * for each query the overlap with every training sentence that shares a feature.
 * Browser-safe: no Node imports.
 */
import type { EnDePair } from './ende.js';

/** The training sentence nearest to one query, by the similarity above. */
export interface LookupMatch {
  /** Index into the training pairs; −1 when no training sentence shares a feature. */
  index: number;
  /** Jaccard similarity in [0, 1]. */
  similarity: number;
}

/** The lower-cased words of an English sentence: runs of letters and digits, and single other characters. */
export function englishWords(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu) ?? [];
}

/** A sentence's distinct features: its words and its adjacent word pairs (joined by a space, which no word contains). */
export function englishFeatures(text: string): string[] {
  const words = englishWords(text);
  const features = new Set(words);
  for (let i = 0; i + 1 < words.length; i++) features.add(`${words[i]} ${words[i + 1]}`);
  return [...features];
}

/** Jaccard similarity of two sentences' feature sets (1 for two sentences without features). */
export function englishSimilarity(a: string, b: string): number {
  const fa = new Set(englishFeatures(a));
  const fb = englishFeatures(b);
  const shared = fb.filter((f) => fa.has(f)).length;
  const union = fa.size + fb.length - shared;
  return union === 0 ? 1 : shared / union;
}

/** Finds, for any English sentence, the most similar English side of a fixed list of training pairs. */
export class LookupIndex {
  private readonly featureIds = new Map<string, number>();
  private readonly postings: Int32Array[];
  private readonly featureCounts: Int32Array;
  /** Per training sentence, its overlap with the current query (kept at 0 between queries). */
  private readonly overlap: Int32Array;

  constructor(readonly train: readonly EnDePair[]) {
    const lists: number[][] = [];
    this.featureCounts = new Int32Array(train.length);
    train.forEach((pair, j) => {
      const features = englishFeatures(pair.en);
      this.featureCounts[j] = features.length;
      for (const feature of features) {
        let id = this.featureIds.get(feature);
        if (id === undefined) {
          id = lists.length;
          this.featureIds.set(feature, id);
          lists.push([]);
        }
        lists[id]!.push(j);
      }
    });
    this.postings = lists.map((list) => Int32Array.from(list));
    this.overlap = new Int32Array(train.length);
  }

  /** The nearest training sentence to `english`; `exclude` (a training index) is never chosen. */
  nearest(english: string, exclude = -1): LookupMatch {
    const features = englishFeatures(english);
    const touched: number[] = [];
    for (const feature of features) {
      const id = this.featureIds.get(feature);
      if (id === undefined) continue;
      for (const j of this.postings[id]!) if (this.overlap[j]++ === 0) touched.push(j);
    }
    let best: LookupMatch = { index: -1, similarity: 0 };
    for (const j of touched) {
      const shared = this.overlap[j]!;
      this.overlap[j] = 0;
      if (j === exclude) continue;
      const similarity = shared / (features.length + this.featureCounts[j]! - shared);
      if (similarity > best.similarity || (similarity === best.similarity && j < best.index)) best = { index: j, similarity };
    }
    return best;
  }
}

/**
 * The nearest training sentence of each query sentence. With `leaveOneOut` the queries are the
 * training pairs' own English, and query i never matches training pair i (each finds its nearest
 * OTHER pair, as a test sentence would).
 */
export function lookupMatches(train: readonly EnDePair[], queries: readonly string[], options: { leaveOneOut?: boolean } = {}): LookupMatch[] {
  if (options.leaveOneOut && queries.length !== train.length) throw new Error(`lookupMatches: leave-one-out needs one query per training pair, got ${queries.length} for ${train.length}`);
  const index = new LookupIndex(train);
  return queries.map((q, i) => index.nearest(q, options.leaveOneOut ? i : -1));
}

/** The lookup baseline's outputs for `pairs`: the German sides of the matched training pairs. */
export function lookupTranslations(train: readonly EnDePair[], matches: readonly LookupMatch[]): string[] {
  return matches.map((m) => (m.index < 0 ? '' : train[m.index]!.de));
}
