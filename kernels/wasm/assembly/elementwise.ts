/**
 * Elementwise hot paths in float32 SIMD: exp (the Cephes polynomial, a few ulp), and on it GELU and
 * its derivative, ELU + 1, and row softmax with the rows' log-sum-exp. The equations, in float64,
 * are in kernels/elementwise/reference.ts (and kernels/attention, kernels/crossEntropy for theirs).
 * Each kernel works on items [lo, hi) so threads can split it.
 */
import { at, hsum, loadTail, storeSome } from './common';

const LOG2E: f32 = 1.44269504088896341;
// ln 2 split in two so that n · ln 2 is exact in its first part (Cody–Waite reduction).
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;
// exp(88) < FLT_MAX: a larger input gives exp(88) (about 1.7e38) rather than overflowing the 2^n
// construction; below −87.3 (where e^x is no longer a normal float) the result is exactly 0, so that
// masked entries (−∞) get exactly zero weight.
const EXP_MAX: f32 = 88.0;
const EXP_MIN: f32 = -87.33654;
// 1.5 · 2^23: x + this, in float32, is x rounded to the nearest integer (|x| < 2^22) in the low bits.
const ROUNDING_SHIFT: f32 = 12582912.0;
// ROUNDING_SHIFT − 127: its bits are ROUNDING_SHIFT's less 127, so subtracting them (as integers)
// from x + ROUNDING_SHIFT leaves n + 127, the biased exponent of 2^n.
const ROUNDING_SHIFT_LESS_BIAS: f32 = 12582785.0;
const GELU_C: f32 = 0.7978845608028654; // √(2/π)
const GELU_A: f32 = 0.044715;

// The loops' constants live in the module's static data and are splatted from there (one load each):
// V8 builds a v128 constant afresh at every use, three instructions of which two run on the one
// shuffle port, and that made e^x shuffle-bound at a third of its speed (docs/kernels.md).
const CONSTANTS = memory.data<f32>([
  EXP_MIN, EXP_MAX, LOG2E, ROUNDING_SHIFT, ROUNDING_SHIFT_LESS_BIAS, LN2_HI, LN2_LO,
  1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1,
  1, 0.5, 2, GELU_C, GELU_A, 3 * GELU_A, -1e9,
]);
const K_EXP_MIN = 0, K_EXP_MAX = 1, K_LOG2E = 2, K_SHIFT = 3, K_SHIFT_LESS_BIAS = 4, K_LN2_HI = 5, K_LN2_LO = 6;
const K_P0 = 7, K_P1 = 8, K_P2 = 9, K_P3 = 10, K_P4 = 11, K_P5 = 12;
const K_ONE = 13, K_HALF = 14, K_TWO = 15, K_GELU_C = 16, K_GELU_A = 17, K_GELU_3A = 18, K_BLOCKED = 19;

/** Constant number i of CONSTANTS in every lane. */
// @ts-ignore: decorator
@inline
function k(i: i32): v128 {
  return v128.load32_splat(CONSTANTS + (<usize>i << 2));
}

/** e^x in each lane. NaN stays NaN. */
// @ts-ignore: decorator
@inline
function expLanes(input: v128): v128 {
  const underflow = f32x4.lt(input, k(K_EXP_MIN));
  // pmin/pmax are one instruction each (min/max are several, for NaN rules): with the input first,
  // a NaN input compares false and passes through.
  const x = f32x4.pmax(f32x4.pmin(input, k(K_EXP_MAX)), k(K_EXP_MIN));
  // n = round(x · log2 e) as x · log2 e + ROUNDING_SHIFT (cheaper than nearest and trunc_sat).
  const shifted = f32x4.add(f32x4.mul(x, k(K_LOG2E)), k(K_SHIFT));
  const n = f32x4.sub(shifted, k(K_SHIFT));
  const r = f32x4.sub(f32x4.sub(x, f32x4.mul(n, k(K_LN2_HI))), f32x4.mul(n, k(K_LN2_LO)));
  let p = f32x4.add(f32x4.mul(k(K_P0), r), k(K_P1));
  p = f32x4.add(f32x4.mul(p, r), k(K_P2));
  p = f32x4.add(f32x4.mul(p, r), k(K_P3));
  p = f32x4.add(f32x4.mul(p, r), k(K_P4));
  p = f32x4.add(f32x4.mul(p, r), k(K_P5));
  const y = f32x4.add(f32x4.add(f32x4.mul(p, f32x4.mul(r, r)), r), k(K_ONE));
  // 2^n built in the exponent field.
  const pow2n = i32x4.shl(i32x4.sub(shifted, k(K_SHIFT_LESS_BIAS)), 23);
  return v128.andnot(f32x4.mul(y, pow2n), underflow);
}

