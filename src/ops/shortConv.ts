/**
 * The causal depthwise short convolution of fla's DeltaNet (its ShortConvolution; docs/pretrained.md).
 * Each channel d has its own kernel w[d, 0..W−1]; the output at step t sees steps t−W+1 … t only:
 *   y[b, t, d] = bias[d] + Σ_{j<W} w[d, j] · x̃[b, t + j, d],
 * where x̃ = [cache; x] along time, the cache holding the W − 1 inputs before x (zeros at the start of
 * a text). w[d, W−1] weighs the current step, as PyTorch's Conv1d with padding W − 1 and the last W − 1
 * outputs dropped. Decoding one token is the same op with T = 1 and the cache of the previous tokens.
 *
 * Shapes: x [B, T, D]; weight [D, W]; bias [D]; cache [B, W − 1, D].
 */
import { record } from '../autograd/graph.js';
import { Tensor } from '../tensor/tensor.js';
import { shapeToString } from '../tensor/shape.js';
import { assertSameDType, assertTensor, like, likeUninitialized } from './util.js';

function dims(op: string, x: Tensor, weight: Tensor, cache: Tensor | null): { B: number; T: number; D: number; W: number } {
  assertTensor(x, op, 'x');
  assertTensor(weight, op, 'weight');
  if (x.rank !== 3) throw new Error(`${op}: x must have shape [B, T, D], got ${shapeToString(x.shape)}`);
  const [B, T, D] = x.shape as [number, number, number];
  if (weight.rank !== 2 || weight.shape[0] !== D || weight.shape[1]! < 1) throw new Error(`${op}: weight must have shape [${D}, W] with W ≥ 1 for x ${shapeToString(x.shape)}, got ${shapeToString(weight.shape)}`);
  const W = weight.shape[1]!;
  if (cache !== null) {
    assertTensor(cache, op, 'cache');
    if (cache.rank !== 3 || cache.shape[0] !== B || cache.shape[1] !== W - 1 || cache.shape[2] !== D) {
      throw new Error(`${op}: cache must have shape [${B}, ${W - 1}, ${D}], got ${shapeToString(cache.shape)}`);
    }
  }
  return { B, T, D, W };
}

/** x̃ [B, W − 1 + T, D] = [cache or zeros; x] along time. */
function padded(x: Tensor, cache: Tensor | null, B: number, T: number, D: number, W: number): Float32Array | Float64Array {
  const steps = W - 1 + T;
  const out = like(x, B * steps * D);
  for (let b = 0; b < B; b++) {
    if (cache) out.set(cache.data.subarray(b * (W - 1) * D, (b + 1) * (W - 1) * D), b * steps * D);
    out.set(x.data.subarray(b * T * D, (b + 1) * T * D), (b * steps + W - 1) * D);
  }
  return out;
}

/**
 * The convolution above; gradients reach x, weight, bias and the cache (each when it requires them).
 * x [B, T, D]; weight [D, W]; bias [D] or null; cache [B, W − 1, D] or null (zeros) → [B, T, D].
 */
export function causalConv1d(x: Tensor, weight: Tensor, bias: Tensor | null = null, cache: Tensor | null = null): Tensor {
  const op = 'causalConv1d';
  const { B, T, D, W } = dims(op, x, weight, cache);
  if (bias !== null) {
    assertTensor(bias, op, 'bias');
    if (bias.rank !== 1 || bias.shape[0] !== D) throw new Error(`${op}: bias must have shape [${D}], got ${shapeToString(bias.shape)}`);
  }
  const inputs = [x, weight, ...(bias ? [bias] : []), ...(cache ? [cache] : [])];
  assertSameDType(op, ...inputs);
  const steps = W - 1 + T;
  const xp = padded(x, cache, B, T, D, W);
  const w = weight.data;
  const out = likeUninitialized(x);
  // Loops run over the channels innermost (contiguous in memory); each output still sums bias, then
  // the W products in order of j, in float64 (the sums), so the bits are those of the plain
  // per-channel loop: y = bias + Σ_j w[d, j] x̃[t + j, d].
  const sums = new Float64Array(D);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const o = (b * T + t) * D;
      const first = (b * steps + t) * D; // x̃[b, t] is the oldest step under the kernel
      if (bias) sums.set(bias.data);
      else sums.fill(0);
      for (let j = 0; j < W; j++) {
        const row = first + j * D;
        for (let d = 0; d < D; d++) sums[d]! += w[d * W + j]! * xp[row + d]!;
      }
      for (let d = 0; d < D; d++) out[o + d] = sums[d]!;
    }
  }
  return record(op, inputs, new Tensor(out, x.shape), (g) => {
    const dxp = like(x, B * steps * D);
    const dw = like(weight);
    const db = bias ? like(bias) : null;
    // Every element of dxp, dw and db gathers its terms in the order of (b, t) as in the plain loop
    // over (b, t, d, j): within one step each element gets at most one term, whatever the inner order.
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        const o = (b * T + t) * D;
        const first = (b * steps + t) * D;
        if (db) for (let d = 0; d < D; d++) db[d]! += g[o + d]!;
        for (let j = 0; j < W; j++) {
          const row = first + j * D;
          for (let d = 0; d < D; d++) {
            const gd = g[o + d]!;
            dxp[row + d]! += w[d * W + j]! * gd;
            dw[d * W + j]! += xp[row + d]! * gd;
          }
        }
      }
    }
    const dx = likeUninitialized(x);
    const dcache = cache ? likeUninitialized(cache) : null;
    for (let b = 0; b < B; b++) {
      dx.set(dxp.subarray((b * steps + W - 1) * D, (b + 1) * steps * D), b * T * D);
      if (dcache) dcache.set(dxp.subarray(b * steps * D, (b * steps + W - 1) * D), b * (W - 1) * D);
    }
    return [dx, dw, ...(bias ? [db] : []), ...(cache ? [dcache] : [])];
  });
}

/**
 * The cache after x: the last W − 1 steps of [cache; x], [B, W − 1, D], outside the graph (a decoding
 * state, like the fast weights carried between calls). x [B, T, D]; cache [B, W − 1, D] or null.
 */
export function causalConv1dCache(x: Tensor, cache: Tensor | null, W: number): Tensor {
  const op = 'causalConv1dCache';
  assertTensor(x, op, 'x');
  if (!(Number.isInteger(W) && W >= 1)) throw new Error(`${op}: kernel size must be a positive integer, got ${W}`);
  if (x.rank !== 3) throw new Error(`${op}: x must have shape [B, T, D], got ${shapeToString(x.shape)}`);
  const [B, T, D] = x.shape as [number, number, number];
  if (cache !== null && (cache.rank !== 3 || cache.shape[0] !== B || cache.shape[1] !== W - 1 || cache.shape[2] !== D)) {
    throw new Error(`${op}: cache must have shape [${B}, ${W - 1}, ${D}], got ${shapeToString(cache.shape)}`);
  }
  const steps = W - 1 + T;
  const xp = padded(x, cache, B, T, D, W);
  const out = like(x, B * (W - 1) * D);
  for (let b = 0; b < B; b++) out.set(xp.subarray((b * steps + T) * D, (b + 1) * steps * D), b * (W - 1) * D);
  return new Tensor(out, [B, W - 1, D]);
}
