/**
 * Sampling from a language model with temperature and top-k. Fast weight models step one token at
 * a time on their recurrent state: constant memory and time per token. Softmax models keep a
 * key/value cache, trimmed to the training context.
 */
import { inference } from '../nn/module.js';
import type { LanguageModel } from '../models/languageModel.js';
import type { AttentionState } from '../nn/attention/types.js';
import * as ops from '../ops/index.js';
import type { Rng } from '../tensor/rng.js';

export interface GenerateOptions {
  tokens: number;
  /** 0 means greedy. Default 1. */
  temperature?: number;
  /** Sample among the k most likely tokens (0 = all). Default 0. */
  topK?: number;
  rng: Rng;
  /** Stop early at this token id. */
  stopToken?: number;
}

export function generate(model: LanguageModel, prompt: readonly number[], options: GenerateOptions): number[] {
  if (prompt.length === 0) throw new Error('generate: the prompt must contain at least one token');
  const temperature = options.temperature ?? 1;
  const topK = options.topK ?? 0;
  if (!(temperature >= 0)) throw new Error(`generate: temperature must be ≥ 0, got ${temperature}`);
  if (!Number.isInteger(topK) || topK < 0) throw new Error(`generate: topK must be a non-negative integer, got ${topK}`);
  const L = model.config.context;
  return inference(model, () => {
    const out: number[] = [];
    // The prompt runs in segments of L (positions restart per segment, as in training) so that a
    // long prompt costs what training on it would.
    const context = model.isFastWeight ? prompt : prompt.slice(-L);
    let states: AttentionState[] | undefined;
    let position = 0;
    let logits: Float32Array | Float64Array = new Float32Array(0);
    for (let start = 0; start < context.length; start += L) {
      const piece = context.slice(start, start + L);
      const r = model.forward(piece, 1, piece.length, { ...(states ? { states } : {}), positionOffset: 0 });
      states = trimCaches(r.states, L);
      position = piece.length % L;
      const V = model.config.vocabSize;
      logits = r.logits.data.subarray((piece.length - 1) * V, piece.length * V);
    }
    for (let i = 0; i < options.tokens; i++) {
      const next = sample(logits, temperature, topK, options.rng);
      out.push(next);
      if (next === options.stopToken) break;
      const r = model.forward([next], 1, 1, { states: states!, positionOffset: position });
      states = trimCaches(r.states, L);
      position = (position + 1) % L;
      logits = r.logits.data;
    }
    return out;
  });
}

/** Softmax caches keep the last L positions (the model never saw a longer context). */
function trimCaches(states: AttentionState[], L: number): AttentionState[] {
  return states.map((s) => {
    if (s.kind !== 'kv-cache' || s.keys.shape[2]! <= L) return s;
    const n = s.keys.shape[2]!;
    return { kind: 'kv-cache', keys: ops.slice(s.keys, 2, n - L, n), values: ops.slice(s.values, 2, n - L, n) };
  });
}

/** Draws one id from logits with temperature and top-k (temperature 0: the argmax). */
export function sample(logits: ArrayLike<number>, temperature: number, topK: number, rng: Rng): number {
  const V = logits.length;
  let best = 0;
  for (let i = 1; i < V; i++) if (logits[i]! > logits[best]!) best = i;
  if (temperature === 0) return best;
  let candidates = Array.from({ length: V }, (_, i) => i);
  if (topK > 0 && topK < V) candidates = candidates.sort((a, b) => logits[b]! - logits[a]! || a - b).slice(0, topK);
  const weights = candidates.map((i) => Math.exp((logits[i]! - logits[best]!) / temperature));
  const total = weights.reduce((a, b) => a + b, 0);
  let u = rng.uniform() * total;
  for (let j = 0; j < candidates.length; j++) {
    u -= weights[j]!;
    if (u <= 0) return candidates[j]!;
  }
  return candidates[candidates.length - 1]!;
}
