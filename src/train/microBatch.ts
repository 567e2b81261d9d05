/**
 * A training batch cut into micro-batches by rows, and the loss of one micro-batch. The data-parallel
 * step (./dataParallel.ts) runs micro-batches on different threads and sums their gradients, so each
 * micro-batch's loss is its share of the whole batch's mean: the sum of its token losses divided by
 * the token count of the whole batch. The shares add up to the batch's mean loss, and their
 * gradients add up to its gradient.
 * Carry-over training (`lm train --carry`) also cuts the fast weights each row starts from, and
 * returns each micro-batch's final ones, so every row keeps its own memory whichever thread runs it.
 * Browser-safe (no Node imports): the worker and the main thread both use it.
 */
import { Tensor } from '../tensor/tensor.js';
import type { AttentionState } from '../nn/attention/types.js';
import { crossEntropy } from '../ops/loss.js';
import { mul } from '../ops/arithmetic.js';
import { PAD_ID } from '../data/bpe.js';
import type { TranslationBatch } from '../tasks/mt/batches.js';
import type { LanguageModel } from '../tasks/lm/model.js';
import type { TranslationModel } from '../tasks/mt/model.js';

/**
 * One layer's fast weights for some rows of a batch, as plain arrays (they cross to worker threads
 * and into checkpoints): W [rows, H, dv, dDot] and, for the sum rule with attention normalisation
 * only, z [rows, H, dDot] (else null). Row-major, so each row's memory is one contiguous block.
 */
export interface CarriedLayer {
  W: Float32Array;
  wShape: number[];
  z: Float32Array | null;
  zShape: number[] | null;
}

/** Rows of a language-model batch: ids and next-token targets, both [B, L]. */
export interface LmMicroBatch {
  task: 'lm';
  B: number;
  L: number;
  ids: Int32Array;
  targets: Int32Array;
  /**
   * Carry-over training: the rows continue the streams of the previous step, starting from these
   * fast weights (one entry per layer; null: from zero, a stream's first segment), and the step
   * returns their final fast weights. Absent: every row starts from zero and nothing is returned.
   */
  carry?: { from: CarriedLayer[] | null };
}

/** Rows of a translation batch (source [B, S], decoder input and targets [B, T], PAD_ID pads) and its label smoothing. */
export interface MtMicroBatch extends Pick<TranslationBatch, 'B' | 'S' | 'T' | 'source' | 'decoderInput' | 'targets'> {
  task: 'mt';
  labelSmoothing: number;
}

export type MicroBatch = LmMicroBatch | MtMicroBatch;

/** Rows [r0, r1) of a [B, width] array. */
function rows(a: ArrayLike<number>, width: number, r0: number, r1: number): Int32Array {
  return Int32Array.from({ length: (r1 - r0) * width }, (_, i) => a[r0 * width + i]!);
}

/**
 * Cuts a batch into `parts` micro-batches of consecutive rows (as equal as the rows allow; never an
 * empty one, so fewer parts when B < parts). The cut depends only on B and `parts`.
 */
export function splitRows(batch: MicroBatch, parts: number): MicroBatch[] {
  const count = Math.max(1, Math.min(parts, batch.B));
  const bounds = Array.from({ length: count + 1 }, (_, p) => Math.round((batch.B * p) / count));
  return bounds.slice(0, -1).map((r0, p): MicroBatch => {
    const r1 = bounds[p + 1]!;
    if (batch.task === 'lm') {
      const part: LmMicroBatch = { task: 'lm', B: r1 - r0, L: batch.L, ids: rows(batch.ids, batch.L, r0, r1), targets: rows(batch.targets, batch.L, r0, r1) };
      if (batch.carry) part.carry = { from: batch.carry.from && batch.carry.from.map((layer) => carriedRows(layer, batch.B, r0, r1)) };
      return part;
    }
    return {
      task: 'mt', B: r1 - r0, S: batch.S, T: batch.T, labelSmoothing: batch.labelSmoothing,
      source: rows(batch.source, batch.S, r0, r1), decoderInput: rows(batch.decoderInput, batch.T, r0, r1), targets: rows(batch.targets, batch.T, r0, r1),
    };
  });
}

/** Tokens the loss counts: every target of a language-model batch, the non-padding ones of a translation batch. */
export function countedTokens(batch: MicroBatch): number {
  if (batch.task === 'lm') return batch.B * batch.L;
  let n = 0;
  for (const t of batch.targets) if (t !== PAD_ID) n++;
  return n;
}

