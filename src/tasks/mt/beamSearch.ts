/**
 * Decoding a translation model: batched greedy search and batched beam search with a length
 * penalty. The decoder runs one token at a time on its per-layer state (fast weights for the FWP
 * models, the key/value cache for softmax), so each step costs the same whatever the length so far
 * for FWPs.
 *
 * Conventions shared by both searches:
 *  - a source is a list of token ids without specials; <eos> is appended as in training;
 *  - <pad> and <bos> are never generated;
 *  - a hypothesis has at most `maxLength` tokens counting its <eos>; one that reaches the limit
 *    without <eos> ends there (truncated). The limit per source is
 *    min(maxLength, maxLengthRatio · source length + 10).
 *  - a hypothesis's length counts its <eos>; its score is log P / lp(length) with the GNMT length
 *    penalty lp(n) = ((5 + n) / 6)^α (α = 0: plain log-probability).
 */
import { inference } from '../../nn/module.js';
import { BOS_ID, EOS_ID, PAD_ID } from '../../data/bpe.js';
import { collateSources } from './batches.js';
import type { EncodedSource, TranslationModel } from './model.js';
import type { AttentionState } from '../../nn/attention/types.js';
import { Tensor, allocate } from '../../tensor/tensor.js';

export interface DecodeOptions {
  /** Largest output length, <eos> included (default 128). */
  maxLength?: number;
  /** The per-source limit also stays within ratio · source length + 10 (default 2). */
  maxLengthRatio?: number;
}

export interface BeamSearchOptions extends DecodeOptions {
  beamSize: number;
  /** α of the length penalty (default 0.6). */
  lengthPenalty?: number;
}

export interface Hypothesis {
  /** Output ids without <bos> and <eos>. */
  tokens: number[];
  /** Sum of the token log-probabilities, <eos> included when generated. */
  logProb: number;
  /** logProb / lp(length). */
  score: number;
  /** False when the hypothesis hit the length limit without <eos>. */
  finished: boolean;
}

/** GNMT length penalty ((5 + n) / 6)^α. */
export function lengthPenalty(length: number, alpha: number): number {
  return Math.pow((5 + length) / 6, alpha);
}

/** The output-length limit for a source of n tokens. */
export function maxLengthFor(sourceLength: number, options: DecodeOptions = {}): number {
  const cap = options.maxLength ?? 128;
  const ratio = options.maxLengthRatio ?? 2;
  if (!(Number.isInteger(cap) && cap >= 1)) throw new Error(`decode: maxLength must be a positive integer, got ${cap}`);
  if (!(ratio > 0)) throw new Error(`decode: maxLengthRatio must be positive, got ${ratio}`);
  return Math.max(1, Math.min(cap, Math.floor(ratio * sourceLength) + 10));
}

/** Rows `rows` of t along axis 0, copied (off the graph): reorders or repeats batch entries. */
export function gatherRows(t: Tensor, rows: readonly number[]): Tensor {
  const rowSize = t.size / t.shape[0]!;
  const out = allocate(t.dtype, rows.length * rowSize);
  rows.forEach((r, i) => {
    if (!(Number.isInteger(r) && r >= 0 && r < t.shape[0]!)) throw new Error(`gatherRows: row ${r} is outside [0, ${t.shape[0]})`);
    out.set(t.data.subarray(r * rowSize, (r + 1) * rowSize), i * rowSize);
  });
  return new Tensor(out, [rows.length, ...t.shape.slice(1)]);
}

/** Per-layer decoder states with their batch entries reordered (fast weights, z, or caches). */
export function gatherStates(states: readonly AttentionState[], rows: readonly number[]): AttentionState[] {
  return states.map((s) =>
    s.kind === 'fast-weights'
      ? { kind: 'fast-weights', W: gatherRows(s.W, rows), ...(s.z ? { z: gatherRows(s.z, rows) } : {}) }
      : { kind: 'kv-cache', keys: gatherRows(s.keys, rows), values: gatherRows(s.values, rows) },
  );
}

function gatherEncoded(encoded: EncodedSource, rows: readonly number[]): EncodedSource {
  return { memory: gatherRows(encoded.memory, rows), mask: gatherRows(encoded.mask, rows) };
}

