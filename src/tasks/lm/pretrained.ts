/**
 * Generation with a pretrained fla DeltaNet (src/nn/fla/, docs/pretrained.md) in constant memory: the
 * prompt runs in chunks of at most `chunk` tokens (the full-sequence form, each chunk carrying the
 * state on), then one token at a time. Between tokens the model keeps only its fast weights and
 * convolution caches, whatever the length of the text: no cache grows. Evaluation reads a text the
 * same way, a segment at a time with the state carried on.
 */
import { inference } from '../../nn/module.js';
import * as ops from '../../ops/index.js';
import { DeltaNetDecoder, decoderUnsupportedReason, type DeltaNetForCausalLM, type DeltaNetLayerState } from '../../nn/fla/index.js';
import type { HfTokenizer, StreamDecoder } from '../../data/hfTokenizer/index.js';
import type { Rng } from '../../tensor/rng.js';
import { assertFiniteLogits, sample } from './generate.js';

export interface PretrainedGenerateOptions {
  /** How many tokens to generate at most. */
  tokens: number;
  /** 0: greedy. Default 1. */
  temperature?: number;
  /** Sample among the k most likely tokens (0: all). Default 0. */
  topK?: number;
  /** Sample among the most likely tokens whose probabilities add up to p (1: all). Default 1. */
  topP?: number;
  rng: Rng;
  /** Stop after generating any of these (e.g. the config's eos_token_id). */
  stopTokens?: readonly number[];
  /** Prompt tokens per forward pass (default 128): bounds the prefill's memory (docs/pretrained.md). */
  chunk?: number;
  /**
   * Decode with DeltaNetDecoder when the model's matrices are kept compact (default true); false: the
   * model's forward pass for every token (the reference it is tested against).
   */
  decoder?: boolean;
}

/** Yields the generated ids one at a time, as soon as each is drawn. */
export function* generatePretrained(model: DeltaNetForCausalLM, prompt: readonly number[], options: PretrainedGenerateOptions): Generator<number> {
  if (prompt.length === 0) throw new Error('generate: the prompt must contain at least one token');
  const vocab = model.config.vocabSize;
  prompt.forEach((id, i) => {
    if (!Number.isInteger(id) || id < 0 || id >= vocab) throw new Error(`generate: prompt token ${i} is ${id}, outside the vocabulary [0, ${vocab})`);
  });
  const temperature = options.temperature ?? 1;
  const topK = options.topK ?? 0;
  const topP = options.topP ?? 1;
  const chunk = options.chunk ?? 128;
  if (!(temperature >= 0)) throw new Error(`generate: temperature must be ≥ 0, got ${temperature}`);
  if (!Number.isInteger(topK) || topK < 0) throw new Error(`generate: topK must be a non-negative integer, got ${topK}`);
  if (!(topP > 0 && topP <= 1)) throw new Error(`generate: topP must be in (0, 1], got ${topP}`);
  if (!Number.isInteger(chunk) || chunk < 1) throw new Error(`generate: chunk must be a positive integer, got ${chunk}`);
  const stop = new Set(options.stopTokens ?? []);

  let states: DeltaNetLayerState[] | undefined;
  let logits: Float32Array | Float64Array = new Float32Array(0);
  const step = (ids: readonly number[]) =>
    inference(model, () => {
      // Only the latest states are kept: each step writes the next over them (no garbage per token).
      const r = model.forward(ids, 1, ids.length, { lastOnly: true, overwriteStates: true, ...(states ? { states } : {}) });
      states = r.states;
      logits = r.logits.data;
    });
  for (let start = 0; start < prompt.length; start += chunk) step(prompt.slice(start, start + chunk));
  // One token at a time: the lean decoder where the model's matrices are kept compact (the same
  // bits as the forward pass, without its per-token Tensors), else the forward pass.
  const useDecoder = options.decoder !== false && options.tokens > 1 && decoderUnsupportedReason(model) === null;
  const decoder = useDecoder ? new DeltaNetDecoder(model, states!) : null;
  if (decoder !== null) states = undefined; // the decoder holds its own copy; the prompt's can go
  for (let i = 0; i < options.tokens; i++) {
    const next = sampleTopP(logits, temperature, topK, topP, options.rng);
    yield next;
    if (stop.has(next)) return;
    if (i + 1 < options.tokens) {
      if (decoder !== null) logits = decoder.step(next);
      else step([next]);
    }
  }
}

