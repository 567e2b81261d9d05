/** Ops that layers are built from: layerNorm, embedding lookup, dropout, where / maskedFill. */
import { record } from '../autograd/graph.js';
import { Tensor } from '../tensor/tensor.js';
import { broadcastShapes, shapeToString, sizeOf } from '../tensor/shape.js';
import type { Rng } from '../tensor/rng.js';
import { broadcastIndex, reduceToShape } from './broadcast.js';
import { assertSameDType, assertTensor, like } from './util.js';
import { getBackend } from '../../kernels/index.js';

/**
 * Layer normalisation over the last axis: (x − mean) / √(var + eps) · weight + bias.
 * x [..., D]; weight, bias [D] (either may be null).
 */
export function layerNorm(x: Tensor, weight: Tensor | null, bias: Tensor | null, eps = 1e-5): Tensor {
  assertTensor(x, 'layerNorm');
  if (x.rank < 1) throw new Error('layerNorm: input must have at least one axis');
  const D = x.shape[x.rank - 1]!;
  for (const [name, p] of [['weight', weight], ['bias', bias]] as const) {
    if (p !== null && (p.rank !== 1 || p.shape[0] !== D)) {
      throw new Error(`layerNorm: ${name} must have shape [${D}] for input ${shapeToString(x.shape)}, got ${shapeToString(p.shape)}`);
    }
    if (p !== null) assertSameDType('layerNorm', x, p);
  }
  const rows = x.size / D;
  // Absent weight and bias act as ones and zeros.
  const w = weight ? weight.data : like(x, D).fill(1);
  const b = bias ? bias.data : like(x, D);
  const kernels = getBackend();
  const { out, xhat, rstd } = kernels.layerNormRows(x.data, w, b, rows, D, eps);
  const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  return record('layerNorm', inputs, new Tensor(out, x.shape), (g) => {
    // With h = x̂ and d = g ⊙ weight:  dx = rstd · (d − mean(d) − h · mean(d ⊙ h))  (kernels/elementwise/reference.ts).
    const { dx, dWeight, dBias } = kernels.layerNormRowsBackward(g, xhat, rstd, w, rows, D);
    return [dx, ...(weight ? [dWeight] : []), ...(bias ? [dBias] : [])];
  });
}

/**
 * Gathers rows of `table` [V, D] at integer `ids` (any shape) → [...idsShape, D].
 * The backward scatter-adds into the rows that were read, except row `paddingId` when given (as
 * PyTorch's nn.Embedding with padding_idx: that row never learns).
 */
export function embedding(table: Tensor, ids: ArrayLike<number>, idsShape: readonly number[] = [ids.length], paddingId: number | null = null): Tensor {
  assertTensor(table, 'embedding', 'table');
  if (table.rank !== 2) throw new Error(`embedding: table must be [vocab, dim], got ${shapeToString(table.shape)}`);
  if (sizeOf(idsShape) !== ids.length) throw new Error(`embedding: ${ids.length} ids do not fill shape ${shapeToString(idsShape)}`);
  const [V, D] = table.shape as [number, number];
  const out = like(table, ids.length * D);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (!Number.isInteger(id) || id < 0 || id >= V) throw new Error(`embedding: id ${id} at position ${i} is outside the vocabulary [0, ${V})`);
    out.set(table.data.subarray(id * D, (id + 1) * D), i * D);
  }
  return record('embedding', [table], new Tensor(out, [...idsShape, D]), (g) => {
    const gt = like(table);
    for (let i = 0; i < ids.length; i++) {
      if (ids[i] === paddingId) continue;
      const row = ids[i]! * D;
      for (let j = 0; j < D; j++) gt[row + j]! += g[i * D + j]!;
    }
    return [gt];
  });
}

/**
 * Inverted dropout: zeroes each element with probability p and scales the rest by 1/(1 − p),
 * drawing from `rng`. The identity when `training` is false or p = 0.
 */
export function dropout(x: Tensor, p: number, rng: Rng, training: boolean): Tensor {
  assertTensor(x, 'dropout');
  if (!(p >= 0 && p < 1)) throw new Error(`dropout: p must be in [0, 1), got ${p}`);
  if (!training || p === 0) return x;
  // The kept elements' factor in the input's precision (for float32, the float32 nearest 1/(1 − p)).
  const scale = x.dtype === 'float32' ? Math.fround(1 / (1 - p)) : 1 / (1 - p);
  // An element is dropped when its 32 random bits fall below p · 2³² (Rng.fillKeepMask's draws: four
  // generators seeded from rng, element i on generator i mod 4).
  const kernels = getBackend();
  const { out, mask } = kernels.dropout(x.data, p, scale, rng.stateWords);
  return record('dropout', [x], new Tensor(out, x.shape), (g) => [kernels.binary('mul', g, g.length, mask, mask.length, g.length)]);
}

/** Elementwise choice: a where condition is non-zero, else b (all three broadcast together). */
export function where(condition: Tensor, a: Tensor, b: Tensor): Tensor {
  assertTensor(condition, 'where', 'condition');
  assertTensor(a, 'where', 'a');
  assertTensor(b, 'where', 'b');
  assertSameDType('where', a, b);
  const shape = broadcastShapes(broadcastShapes(condition.shape, a.shape, 'where'), b.shape, 'where');
  const n = sizeOf(shape);
  const ic = broadcastIndex(condition.shape, shape);
  const ia = broadcastIndex(a.shape, shape);
  const ib = broadcastIndex(b.shape, shape);
  const pick = new Uint8Array(n);
  const out = like(a, n);
  for (let i = 0; i < n; i++) {
    pick[i] = condition.data[ic ? ic[i]! : i] !== 0 ? 1 : 0;
    out[i] = pick[i] ? a.data[ia ? ia[i]! : i]! : b.data[ib ? ib[i]! : i]!;
  }
  return record('where', [condition, a, b], new Tensor(out, shape), (g) => {
    const ga = like(g);
    const gb = like(g);
    for (let i = 0; i < n; i++) (pick[i] ? ga : gb)[i] = g[i]!;
    return [null, reduceToShape(ga, shape, a.shape), reduceToShape(gb, shape, b.shape)];
  });
}

/** x with `value` wherever mask is non-zero (mask broadcasts to x). The gradient is 0 there. */
export function maskedFill(x: Tensor, mask: Tensor, value: number): Tensor {
  assertTensor(x, 'maskedFill');
  assertTensor(mask, 'maskedFill', 'mask');
  const shape = broadcastShapes(x.shape, mask.shape, 'maskedFill');
  if (shape.length !== x.rank || shape.some((d, i) => d !== x.shape[i])) {
    throw new Error(`maskedFill: mask ${shapeToString(mask.shape)} must broadcast to the input ${shapeToString(x.shape)}`);
  }
  const filler = like(x, 1);
  filler[0] = value;
  return where(mask, new Tensor(filler, []), x);
}
