/**
 * The array passes around the products, as plain loops: broadcast arithmetic, column sums (a bias's
 * gradient), the copies of a permute, and dropout. Results are computed in the arrays' own precision,
 * one rounding per operation, as the ops always did; for float64 that is the reference itself, and
 * the fast backends reproduce the float32 bits exactly (kernels/wasm/assembly/arrays.ts). The js
 * backend runs these loops too.
 *   binary:     out[i] = a[i mod aPeriod] ∘ b[i mod bPeriod],  ∘ ∈ {+, −, ×, ÷}, i < n
 *   sumRows:    out[c] = Σ_r x[r · cols + c], rows added in order
 *   gatherRuns: out[r · run + j] = x[index[r] · run + j];  scatterRuns: the inverse
 *   dropout:    mask[i] = 0 if the i-th xoshiro128** draw u_i < p · 2³², else scale;  out = x ⊙ mask
 */
import type { BinaryOp, FloatArray } from '../types.js';
import { allocLike, allocateUninitialized } from '../alloc.js';

export function binaryReference(op: BinaryOp, a: FloatArray, aPeriod: number, b: FloatArray, bPeriod: number, n: number): FloatArray {
  const out = allocateUninitialized(a instanceof Float64Array ? 'float64' : 'float32', n);
  if (aPeriod === n && bPeriod === n) {
    // Same lengths (the residual stream, gradient sums): plain loops, about 1.4× faster than cycling indices.
    if (op === 'add') for (let i = 0; i < n; i++) out[i] = a[i]! + b[i]!;
    else if (op === 'sub') for (let i = 0; i < n; i++) out[i] = a[i]! - b[i]!;
    else if (op === 'mul') for (let i = 0; i < n; i++) out[i] = a[i]! * b[i]!;
    else for (let i = 0; i < n; i++) out[i] = a[i]! / b[i]!;
    return out;
  }
  // The op is chosen outside the loops so that each loop is monomorphic.
  let ja = 0, jb = 0;
  if (op === 'add') for (let i = 0; i < n; i++) { out[i] = a[ja]! + b[jb]!; if (++ja === aPeriod) ja = 0; if (++jb === bPeriod) jb = 0; }
  else if (op === 'sub') for (let i = 0; i < n; i++) { out[i] = a[ja]! - b[jb]!; if (++ja === aPeriod) ja = 0; if (++jb === bPeriod) jb = 0; }
  else if (op === 'mul') for (let i = 0; i < n; i++) { out[i] = a[ja]! * b[jb]!; if (++ja === aPeriod) ja = 0; if (++jb === bPeriod) jb = 0; }
  else for (let i = 0; i < n; i++) { out[i] = a[ja]! / b[jb]!; if (++ja === aPeriod) ja = 0; if (++jb === bPeriod) jb = 0; }
  return out;
}

export function sumRowsReference(x: FloatArray, rows: number, cols: number): FloatArray {
  const out = allocLike(x, cols);
  for (let r = 0, i = 0; r < rows; r++) for (let c = 0; c < cols; c++, i++) out[c]! += x[i]!;
  return out;
}

export function gatherRunsReference(x: FloatArray, index: Int32Array, run: number): FloatArray {
  const out = allocateUninitialized(x instanceof Float64Array ? 'float64' : 'float32', index.length * run);
  for (let r = 0; r < index.length; r++) {
    const from = index[r]! * run, to = r * run;
    for (let j = 0; j < run; j++) out[to + j] = x[from + j]!;
  }
  return out;
}

export function scatterRunsReference(x: FloatArray, index: Int32Array, run: number): FloatArray {
  const out = allocateUninitialized(x instanceof Float64Array ? 'float64' : 'float32', index.length * run);
  for (let r = 0; r < index.length; r++) {
    const from = r * run, to = index[r]! * run;
    for (let j = 0; j < run; j++) out[to + j] = x[from + j]!;
  }
  return out;
}

/**
 * Writes the next draws of the xoshiro128** generator whose four state words are
 * state[base + stride · w] (w = 0…3) into out[start], out[start + step], … (below out.length), and
 * advances the state in place. The state is in locals and the arithmetic int32 (Math.imul, shifts;
 * storing into a Uint32Array wraps back): several times faster per number than Rng.nextUint32
 * (src/tensor/rng.ts owns the generator).
 */
export function fillDraws(state: Int32Array | Uint32Array, base: number, stride: number, out: Int32Array | Uint32Array, start = 0, step = 1): void {
  let s0 = state[base]! | 0, s1 = state[base + stride]! | 0, s2 = state[base + 2 * stride]! | 0, s3 = state[base + 3 * stride]! | 0;
  for (let i = start; i < out.length; i += step) {
    const r = Math.imul(s1, 5);
    out[i] = Math.imul((r << 7) | (r >>> 25), 9);
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
  }
  state[base] = s0;
  state[base + stride] = s1;
  state[base + 2 * stride] = s2;
  state[base + 3 * stride] = s3;
}

/**
 * The four lane generators of one dropout mask, drawn from the xoshiro128** stream whose state words
 * are `state` (advanced in place by 16 draws): draw k is word k >> 2 of lane k & 3, so lanes[4w + j]
 * is word w of lane j, the layout a vector of four lanes loads. A lane whose four words are all zero
 * (a state xoshiro cannot leave) gets 1 as word 0.
 */
export function dropoutLanes(state: Uint32Array): Int32Array {
  const lanes = new Int32Array(16);
  fillDraws(state, 0, 1, lanes);
  for (let j = 0; j < 4; j++) if ((lanes[j]! | lanes[4 + j]! | lanes[8 + j]! | lanes[12 + j]!) === 0) lanes[j] = 1;
  return lanes;
}

/**
 * Dropout's keep mask on four interleaved xoshiro128** generators (dropoutLanes): mask[i] = 0 where
 * draw i >> 2 of lane i & 3 is below p · 2³², else `scale`. Four lanes so that the wasm kernel draws
 * four numbers in one vector step (one stream is a chain of dependent steps: 4 ns an element, against
 * under 1); this loop is the definition it is held to, bit for bit.
 */
export function fillKeepMask(mask: FloatArray, p: number, scale: number, state: Uint32Array): void {
  // u < p·2³² for an integer u ⇔ u − 2³¹ < ⌈p·2³²⌉ − 2³¹: compared as int32 (x ^ −2³¹ = x − 2³¹ mod 2³²).
  const below = keepThreshold(p);
  const lanes = dropoutLanes(state);
  const draws = new Int32Array(mask.length);
  for (let j = 0; j < 4; j++) fillDraws(lanes, j, 4, draws, j, 4);
  for (let i = 0; i < mask.length; i++) mask[i] = (draws[i]! ^ -2147483648) < below ? 0 : scale;
}

/** ⌈p · 2³²⌉ − 2³¹: a draw u is dropped when (u − 2³¹) as an int32 is below this. */
export function keepThreshold(p: number): number {
  return Math.ceil(p * 4294967296) - 2147483648;
}

export function dropoutReference(x: FloatArray, p: number, scale: number, state: Uint32Array): { out: FloatArray; mask: FloatArray } {
  const mask = allocateUninitialized(x instanceof Float64Array ? 'float64' : 'float32', x.length);
  fillKeepMask(mask, p, scale, state);
  const out = allocateUninitialized(x instanceof Float64Array ? 'float64' : 'float32', x.length);
  for (let i = 0; i < out.length; i++) out[i] = x[i]! * mask[i]!;
  return { out, mask };
}