/** log-softmax of one row of logits, with <pad> and <bos> set to −∞ (never generated). */
function logProbabilities(logits: ArrayLike<number>, offset: number, V: number): Float64Array {
  for (let v = 0; v < V; v++) {
    const x = logits[offset + v]!;
    if (!Number.isFinite(x)) {
      throw new Error(`decoding: the model produced a non-finite logit (${x} for token ${v}); the weights or the input hold NaN/Infinity (FASTWEIGHTS_DEBUG_CHECKS=1 names the op)`);
    }
  }
  const out = new Float64Array(V);
  let max = -Infinity;
  for (let v = 0; v < V; v++) if (v !== PAD_ID && v !== BOS_ID) max = Math.max(max, logits[offset + v]!);
  let sum = 0;
  for (let v = 0; v < V; v++) if (v !== PAD_ID && v !== BOS_ID) sum += Math.exp(logits[offset + v]! - max);
  const logZ = max + Math.log(sum);
  for (let v = 0; v < V; v++) out[v] = v === PAD_ID || v === BOS_ID ? -Infinity : logits[offset + v]! - logZ;
  return out;
}

/** One decoder step for R rows: feeds `previous` (one id per row) at position `position`. */
function step(model: TranslationModel, previous: number[], encoded: EncodedSource, states: AttentionState[] | undefined, position: number) {
  const R = previous.length;
  const r = model.decode(Int32Array.from(previous), R, 1, encoded, { ...(states ? { states } : {}), positionOffset: position });
  return { logits: r.logits.data, states: r.states, V: model.config.vocabSize };
}

/** The most likely next token at every step, for all sources at once. Returns the output ids. */
export function greedyDecode(model: TranslationModel, sources: readonly (readonly number[])[], options: DecodeOptions = {}): number[][] {
  if (sources.length === 0) return [];
  const limits = sources.map((s) => maxLengthFor(s.length, options));
  return inference(model, () => {
    const { B, S, source } = collateSources(sources);
    let encoded = model.encode(source, B, S);
    const outputs: number[][] = sources.map(() => []);
    let active = sources.map((_, i) => i); // source index of each row
    let previous = active.map(() => BOS_ID);
    let states: AttentionState[] | undefined;
    for (let position = 0; active.length > 0; position++) {
      const r = step(model, previous, encoded, states, position);
      const keep: number[] = []; // rows that continue
      active.forEach((src, row) => {
        const logp = logProbabilities(r.logits, row * r.V, r.V);
        let best = 0;
        for (let v = 1; v < r.V; v++) if (logp[v]! > logp[best]!) best = v;
        if (best === EOS_ID) return;
        outputs[src]!.push(best);
        if (outputs[src]!.length < limits[src]!) keep.push(row);
      });
      states = keep.length === active.length ? r.states : gatherStates(r.states, keep);
      if (keep.length !== active.length) encoded = gatherEncoded(encoded, keep);
      previous = keep.map((row) => outputs[active[row]!]!.at(-1)!);
      active = keep.map((row) => active[row]!);
    }
    return outputs;
  });
}

interface Beam {
  tokens: number[];
  logProb: number;
}

/**
 * Beam search for every source at once; returns each source's hypotheses, best first.
 *
 * Each step extends every live beam by every token and ranks the extensions of a source by
 * log-probability. Walking down that ranking, an extension ending in <eos> within the top
 * `beamSize` becomes a finished hypothesis, and the first `beamSize` other extensions become the
 * next live beams. A source is done once it has `beamSize` finished hypotheses (or at its length
 * limit, where its live beams end as truncated hypotheses). With beamSize 1 this is exactly greedy
 * search; with a beam wider than the number of possible sequences it is exhaustive search.
 */
