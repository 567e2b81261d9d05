/**
 * One Adam(W) step in place, for parameters [lo, hi): the js loop (kernels/optim/reference.ts) two
 * parameters at a time in f64x2. Every operation is that loop's float64 operation in the same order
 * (IEEE multiply, add, divide and square root round the same everywhere), and every store rounds
 * to float32 as the loop's does: the same bits as the js backend.
 */
export function adamStepF32(p: usize, g: usize, m: usize, v: usize, beta1: f64, beta2: f64, eps: f64, stepSize: f64,
  inverseCorrection2: f64, l2: f64, shrink: f64, lo: i32, hi: i32, _scratch: usize): void {
  const b1 = f64x2.splat(beta1), b2 = f64x2.splat(beta2), e = f64x2.splat(eps), lr = f64x2.splat(stepSize);
  const c2 = f64x2.splat(inverseCorrection2), decay = f64x2.splat(l2), keep = f64x2.splat(shrink);
  const oneMinusB1 = f64x2.splat(1 - beta1), oneMinusB2 = f64x2.splat(1 - beta2);
  let i = lo;
  for (; i + 2 <= hi; i += 2) {
    const at = <usize>i << 2;
    // p ← p · shrink, rounded to float32 (the loop's first pass; with shrink = 1 that is p itself).
    const pi = f64x2.promote_low_f32x4(f32x4.demote_f64x2_zero(f64x2.mul(f64x2.promote_low_f32x4(v128.load64_zero(p + at)), keep)));
    const gi = f64x2.add(f64x2.promote_low_f32x4(v128.load64_zero(g + at)), f64x2.mul(decay, pi));
    const mi = f64x2.add(f64x2.mul(b1, f64x2.promote_low_f32x4(v128.load64_zero(m + at))), f64x2.mul(oneMinusB1, gi));
    const vi = f64x2.add(f64x2.mul(b2, f64x2.promote_low_f32x4(v128.load64_zero(v + at))), f64x2.mul(f64x2.mul(oneMinusB2, gi), gi));
    v128.store64_lane(m + at, f32x4.demote_f64x2_zero(mi), 0);
    v128.store64_lane(v + at, f32x4.demote_f64x2_zero(vi), 0);
    const step = f64x2.div(f64x2.mul(lr, mi), f64x2.add(f64x2.sqrt(f64x2.mul(vi, c2)), e));
    v128.store64_lane(p + at, f32x4.demote_f64x2_zero(f64x2.sub(pi, step)), 0);
  }
  for (; i < hi; i++) {
    const at = <usize>i << 2;
    const pi = <f64><f32>(<f64>load<f32>(p + at) * shrink);
    const gi = <f64>load<f32>(g + at) + l2 * pi;
    const mi = beta1 * <f64>load<f32>(m + at) + (1 - beta1) * gi;
    const vi = beta2 * <f64>load<f32>(v + at) + (1 - beta2) * gi * gi;
    store<f32>(m + at, <f32>mi);
    store<f32>(v + at, <f32>vi);
    store<f32>(p + at, <f32>(pi - (stepSize * mi) / (Math.sqrt(vi * inverseCorrection2) + eps)));
  }
}