/** tanh(u) = 1 − 2 / (e^{2u} + 1): saturates to ±1 for large |u| with no overflow. */
// @ts-ignore: decorator
@inline
function tanh4(u: v128): v128 {
  const e = expLanes(f32x4.add(u, u));
  return f32x4.sub(k(K_ONE), f32x4.div(k(K_TWO), f32x4.add(e, k(K_ONE))));
}

// @ts-ignore: decorator
@inline
function geluValue(x: v128): v128 {
  const u = f32x4.mul(k(K_GELU_C), f32x4.add(x, f32x4.mul(k(K_GELU_A), f32x4.mul(x, f32x4.mul(x, x)))));
  return f32x4.mul(f32x4.mul(k(K_HALF), x), f32x4.add(k(K_ONE), tanh4(u)));
}


/** y[i] = GELU(x[i]) for i in [lo, hi). */
export function geluF32(x: usize, y: usize, lo: i32, hi: i32, _scratch: usize): void {
  for (let i = lo; i < hi; i += 4) storeSome(y, i, hi, geluValue(loadTail(x, i, hi)));
}

/**
 * y[i] = GELU(x[i]) and slope[i] = GELU′(x[i]) for i in [lo, hi): one tanh for both, so the backward
 * is a product (g ⊙ slope) instead of a second pass through exp and a division.
 */
export function geluWithSlopeF32(x: usize, y: usize, slope: usize, lo: i32, hi: i32, _scratch: usize): void {
  for (let i = lo; i < hi; i += 4) {
    const v = loadTail(x, i, hi);
    const v2 = f32x4.mul(v, v);
    const t = tanh4(f32x4.mul(k(K_GELU_C), f32x4.add(v, f32x4.mul(k(K_GELU_A), f32x4.mul(v, v2)))));
    const half = f32x4.mul(k(K_HALF), f32x4.add(k(K_ONE), t)); // ½ (1 + t)
    storeSome(y, i, hi, f32x4.mul(v, half));
    // ½ (1 + t) + ½ x (1 − t²) u′,  u′ = √(2/π) (1 + 3 · 0.044715 x²)
    const du = f32x4.mul(k(K_GELU_C), f32x4.add(k(K_ONE), f32x4.mul(k(K_GELU_3A), v2)));
    storeSome(slope, i, hi, f32x4.add(half, f32x4.mul(f32x4.mul(k(K_HALF), f32x4.mul(v, f32x4.sub(k(K_ONE), f32x4.mul(t, t)))), du)));
  }
}

// @ts-ignore: decorator
@inline
function eluPlusOne4(x: v128): v128 {
  const positive = f32x4.gt(x, f32x4.splat(0));
  return v128.bitselect(f32x4.add(x, k(K_ONE)), expLanes(f32x4.min(x, f32x4.splat(0))), positive);
}

/** y[i] = ELU(x[i]) + 1 (x + 1 above 0, e^x below) for i in [lo, hi). */
export function eluPlusOneF32(x: usize, y: usize, lo: i32, hi: i32, _scratch: usize): void {
  for (let i = lo; i < hi; i += 4) storeSome(y, i, hi, eluPlusOne4(loadTail(x, i, hi)));
}