export function beamSearch(model: TranslationModel, sources: readonly (readonly number[])[], options: BeamSearchOptions): Hypothesis[][] {
  const K = options.beamSize;
  const alpha = options.lengthPenalty ?? 0.6;
  if (!(Number.isInteger(K) && K >= 1)) throw new Error(`beamSearch: beamSize must be a positive integer, got ${K}`);
  if (!(alpha >= 0 && Number.isFinite(alpha))) throw new Error(`beamSearch: lengthPenalty must be a finite number ≥ 0, got ${alpha}`);
  if (sources.length === 0) return [];
  const limits = sources.map((s) => maxLengthFor(s.length, options));
  const hypothesis = (tokens: number[], logProb: number, finished: boolean): Hypothesis => ({
    tokens,
    logProb,
    finished,
    score: logProb / lengthPenalty(tokens.length + (finished ? 1 : 0), alpha),
  });

  return inference(model, () => {
    const { B, S, source } = collateSources(sources);
    const encodedOnce = model.encode(source, B, S);
    const finished: Hypothesis[][] = sources.map(() => []);
    // Live beams per source; a source with none left is done.
    let live: Beam[][] = sources.map(() => [{ tokens: [], logProb: 0 }]);
    let rowSource = sources.map((_, i) => i); // which source each decoder row belongs to
    let encoded = encodedOnce;
    let states: AttentionState[] | undefined;
    for (let position = 0; rowSource.length > 0; position++) {
      const previous = live.flatMap((beams) => beams.map((b) => b.tokens.at(-1) ?? BOS_ID));
      const r = step(model, previous, encoded, states, position);
      const parents: number[] = []; // for each new row, the row it continues
      const nextLive: Beam[][] = sources.map(() => []);
      let row = 0;
      live.forEach((beams, src) => {
        if (beams.length === 0) return;
        // Every row contributes at most K + 1 useful extensions (K live ones and one <eos>).
        const candidates: { row: number; token: number; logProb: number }[] = [];
        for (const beam of beams) {
          const logp = logProbabilities(r.logits, row * r.V, r.V);
          for (const token of topIndices(logp, K + 1)) candidates.push({ row, token, logProb: beam.logProb + logp[token]! });
          row++;
        }
        candidates.sort((a, b) => b.logProb - a.logProb || a.row - b.row || a.token - b.token);
        const firstRow = row - beams.length;
        for (let rank = 0; rank < candidates.length && nextLive[src]!.length < K; rank++) {
          const c = candidates[rank]!;
          const tokens = [...beams[c.row - firstRow]!.tokens];
          if (c.token === EOS_ID) {
            if (rank < K) finished[src]!.push(hypothesis(tokens, c.logProb, true));
            continue;
          }
          tokens.push(c.token);
          nextLive[src]!.push({ tokens, logProb: c.logProb });
          parents.push(c.row);
        }
        const atLimit = position + 1 >= limits[src]!;
        if (finished[src]!.length >= K || atLimit) {
          // Done: drop its live beams (at the limit they end as truncated hypotheses).
          if (atLimit) for (const beam of nextLive[src]!) finished[src]!.push(hypothesis(beam.tokens, beam.logProb, false));
          parents.splice(parents.length - nextLive[src]!.length, nextLive[src]!.length);
          nextLive[src] = [];
        }
      });
      live = nextLive;
      rowSource = live.flatMap((beams, src) => beams.map(() => src));
      if (rowSource.length === 0) break;
      states = gatherStates(r.states, parents);
      encoded = gatherEncoded(encodedOnce, rowSource);
    }
    return finished.map((hyps) => [...hyps].sort((a, b) => b.score - a.score));
  });
}

/** Indices of the k largest finite entries, largest first (ties: lower index first). */
function topIndices(values: Float64Array, k: number): number[] {
  const top: number[] = [];
  for (let i = 0; i < values.length; i++) {
    if (values[i] === -Infinity) continue;
    if (top.length === k && values[i]! <= values[top[k - 1]!]!) continue;
    let at = top.length === k ? k - 1 : top.length;
    while (at > 0 && values[top[at - 1]!]! < values[i]!) at--;
    top.splice(at, 0, i);
    if (top.length > k) top.pop();
  }
  return top;
}

export interface TranslateOptions extends DecodeOptions {
  /** 1 (default): greedy search; more: beam search. */
  beamSize?: number;
  lengthPenalty?: number;
  /** Sentences decoded together (default 32); sentences are grouped by length first. */
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Token-id outputs for many sources, in the input order. Sources are sorted by length and decoded
 * in batches (similar lengths waste little work on padding and on rows that finished early).
 */
export function translateIds(model: TranslationModel, sources: readonly (readonly number[])[], options: TranslateOptions = {}): number[][] {
  const beamSize = options.beamSize ?? 1;
  const batchSize = options.batchSize ?? 32;
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new Error(`translate: batchSize must be a positive integer, got ${batchSize}`);
  const order = sources.map((_, i) => i).sort((a, b) => sources[a]!.length - sources[b]!.length || a - b);
  const outputs: number[][] = new Array(sources.length);
  for (let start = 0; start < order.length; start += batchSize) {
    const indices = order.slice(start, start + batchSize);
    const batch = indices.map((i) => sources[i]!);
    const decoded =
      beamSize === 1
        ? greedyDecode(model, batch, options)
        : beamSearch(model, batch, { ...options, beamSize }).map((hyps) => hyps[0]?.tokens ?? []);
    indices.forEach((i, j) => (outputs[i] = decoded[j]!));
    options.onProgress?.(Math.min(start + batchSize, order.length), order.length);
  }
  return outputs;
}
