/**
 * Sampling from a language model with temperature and top-k. Fast weight models step one token at
 * a time on their recurrent state: constant memory and time per token. Softmax models keep a
 * key/value cache, trimmed to the training context.
 */
import { inference } from '../../nn/module.js';
import type { LanguageModel } from './model.js';
import type { AttentionState } from '../../nn/attention/types.js';
import * as ops from '../../ops/index.js';
import type { Rng } from '../../tensor/rng.js';
import type { FloatArray } from '../../tensor/tensor.js';

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

/** The first words of the corpus's valid text: a prompt in the corpus's own language and style. */
export function samplePrompt(text: string, words = 5): string {
  const start = text.trim().split(/\s+/).slice(0, words).join(' ');
  return start === '' ? 'The' : start;
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
    let logits: FloatArray = new Float32Array(0);
    for (let start = 0; start < context.length; start += L) {
      const piece = context.slice(start, start + L);
      const r = model.forward(piece, 1, piece.length, { states });
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
  if (V === 0) throw new Error('sample: no logits to sample from');
  assertFiniteLogits(logits, 'sample');
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

/**
 * Refuses logits holding NaN or ±Infinity: a distribution built from them is meaningless (NaN
 * compares false with everything, so an argmax or a cumulative draw would return an arbitrary id).
 */
export function assertFiniteLogits(logits: ArrayLike<number>, where: string): void {
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i]!;
    if (!Number.isFinite(v)) {
      throw new Error(`${where}: the model produced a non-finite logit (${v} for token ${i}); the weights or the input hold NaN/Infinity (FASTWEIGHTS_DEBUG_CHECKS=1 names the op)`);
    }
  }
}

/**
 * UTF-8 bytes as text, whole characters only: a model generates bytes, and may stop in the middle
 * of a multi-byte character or emit a byte sequence that is no character at all; those bytes are
 * dropped instead of becoming U+FFFD.
 */
export function decodeWholeCharacters(bytes: Uint8Array): string {
  const kept: number[] = [];
  let i = 0;
  while (i < bytes.length) {
    const length = utf8SequenceLength(bytes, i);
    if (length === 0) {
      i++;
      continue;
    }
    for (let j = 0; j < length; j++) kept.push(bytes[i + j]!);
    i += length;
  }
  return new TextDecoder('utf-8').decode(Uint8Array.from(kept));
}

/** The length of the valid UTF-8 character starting at bytes[i], or 0 if none starts there. */
function utf8SequenceLength(bytes: Uint8Array, i: number): number {
  const b0 = bytes[i]!;
  if (b0 < 0x80) return 1;
  const length = b0 >= 0xc2 && b0 <= 0xdf ? 2 : b0 >= 0xe0 && b0 <= 0xef ? 3 : b0 >= 0xf0 && b0 <= 0xf4 ? 4 : 0;
  if (length === 0 || i + length > bytes.length) return 0;
  for (let j = 1; j < length; j++) if ((bytes[i + j]! & 0xc0) !== 0x80) return 0;
  // Overlong forms, surrogates and code points past U+10FFFF (the second byte's allowed range).
  const b1 = bytes[i + 1]!;
  if (b0 === 0xe0 && b1 < 0xa0) return 0;
  if (b0 === 0xed && b1 > 0x9f) return 0;
  if (b0 === 0xf0 && b1 < 0x90) return 0;
  if (b0 === 0xf4 && b1 > 0x8f) return 0;
  return length;
}

/** The text of generated ids, whole characters only (see decodeWholeCharacters). */
export function generatedText(tokenizer: { tokenBytes(id: number): Uint8Array }, ids: readonly number[]): string {
  const parts = ids.map((id) => tokenizer.tokenBytes(id));
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    bytes.set(p, offset);
    offset += p.length;
  }
  return decodeWholeCharacters(bytes);
}