/**
 * probs[0, C) = softmax of row[0, C) (its maximum subtracted first); returns log Σ_c e^{row_c} when
 * `withLogSumExp` (else 0: attention does not need it). `row` and `probs` may be the same memory.
 * The loops run whole vectors only and the partial last vector (padded with −∞: e^−∞ is exactly 0)
 * goes after them: a call inside a loop body, even on a branch not taken, makes V8 spill the loop's
 * vectors, and peeled loops ran the row 25 % faster (2,000 columns; 22 % at 25).
 */
function softmaxRow(row: usize, out: usize, C: i32, withLogSumExp: bool): f32 {
  const full = C & ~3;
  let mv = f32x4.splat(-Infinity);
  // pmax loses a NaN here, but the NaN then reaches the sum through its own e^(x − m).
  for (let c = 0; c < full; c += 4) mv = f32x4.pmax(v128.load(at(row, c)), mv);
  if (full < C) mv = f32x4.pmax(loadTail(row, full, C, -Infinity), mv);
  const m = max(max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
  const ms = f32x4.splat(m);
  let sv = f32x4.splat(0);
  for (let c = 0; c < full; c += 4) {
    const e = expLanes(f32x4.sub(v128.load(at(row, c)), ms));
    v128.store(at(out, c), e);
    sv = f32x4.add(sv, e);
  }
  if (full < C) {
    const e = expLanes(f32x4.sub(loadTail(row, full, C, -Infinity), ms));
    storeSome(out, full, C, e);
    sv = f32x4.add(sv, e);
  }
  const s = hsum(sv);
  const inv = f32x4.splat(1 / s);
  for (let c = 0; c < full; c += 4) v128.store(at(out, c), f32x4.mul(v128.load(at(out, c)), inv));
  for (let c = full; c < C; c++) store<f32>(at(out, c), load<f32>(at(out, c)) * (1 / s));
  return withLogSumExp ? m + Mathf.log(s) : 0;
}

/**
 * Rows [lo, hi) of x [rows, C]: probs = softmax of the row (its maximum subtracted first) and
 * logSumExp[r] = log Σ_c e^{x_c}.
 */
export function softmaxRowsF32(x: usize, probs: usize, logSumExp: usize, C: i32, lo: i32, hi: i32, _scratch: usize): void {
  for (let r = lo; r < hi; r++) store<f32>(at(logSumExp, r), softmaxRow(at(x, r * C), at(probs, r * C), C, true));
}

/**
 * Attention weights for heads [lo, hi) of scores [N = B·H, T, S]: P = softmax over s of scale · score,
 * with a key blocked for its query (blocked [B, T, S] non-zero; 0 for no mask) scoring −1e9. The
 * scaled score is rounded to float32 from the float64 product, as the op-by-op form stores it.
 */
export function maskedSoftmaxF32(scores: usize, blocked: usize, scale: f64, H: i32, T: i32, S: i32, probs: usize, lo: i32, hi: i32, _scratch: usize): void {
  const sc = f64x2.splat(scale);
  for (let n = lo; n < hi; n++) {
    const b = n / H;
    for (let t = 0; t < T; t++) {
      const row = at(scores, (n * T + t) * S), out = at(probs, (n * T + t) * S), mask = at(blocked, (b * T + t) * S);
      // Whole vectors, then the partial last one (softmaxRow says why).
      const full = S & ~3;
      for (let s = 0; s < full; s += 4) {
        const v = timesInFloat64(v128.load(at(row, s)), sc);
        v128.store(at(out, s), blocked != 0 ? blockWhere(v, v128.load(at(mask, s))) : v);
      }
      if (full < S) {
        const v = timesInFloat64(loadTail(row, full, S), sc);
        storeSome(out, full, S, blocked != 0 ? blockWhere(v, loadTail(mask, full, S)) : v);
      }
      softmaxRow(out, out, S, false);
    }
  }
}

/** dots + the four products g · p in float64 (lanes 0, 2 into the first float64 lane, 1, 3 into the second). */
// @ts-ignore: decorator
@inline
function addProducts(dots: v128, g: v128, p: v128): v128 {
  dots = f64x2.add(dots, f64x2.mul(f64x2.promote_low_f32x4(g), f64x2.promote_low_f32x4(p)));
  return f64x2.add(dots, f64x2.mul(f64x2.promote_low_f32x4(i64x2.shuffle(g, g, 1, 0)), f64x2.promote_low_f32x4(i64x2.shuffle(p, p, 1, 0))));
}

/** <f32>(<f64>v · scale) of v = <f32>(p · (g − dot)) in float64: the op-by-op form's two roundings. */
// @ts-ignore: decorator
@inline
function scoreGradient(g: v128, p: v128, dot: v128, scale: v128): v128 {
  const low = f32x4.demote_f64x2_zero(f64x2.mul(f64x2.promote_low_f32x4(p), f64x2.sub(f64x2.promote_low_f32x4(g), dot)));
  const high = f32x4.demote_f64x2_zero(f64x2.mul(f64x2.promote_low_f32x4(i64x2.shuffle(p, p, 1, 0)), f64x2.sub(f64x2.promote_low_f32x4(i64x2.shuffle(g, g, 1, 0)), dot)));
  return timesInFloat64(i64x2.shuffle(low, high, 0, 2), scale);
}

/** The scores, −1e9 in the lanes where the mask is non-zero (a blocked key). */
// @ts-ignore: decorator
@inline
function blockWhere(scores: v128, mask: v128): v128 {
  return v128.bitselect(k(K_BLOCKED), scores, f32x4.ne(mask, f32x4.splat(0)));
}

/** Each lane of v times `factor` (two float64 lanes) in float64, rounded to float32: <f32>(<f64>v · factor). */
// @ts-ignore: decorator
@inline
function timesInFloat64(v: v128, factor: v128): v128 {
  const low = f32x4.demote_f64x2_zero(f64x2.mul(f64x2.promote_low_f32x4(v), factor));
  const high = f32x4.demote_f64x2_zero(f64x2.mul(f64x2.promote_low_f32x4(i64x2.shuffle(v, v, 1, 0)), factor));
  return i64x2.shuffle(low, high, 0, 2);
}

/**
 * The backward of maskedSoftmaxF32 for heads [lo, hi), given dP and P [N, T, S]:
 * dS = scale · P ⊙ (dP − Σ_s dP ⊙ P), 0 at blocked keys; in float64 with float32 roundings where
 * the op-by-op form stores (kernels/attention/reference.ts). The row's Σ runs in two float64 lanes
 * (even and odd s), so it may differ from the plain loop's in the last bits.
 */
export function maskedSoftmaxBackwardF32(dP: usize, P: usize, blocked: usize, scale: f64, H: i32, T: i32, S: i32, dS: usize, lo: i32, hi: i32, _scratch: usize): void {
  const sc = f64x2.splat(scale);
  for (let n = lo; n < hi; n++) {
    const b = n / H;
    for (let t = 0; t < T; t++) {
      const base = (n * T + t) * S;
      const g = at(dP, base), p = at(P, base), out = at(dS, base), mask = at(blocked, (b * T + t) * S);
      // Whole vectors, then the partial last one (softmaxRow says why); its padding is 0 in g and p.
      const full = S & ~3;
      let dots = f64x2.splat(0);
      for (let s = 0; s < full; s += 4) dots = addProducts(dots, v128.load(at(g, s)), v128.load(at(p, s)));
      if (full < S) dots = addProducts(dots, loadTail(g, full, S), loadTail(p, full, S));
      const dot = f64x2.splat(f64x2.extract_lane(dots, 0) + f64x2.extract_lane(dots, 1));
      for (let s = 0; s < full; s += 4) {
        const v = scoreGradient(v128.load(at(g, s)), v128.load(at(p, s)), dot, sc);
        v128.store(at(out, s), blocked != 0 ? v128.andnot(v, f32x4.ne(v128.load(at(mask, s)), f32x4.splat(0))) : v);
      }
      if (full < S) {
        const v = scoreGradient(loadTail(g, full, S), loadTail(p, full, S), dot, sc);
        storeSome(out, full, S, blocked != 0 ? v128.andnot(v, f32x4.ne(loadTail(mask, full, S), f32x4.splat(0))) : v);
      }
    }
  }
}

/**
 * Cross-entropy of rows [lo, hi) of logits [rows, C] against targets (i32, −1 = not counted), with
 * label smoothing eps: probs = softmax, logSumExp, and
 * losses[r] = (1 − eps)(lse − x_t) + eps (lse − mean_c x_c)  (0 for a row not counted).
 */
export function crossEntropyRowsF32(logits: usize, targets: usize, C: i32, eps: f64, probs: usize, logSumExp: usize, losses: usize, lo: i32, hi: i32, _scratch: usize): void {
  const full = C & ~3;
  for (let r = lo; r < hi; r++) {
    const row = at(logits, r * C);
    const lse = softmaxRow(row, at(probs, r * C), C, true);
    store<f32>(at(logSumExp, r), lse);
    const t = load<i32>(targets + (<usize>r << 2));
    if (t < 0) {
      store<f32>(at(losses, r), 0);
      continue;
    }
    let loss = (1 - eps) * (<f64>lse - <f64>load<f32>(at(row, t)));
    if (eps > 0) {
      let sv = f32x4.splat(0);
      for (let c = 0; c < full; c += 4) sv = f32x4.add(sv, v128.load(at(row, c)));
      let sum = <f64>hsum(sv);
      for (let c = full; c < C; c++) sum += <f64>load<f32>(at(row, c));
      loss += eps * (<f64>lse - sum / <f64>C);
    }
    store<f32>(at(losses, r), <f32>loss);
  }
}

/**
 * The gradient of crossEntropyRowsF32's losses, each row's scaled by rowScale[r]:
 * gx[r, c] = s_r (p_c − eps / C) − s_r (1 − eps) [c = t_r]; zero rows for targets −1.
 */
export function crossEntropyRowsBackwardF32(probs: usize, targets: usize, rowScale: usize, C: i32, eps: f64, gx: usize, lo: i32, hi: i32, _scratch: usize): void {
  const full = C & ~3;
  for (let r = lo; r < hi; r++) {
    const p = at(probs, r * C), out = at(gx, r * C);
    const t = load<i32>(targets + (<usize>r << 2));
    if (t < 0) {
      memory.fill(out, 0, <usize>C << 2);
      continue;
    }
    const scaleRow = <f64>load<f32>(at(rowScale, r));
    const s = <f32>scaleRow, offset = <f32>(scaleRow * (eps / <f64>C));
    const sv = f32x4.splat(s), ov = f32x4.splat(offset);
    for (let c = 0; c < full; c += 4) v128.store(at(out, c), f32x4.sub(f32x4.mul(sv, v128.load(at(p, c))), ov));
    for (let c = full; c < C; c++) store<f32>(at(out, c), s * load<f32>(at(p, c)) - offset);
    store<f32>(at(out, t), load<f32>(at(out, t)) - <f32>(scaleRow * (1 - eps)));
  }
}


/**
 * Rows [lo, hi) of x [rows, D], layer-normalised: rstd[r] = 1/√(var + eps), xhat = (x − mean) · rstd,
 * out = xhat ⊙ w + b.
 */
export function layerNormRowsF32(x: usize, w: usize, b: usize, out: usize, xhat: usize, rstd: usize, D: i32, eps: f32, lo: i32, hi: i32, _scratch: usize): void {
  const full = D & ~3;
  const invD: f32 = 1 / <f32>D;
  for (let r = lo; r < hi; r++) {
    const row = at(x, r * D), h = at(xhat, r * D), o = at(out, r * D);
    let sv = f32x4.splat(0);
    for (let c = 0; c < full; c += 4) sv = f32x4.add(sv, v128.load(at(row, c)));
    let s = hsum(sv);
    for (let c = full; c < D; c++) s += load<f32>(at(row, c));
    const mu = s * invD;
    const mv = f32x4.splat(mu);
    let vv = f32x4.splat(0);
    for (let c = 0; c < full; c += 4) {
      const d = f32x4.sub(v128.load(at(row, c)), mv);
      vv = f32x4.add(vv, f32x4.mul(d, d));
    }
    let v = hsum(vv);
    for (let c = full; c < D; c++) {
      const d = load<f32>(at(row, c)) - mu;
      v += d * d;
    }
    const rs: f32 = 1 / Mathf.sqrt(v * invD + eps);
    store<f32>(at(rstd, r), rs);
    const rv = f32x4.splat(rs);
    for (let c = 0; c < full; c += 4) {
      const hv = f32x4.mul(f32x4.sub(v128.load(at(row, c)), mv), rv);
      v128.store(at(h, c), hv);
      v128.store(at(o, c), f32x4.add(f32x4.mul(hv, v128.load(at(w, c))), v128.load(at(b, c))));
    }
    for (let c = full; c < D; c++) {
      const hs = (load<f32>(at(row, c)) - mu) * rs;
      store<f32>(at(h, c), hs);
      store<f32>(at(o, c), hs * load<f32>(at(w, c)) + load<f32>(at(b, c)));
    }
  }
}

/**
 * The backward of layerNormRowsF32 over rows [lo, hi) (the caller runs all rows in one call, so
 * dw and db are sums in row order): with d = g ⊙ w, dx = rstd · (d − mean(d) − xhat · mean(d ⊙ xhat)),
 * dw = Σ g ⊙ xhat, db = Σ g. dw and db are zeroed here first.
 */
export function layerNormRowsBackwardF32(g: usize, xhat: usize, rstd: usize, w: usize, dx: usize, dw: usize, db: usize, D: i32, lo: i32, hi: i32, _scratch: usize): void {
  const full = D & ~3;
  const invD: f32 = 1 / <f32>D;
  memory.fill(dw, 0, <usize>D << 2);
  memory.fill(db, 0, <usize>D << 2);
  for (let r = lo; r < hi; r++) {
    const gr = at(g, r * D), h = at(xhat, r * D), out = at(dx, r * D);
    let dv = f32x4.splat(0), dhv = f32x4.splat(0);
    for (let c = 0; c < full; c += 4) {
      const gv = v128.load(at(gr, c)), hv = v128.load(at(h, c));
      const d = f32x4.mul(gv, v128.load(at(w, c)));
      dv = f32x4.add(dv, d);
      dhv = f32x4.add(dhv, f32x4.mul(d, hv));
      v128.store(at(dw, c), f32x4.add(v128.load(at(dw, c)), f32x4.mul(gv, hv)));
      v128.store(at(db, c), f32x4.add(v128.load(at(db, c)), gv));
    }
    let meanD = hsum(dv), meanDH = hsum(dhv);
    for (let c = full; c < D; c++) {
      const gs = load<f32>(at(gr, c)), hs = load<f32>(at(h, c));
      const d = gs * load<f32>(at(w, c));
      meanD += d;
      meanDH += d * hs;
      store<f32>(at(dw, c), load<f32>(at(dw, c)) + gs * hs);
      store<f32>(at(db, c), load<f32>(at(db, c)) + gs);
    }
    meanD *= invD;
    meanDH *= invD;
    const rs = load<f32>(at(rstd, r));
    const rv = f32x4.splat(rs), mdv = f32x4.splat(meanD), mdhv = f32x4.splat(meanDH);
    for (let c = 0; c < full; c += 4) {
      const d = f32x4.mul(v128.load(at(gr, c)), v128.load(at(w, c)));
      v128.store(at(out, c), f32x4.mul(rv, f32x4.sub(f32x4.sub(d, mdv), f32x4.mul(v128.load(at(h, c)), mdhv))));
    }
    for (let c = full; c < D; c++) {
      const d = load<f32>(at(gr, c)) * load<f32>(at(w, c));
      store<f32>(at(out, c), rs * (d - meanD - load<f32>(at(h, c)) * meanDH));
    }
  }
}
