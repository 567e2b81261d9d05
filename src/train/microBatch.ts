/**
 * A training batch cut into micro-batches by rows, and the fast weights carried by its rows. The
 * data-parallel step (./dataParallel.ts) runs micro-batches on different threads and sums their
 * gradients, so each micro-batch's loss is its share of the whole batch's mean: the sum of its token
 * losses divided by the token count of the whole batch (each task's replica computes it,
 * ./replica.ts). The shares add up to the batch's mean loss, and their gradients add up to its gradient.
 * Carry-over training (`lm train --carry`) also cuts the fast weights each row starts from, and
 * returns each micro-batch's final ones, so every row keeps its own memory whichever thread runs it.
 * Browser-safe (no Node imports): the worker and the main thread both use it.
 */
import { Tensor } from '../tensor/tensor.js';
import type { AttentionState } from '../nn/attention/types.js';

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

/** Rows [r0, r1) of a [B, width] array. */
export function takeRows(a: ArrayLike<number>, width: number, r0: number, r1: number): Int32Array {
  return Int32Array.from({ length: (r1 - r0) * width }, (_, i) => a[r0 * width + i]!);
}

/**
 * The rows [r0, r1) of each of `parts` micro-batches of a batch of B rows: consecutive rows, as
 * equal as the rows allow, never an empty part (so fewer parts when B < parts). Depends only on B and `parts`.
 */
export function rowBounds(B: number, parts: number): [number, number][] {
  const count = Math.max(1, Math.min(parts, B));
  const bounds = Array.from({ length: count + 1 }, (_, p) => Math.round((B * p) / count));
  return bounds.slice(0, -1).map((r0, p) => [r0, bounds[p + 1]!]);
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