/**
 * A stream decoder for the tokens that follow `promptIds`: the prompt goes through it unprinted, so
 * that the first new token is decoded after it (a Metaspace decoder drops the leading space of a
 * text's first token, which mid-text is a real space).
 */
export function continuationDecoder(tokenizer: HfTokenizer, promptIds: readonly number[]): StreamDecoder {
  const stream = tokenizer.createStreamDecoder();
  for (const id of promptIds) stream.push(id);
  return stream;
}

/**
 * One id from logits with temperature, top-k and then top-p (nucleus): among the candidates sorted by
 * probability, the fewest whose probabilities reach p. With p = 1 this is `sample` exactly.
 */
export function sampleTopP(logits: ArrayLike<number>, temperature: number, topK: number, topP: number, rng: Rng): number {
  if (topP >= 1 || temperature === 0) return sample(logits, temperature, topK, rng);
  assertFiniteLogits(logits, 'sample');
  const V = logits.length;
  let candidates = Array.from({ length: V }, (_, i) => i).sort((a, b) => logits[b]! - logits[a]! || a - b);
  if (topK > 0 && topK < V) candidates = candidates.slice(0, topK);
  const top = logits[candidates[0]!]!;
  const weights = candidates.map((i) => Math.exp((logits[i]! - top) / temperature));
  const total = weights.reduce((a, b) => a + b, 0);
  let kept = 0;
  for (let mass = 0; kept < candidates.length && mass < topP * total; kept++) mass += weights[kept]!;
  const keptTotal = weights.slice(0, kept).reduce((a, b) => a + b, 0);
  let u = rng.uniform() * keptTotal;
  for (let j = 0; j < kept; j++) {
    u -= weights[j]!;
    if (u <= 0) return candidates[j]!;
  }
  return candidates[kept - 1]!;
}

export interface PretrainedEvaluation {
  /** Mean cross-entropy in nats per predicted token. */
  loss: number;
  perplexity: number;
  /** Tokens predicted (all but the first). */
  tokens: number;
}

/**
 * Perplexity of a model on a text of ids: every token after the first predicted from all before it,
 * read in segments of `segment` tokens (default 512) with the state carried across segments, so the
 * memory stays that of one segment however long the text.
 */
export function evaluatePretrained(model: DeltaNetForCausalLM, ids: readonly number[], options: { segment?: number } = {}): PretrainedEvaluation {
  const segment = options.segment ?? 512;
  if (!Number.isInteger(segment) || segment < 1) throw new Error(`evaluate: segment must be a positive integer, got ${segment}`);
  if (ids.length < 2) throw new Error(`evaluate: a text of ${ids.length} token(s) has nothing to predict`);
  let states: DeltaNetLayerState[] | undefined;
  let total = 0;
  inference(model, () => {
    // Segment [start, end) predicts ids[start + 1 … end]; the last id is only ever a target.
    for (let start = 0; start < ids.length - 1; start += segment) {
      const end = Math.min(start + segment, ids.length - 1);
      const r = model.forward(ids.slice(start, end), 1, end - start, { overwriteStates: true, ...(states ? { states } : {}) });
      states = r.states;
      total += ops.crossEntropy(r.logits, ids.slice(start + 1, end + 1), { reduction: 'sum' }).data[0]!;
    }
  });
  const tokens = ids.length - 1;
  return { loss: total / tokens, perplexity: Math.exp(total / tokens), tokens };
}