/** What one micro-batch's forward gives: its share of the batch loss, and (carry-over training) its rows' final fast weights. */
export interface MicroBatchResult {
  /** Σ its token losses / `batchTokens` (a scalar tensor). */
  loss: Tensor;
  /** One per layer, when the batch carries state. */
  states?: CarriedLayer[];
}

/** The micro-batch's forward: its share of the batch loss, and its final fast weights when it carries state. */
export function microBatchForward(model: LanguageModel | TranslationModel, batch: MicroBatch, batchTokens: number): MicroBatchResult {
  let sum: Tensor;
  let states: CarriedLayer[] | undefined;
  if (batch.task === 'lm') {
    // The carried states are leaves without a graph: gradients stop at the segment boundary.
    const from = batch.carry?.from ? { states: statesFromCarried(batch.carry.from) } : {};
    const out = (model as LanguageModel).forward(batch.ids, batch.B, batch.L, from);
    sum = crossEntropy(out.logits, batch.targets, { reduction: 'sum' });
    if (batch.carry) states = carriedFromStates(out.states);
  } else {
    sum = (model as TranslationModel).targetLoss(batch.source, batch.B, batch.S, batch.decoderInput, batch.T, batch.targets, batch.labelSmoothing);
  }
  const loss = mul(sum, 1 / Math.max(1, batchTokens));
  return states ? { loss, states } : { loss };
}

/**
 * A forward's per-layer states as plain float32 arrays, copied: the copies share no memory with
 * the step's graph (whose buffers backward may reuse) and carry no gradient path.
 */
export function carriedFromStates(states: AttentionState[]): CarriedLayer[] {
  return states.map((state, i) => {
    if (state.kind !== 'fast-weights') throw new Error(`carry-over training: layer ${i} returned a ${state.kind} state; only fast weight layers have a fixed-size state to carry`);
    return {
      W: float32Copy(state.W, i),
      wShape: [...state.W.shape],
      z: state.z ? float32Copy(state.z, i) : null,
      zShape: state.z ? [...state.z.shape] : null,
    };
  });
}

/** Carried arrays as the model's per-layer states: fresh leaf tensors (copies), off any graph. */
export function statesFromCarried(layers: CarriedLayer[]): AttentionState[] {
  return layers.map((layer) => ({
    kind: 'fast-weights',
    W: new Tensor(layer.W.slice(), layer.wShape),
    ...(layer.z && layer.zShape ? { z: new Tensor(layer.z.slice(), layer.zShape) } : {}),
  }));
}

/** Rows [r0, r1) of one layer's carried state for a batch of B rows. */
export function carriedRows(layer: CarriedLayer, B: number, r0: number, r1: number): CarriedLayer {
  if (layer.wShape[0] !== B || (layer.zShape !== null && layer.zShape[0] !== B)) {
    throw new Error(`carry-over training: a state of ${layer.wShape[0]} rows for a batch of ${B}`);
  }
  const cut = (a: Float32Array, shape: number[]) => {
    const width = a.length / B;
    return { data: a.slice(r0 * width, r1 * width), shape: [r1 - r0, ...shape.slice(1)] };
  };
  const W = cut(layer.W, layer.wShape);
  const z = layer.z && layer.zShape ? cut(layer.z, layer.zShape) : null;
  return { W: W.data, wShape: W.shape, z: z ? z.data : null, zShape: z ? z.shape : null };
}

/** The micro-batches' carried states put back together in row order (parts in order, one list of layers each). */
export function concatCarriedRows(parts: CarriedLayer[][]): CarriedLayer[] {
  if (parts.length === 0) throw new Error('concatCarriedRows: no parts');
  const join = (arrays: Float32Array[]) => {
    const out = new Float32Array(arrays.reduce((n, a) => n + a.length, 0));
    let offset = 0;
    for (const a of arrays) {
      out.set(a, offset);
      offset += a.length;
    }
    return out;
  };
  return parts[0]!.map((first, layer) => {
    const rows = parts.reduce((n, p) => n + p[layer]!.wShape[0]!, 0);
    const hasZ = first.z !== null && first.zShape !== null;
    return {
      W: join(parts.map((p) => p[layer]!.W)),
      wShape: [rows, ...first.wShape.slice(1)],
      z: hasZ ? join(parts.map((p) => p[layer]!.z!)) : null,
      zShape: hasZ ? [rows, ...first.zShape!.slice(1)] : null,
    };
  });
}

function float32Copy(t: Tensor, layer: number): Float32Array {
  if (!(t.data instanceof Float32Array)) throw new Error(`carry-over training: layer ${layer}'s state is ${t.dtype}; carried states are float32`);
  return t.data.slice();
}
