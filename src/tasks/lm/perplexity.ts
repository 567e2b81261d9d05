/**
 * Perplexity of a language model on a token stream, in the paper's three ways:
 *  - `segments`: independent segments of the training length L, every position scored, the state
 *    reset at each segment (the training condition);
 *  - `sliding`: a window of L tokens slides one token at a time and only its last position is
 *    scored, so every prediction sees L − 1 tokens of context (the paper's evaluation; O(N·L));
 *  - `carry`: consecutive segments with the fast-weight state passed from one to the next
 *    (the paper's Table 4: no truncation of memory). Positions restart at each segment, as in
 *    training. Softmax models have no fixed-size state: carry mode refuses them.
 */
import { withScratch } from '../../../kernels/index.js';
import { inference } from '../../nn/module.js';
import * as ops from '../../ops/index.js';
import type { LanguageModel } from './model.js';
import type { AttentionState } from '../../nn/attention/types.js';
import { sequentialSegments } from './batches.js';

export type PerplexityMode = 'segments' | 'sliding' | 'carry';
export const PERPLEXITY_MODES: readonly PerplexityMode[] = ['segments', 'sliding', 'carry'];

export interface PerplexityOptions {
  mode: PerplexityMode;
  /** Segment (window) length; default the model's training context. */
  context?: number;
  batchSize?: number;
  /** Score at most this many tokens (the start of the stream). */
  maxTokens?: number;
  /**
   * Carry mode only: tokens run through the model first, unscored, laid out as the same B parallel
   * streams, so the scored segments start from the state they leave instead of from empty fast weights.
   */
  warmup?: Int32Array;
  onProgress?: (scored: number, total: number) => void;
}

export interface PerplexityResult {
  perplexity: number;
  /** Mean negative log-likelihood per token, in nats. */
  loss: number;
  tokens: number;
  mode: PerplexityMode;
}

export function evaluatePerplexity(model: LanguageModel, tokens: Int32Array, options: PerplexityOptions): PerplexityResult {
  const L = options.context ?? model.config.context;
  const stream = options.maxTokens !== undefined ? tokens.subarray(0, Math.min(tokens.length, options.maxTokens + 1)) : tokens;
  if (stream.length < L + 1 && options.mode !== 'sliding') throw new Error(`perplexity: ${stream.length} tokens are fewer than one segment of ${L + 1}`);
  // Fewer rows than asked when the tokens cannot fill [batchSize, L]: a short stream is still scored.
  const B = options.mode === 'sliding' ? (options.batchSize ?? 8) : Math.min(options.batchSize ?? 8, Math.floor((stream.length - 1) / L));
  if (options.mode === 'carry' && !model.isFastWeight) throw new Error(`perplexity: carry mode needs a fast weight model; '${model.name}' is softmax attention`);
  if (options.warmup !== undefined && options.mode !== 'carry') throw new Error(`perplexity: a warm-up only applies to carry mode (mode is ${options.mode})`);
  return inference(model, () => {
    let nll = 0;
    let count = 0;
    const add = (logits: Parameters<typeof ops.crossEntropy>[0], targets: ArrayLike<number>) => {
      const n = targets.length;
      nll += ops.crossEntropy(logits, targets, { reduction: 'sum' }).item();
      count += n;
    };
    if (options.mode === 'sliding') {
      // The first window scores all its L positions (each sees every token before it); after that
      // the window ending at token j − 1 scores only its last position, the prediction of token j.
      if (stream.length < 2) throw new Error('perplexity: need at least two tokens');
      const first = Math.min(L, stream.length - 1);
      const head = model.forward(stream.subarray(0, first), 1, first);
      add(ops.reshape(head.logits, [first, model.config.vocabSize]), stream.subarray(1, first + 1));
      const V = model.config.vocabSize;
      const positions = stream.length - 1;
      for (let j = first + 1; j <= positions; j += B) {
        const batch = Math.min(B, positions + 1 - j);
        const inputs = new Int32Array(batch * L);
        const targets = new Int32Array(batch);
        for (let b = 0; b < batch; b++) {
          inputs.set(stream.subarray(j + b - L, j + b), b * L);
          targets[b] = stream[j + b]!;
        }
        withScratch(() => {
          const { logits } = model.forward(inputs, batch, L);
          const flat = ops.reshape(logits, [batch * L, V]);
          const last = ops.concat(Array.from({ length: batch }, (_, b) => ops.slice(flat, 0, b * L + L - 1, b * L + L)), 0);
          add(last, targets);
        });
        options.onProgress?.(j + batch - 1, positions);
      }
    } else {
      let states: AttentionState[] | undefined;
      for (const batch of options.warmup ? sequentialSegments(options.warmup, B, L) : []) {
        states = model.forward(batch.inputs, batch.B, batch.L, { states }).states;
      }
      const total = Math.floor((stream.length - 1) / B / L) * B * L;
      for (const batch of sequentialSegments(stream, B, L)) {
        if (options.mode === 'carry') {
          // The carried states outlive the batch: no scratch memory here.
          const { logits, states: next } = model.forward(batch.inputs, batch.B, batch.L, { states });
          states = next;
          add(logits, batch.targets);
        } else {
          // Each batch's arrays reuse the previous batch's memory (kernels/alloc.ts): only numbers leave.
          withScratch(() => add(model.forward(batch.inputs, batch.B, batch.L).logits, batch.targets));
        }
        options.onProgress?.(count, total);
      }
      if (count === 0) throw new Error(`perplexity: no full [${B}, ${L}] block of tokens to score; lower the batch size`);
    }
    const loss = nll / count;
    return { perplexity: Math.exp(loss), loss, tokens: count, mode: options.mode };
  });
}

/**
 * The perplexity of the unigram model of `train` (token frequencies, add-one smoothed over the
 * vocabulary) on `tokens`: what a language model reaches by learning frequencies alone. A trained
 * model near this figure has learned nothing about context yet.
 */
export function unigramPerplexity(train: ArrayLike<number>, tokens: ArrayLike<number>, vocabSize: number): number {
  if (tokens.length === 0) throw new Error('unigramPerplexity: no tokens to score');
  const counts = new Float64Array(vocabSize).fill(1);
  for (let i = 0; i < train.length; i++) counts[train[i]!]! += 1;
  const total = train.length + vocabSize;
  let nll = 0;
  for (let i = 0; i < tokens.length; i++) nll -= Math.log(counts[tokens[i]!]! / total);
  return Math.exp(nll / tokens.length);
}
