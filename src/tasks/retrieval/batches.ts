/**
 * The synthetic associative retrieval task of the paper's §6.1 and Appendix D, as seeded batches.
 *
 * There are S keys and S values, both plain ids in [0, S). A sequence shows L (key, value) pairs,
 * then one query key that appeared in it; the answer is the value bound to that key.
 *
 *   setting 1: L = S pairs with every key once (a random permutation) and a random bijection of
 *              values, so nothing is ever overwritten; the query is one of the S keys.
 *   setting 2: L = 2S pairs drawn with replacement (keys and values alike), so a key may come back
 *              with a new value; the answer is the most recent value of the queried key. The query
 *              is drawn uniformly among the distinct keys that occur (not among positions, which
 *              would favour keys that happen to repeat).
 *
 * Pure: the batch depends only on the generator state, so the same seed gives the same batches.
 */
import { Tensor, zeros, type DType } from '../../tensor/tensor.js';
import type { Rng } from '../../tensor/rng.js';

export type RetrievalSetting = 1 | 2;

export interface RetrievalBatch {
  setting: RetrievalSetting;
  /** Number of keys (= number of values). */
  S: number;
  /** Sequence length: S in setting 1, 2S in setting 2. */
  L: number;
  /** Batch size B. */
  batch: number;
  /** Key ids, [B, L] row-major. */
  keys: Int32Array;
  /** Value ids, [B, L] row-major. */
  values: Int32Array;
  /** Query key ids, [B]. */
  query: Int32Array;
  /** The value id to retrieve, [B]. */
  answer: Int32Array;
}

export function sequenceLength(setting: RetrievalSetting, S: number): number {
  return setting === 1 ? S : 2 * S;
}

/** One batch of B sequences over S keys, drawn from `rng` (which advances). */
export function retrievalBatch(setting: RetrievalSetting, S: number, batch: number, rng: Rng): RetrievalBatch {
  if (setting !== 1 && setting !== 2) throw new Error(`retrievalBatch: setting must be 1 or 2, got ${String(setting)}`);
  if (!Number.isInteger(S) || S < 1) throw new Error(`retrievalBatch: S must be a positive integer, got ${S}`);
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`retrievalBatch: batch must be a positive integer, got ${batch}`);
  const L = sequenceLength(setting, S);
  const keys = new Int32Array(batch * L);
  const values = new Int32Array(batch * L);
  const query = new Int32Array(batch);
  const answer = new Int32Array(batch);
  for (let b = 0; b < batch; b++) {
    const row = b * L;
    if (setting === 1) {
      const keyOrder = rng.shuffle(Array.from({ length: S }, (_, i) => i));
      const valueOf = rng.shuffle(Array.from({ length: S }, (_, i) => i));
      for (let t = 0; t < L; t++) {
        keys[row + t] = keyOrder[t]!;
        values[row + t] = valueOf[keyOrder[t]!]!;
      }
      const asked = keyOrder[rng.int(S)]!;
      query[b] = asked;
      answer[b] = valueOf[asked]!;
    } else {
      // latest[k] = the value most recently bound to key k in this sequence, or −1 if k is absent.
      const latest = new Int32Array(S).fill(-1);
      for (let t = 0; t < L; t++) {
        const k = rng.int(S);
        const v = rng.int(S);
        keys[row + t] = k;
        values[row + t] = v;
        latest[k] = v;
      }
      const present: number[] = [];
      for (let k = 0; k < S; k++) if (latest[k]! >= 0) present.push(k);
      const asked = present[rng.int(present.length)]!;
      query[b] = asked;
      answer[b] = latest[asked]!;
    }
  }
  return { setting, S, L, batch, keys, values, query, answer };
}

/** The answers as one-hot rows, [B, S]: the regression targets v*. */
export function oneHotTargets(batch: RetrievalBatch, dtype: DType = 'float32'): Tensor {
  const target = zeros([batch.batch, batch.S], { dtype });
  for (let b = 0; b < batch.batch; b++) target.data[b * batch.S + batch.answer[b]!] = 1;
  return target;
}
