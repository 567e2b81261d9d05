/**
 * Array passes that the autograd ops run around the products: broadcast arithmetic, the bias
 * gradient's column sums, the copies of a permute, and dropout. Each is one pass over memory; in
 * plain JavaScript they cost 2–6 ns an element here, in WebAssembly SIMD a tenth of that
 * (docs/kernels.md). The float32 arithmetic is the same IEEE operation JavaScript performs on a
 * Float32Array (a sum or product of two floats rounded once), so these give the js backend's bits.
 * Equations: kernels/arrays/reference.ts.
 */
import { at, loadTail, storeSome } from './common';

const ADD = 0, SUB = 1, MUL = 2, DIV = 3;

/**
 * out[j] = x[j & xMask] op y[j & yMask] for j in [0, n): a mask of −1 walks an operand, 0 stays on
 * its first four floats (a scalar, splatted there). Each op has its own branch-free loop over
 * whole vectors: one loop with the op, the scalar cases and the tail tested inside ran 4× slower
 * (0.85 against 0.2 ns an element); the last n mod 4 elements go one at a time (the same IEEE
 * operation per element).
 */
// @ts-ignore: decorator
@inline
function combineRun(op: i32, x: usize, xMask: i32, y: usize, yMask: i32, out: usize, n: i32): void {
  const full = n & ~3;
  if (op == ADD) for (let j = 0; j < full; j += 4) v128.store(at(out, j), f32x4.add(v128.load(at(x, j & xMask)), v128.load(at(y, j & yMask))));
  else if (op == SUB) for (let j = 0; j < full; j += 4) v128.store(at(out, j), f32x4.sub(v128.load(at(x, j & xMask)), v128.load(at(y, j & yMask))));
  else if (op == MUL) for (let j = 0; j < full; j += 4) v128.store(at(out, j), f32x4.mul(v128.load(at(x, j & xMask)), v128.load(at(y, j & yMask))));
  else for (let j = 0; j < full; j += 4) v128.store(at(out, j), f32x4.div(v128.load(at(x, j & xMask)), v128.load(at(y, j & yMask))));
  for (let j = full; j < n; j++) {
    const u = load<f32>(at(x, j & xMask)), v = load<f32>(at(y, j & yMask));
    store<f32>(at(out, j), op == ADD ? u + v : op == SUB ? u - v : op == MUL ? u * v : u / v);
  }
}

/**
 * out[i] = a[i mod aPeriod] op b[i mod bPeriod], i in [lo, hi); op 0 add, 1 sub, 2 mul, 3 div.
 * The loop walks runs over which neither operand wraps; a period-1 operand (a scalar) is splatted
 * into `scratch` (8 floats) and never wraps.
 */
export function binaryF32(op: i32, a: usize, aPeriod: i32, b: usize, bPeriod: i32, out: usize, lo: i32, hi: i32, scratch: usize): void {
  const aScalar = aPeriod == 1, bScalar = bPeriod == 1;
  if (aScalar) v128.store(scratch, v128.load32_splat(a));
  if (bScalar) v128.store(scratch, v128.load32_splat(b), 16);
  const aMask = aScalar ? 0 : -1, bMask = bScalar ? 0 : -1;
  let ja = lo % aPeriod, jb = lo % bPeriod;
  let i = lo;
  while (i < hi) {
    let run = hi - i;
    if (!aScalar) run = min(run, aPeriod - ja);
    if (!bScalar) run = min(run, bPeriod - jb);
    combineRun(op, aScalar ? scratch : at(a, ja), aMask, bScalar ? scratch + 16 : at(b, jb), bMask, at(out, i), run);
    i += run;
    ja += run;
    jb += run;
    if (ja >= aPeriod) ja = 0;
    if (jb >= bPeriod) jb = 0;
  }
}

/**
 * out[c] = Σ_r x[r · cols + c] for columns c in [lo, hi), the rows added in order (each column's
 * sum is the same sequence of float32 additions as the plain loop's, whatever the split).
 */
export function sumRowsF32(x: usize, rows: i32, cols: i32, out: usize, lo: i32, hi: i32, _scratch: usize): void {
  let c = lo;
  for (; c + 4 <= hi; c += 4) {
    let s = f32x4.splat(0);
    for (let r = 0; r < rows; r++) s = f32x4.add(s, v128.load(at(x, r * cols + c)));
    v128.store(at(out, c), s);
  }
  for (; c < hi; c++) {
    let s: f32 = 0;
    for (let r = 0; r < rows; r++) s += load<f32>(at(x, r * cols + c));
    store<f32>(at(out, c), s);
  }
}

/** Copies `run` floats from src to dst (whole vectors first). */
// @ts-ignore: decorator
@inline
function copyRun(dst: usize, src: usize, run: i32): void {
  let j = 0;
  for (; j + 4 <= run; j += 4) v128.store(at(dst, j), v128.load(at(src, j)));
  for (; j < run; j++) store<f32>(at(dst, j), load<f32>(at(src, j)));
}

/** out[r · run + j] = x[index[r] · run + j] for runs r in [lo, hi) (index: i32s). */
export function gatherRunsF32(x: usize, index: usize, run: i32, out: usize, lo: i32, hi: i32, _scratch: usize): void {
  for (let r = lo; r < hi; r++) copyRun(at(out, r * run), at(x, load<i32>(index + (<usize>r << 2)) * run), run);
}

/** out[index[r] · run + j] = x[r · run + j] for runs r in [lo, hi): the inverse of gatherRunsF32. */
export function scatterRunsF32(x: usize, index: usize, run: i32, out: usize, lo: i32, hi: i32, _scratch: usize): void {
  for (let r = lo; r < hi; r++) copyRun(at(out, load<i32>(index + (<usize>r << 2)) * run), at(x, r * run), run);
}

/**
 * Inverted dropout of x[0, n) on four xoshiro128** generators, one per vector lane: mask[i] = 0 when
 * draw i >> 2 of lane i & 3 falls below the threshold, else `scale`; out[i] = x[i] · mask[i]. `lanes`
 * holds the 16 state words, word w of lane j at lanes[4w + j] (kernels/arrays/reference.ts,
 * dropoutLanes and fillKeepMask: the same draws and decisions). `below` is the threshold minus 2³¹
 * as an int32, so draw < threshold unsigned ⇔ draw <u (below ^ 2³¹). One thread.
 */
export function dropoutF32(x: usize, out: usize, mask: usize, n: i32, below: i32, scale: f32, lanes: usize): void {
  let s0 = v128.load(lanes), s1 = v128.load(lanes, 16), s2 = v128.load(lanes, 32), s3 = v128.load(lanes, 48);
  const threshold = i32x4.splat(below ^ i32.MIN_VALUE), keep = f32x4.splat(scale);
  for (let i = 0; i < n; i += 4) {
    // draw = rotl(s1 · 5, 7) · 9, the multiplications as shifts and adds.
    const r = i32x4.add(i32x4.shl(s1, 2), s1);
    const rotated = v128.or(i32x4.shl(r, 7), i32x4.shr_u(r, 25));
    const draw = i32x4.add(i32x4.shl(rotated, 3), rotated);
    const m = v128.andnot(keep, i32x4.lt_u(draw, threshold));
    storeSome(mask, i, n, m);
    storeSome(out, i, n, f32x4.mul(loadTail(x, i, n), m));
    const t = i32x4.shl(s1, 9);
    s2 = v128.xor(s2, s0);
    s3 = v128.xor(s3, s1);
    s1 = v128.xor(s1, s2);
    s0 = v128.xor(s0, s3);
    s2 = v128.xor(s2, t);
    s3 = v128.or(i32x4.shl(s3, 11), i32x4.shr_u(s3, 21));
  }
}

/** gx[i] = g[i] where x[i] > 0, else g[i] · out[i] (ELU + 1's derivative is its output below 0), i in [lo, hi). */
export function eluPlusOneBackwardF32(x: usize, out: usize, g: usize, gx: usize, lo: i32, hi: i32, _scratch: usize): void {
  for (let i = lo; i < hi; i += 4) {
    const gv = loadTail(g, i, hi);
    storeSome(gx, i, hi, v128.bitselect(gv, f32x4.mul(gv, loadTail(out, i, hi)), f32x4.gt(loadTail(x, i, hi), f32x4.splat(0))));
  }
}

/**
 * Rows [lo, hi) of x [rows, D] divided by their sums: s = eps + Σ_j x_j in float64, in order;
 * out = x / s rounded to float32, sums[r] = s rounded (the plain loop's arithmetic, the same bits).
 */
export function sumNormaliseRowsF32(x: usize, D: i32, eps: f64, out: usize, sums: usize, lo: i32, hi: i32, _scratch: usize): void {
  for (let r = lo; r < hi; r++) {
    const row = at(x, r * D), o = at(out, r * D);
    let s = eps;
    for (let j = 0; j < D; j++) s += <f64>load<f32>(at(row, j));
    store<f32>(at(sums, r), <f32>s);
    for (let j = 0; j < D; j++) store<f32>(at(o, j), <f32>(<f64>load<f32>(at(row, j)) / s));
  }
}

/** The backward of sumNormaliseRowsF32: gx = (g − Σ_j g_j out_j) / sums[r], in float64 like the plain loop. */
export function sumNormaliseRowsBackwardF32(g: usize, out: usize, sums: usize, D: i32, gx: usize, lo: i32, hi: i32, _scratch: usize): void {
  for (let r = lo; r < hi; r++) {
    const gr = at(g, r * D), o = at(out, r * D), d = at(gx, r * D);
    let dot: f64 = 0;
    for (let j = 0; j < D; j++) dot += <f64>load<f32>(at(gr, j)) * <f64>load<f32>(at(o, j));
    const s = <f64>load<f32>(at(sums, r));
    for (let j = 0; j < D; j++) store<f32>(at(d, j), <f32>((<f64>load<f32>(at(gr, j)) - dot) / s));
  }
}
