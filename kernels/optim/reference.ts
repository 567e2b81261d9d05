/**
 * One Adam(W) step over a parameter in place, as a plain loop (the js backend runs it too), in
 * float64 arithmetic with the arrays' precision stored (src/train/optim.ts has the optimisers):
 *   p ← p · shrink (AdamW's decoupled decay; 1 for none);  g = grad + l2 · p (Adam's L2 term)
 *   m ← β1 m + (1 − β1) g;  v ← β2 v + (1 − β2) g²;  p ← p − stepSize · m / (√(v · c2) + ε)
 * with stepSize = lr / (1 − β1ᵗ) and c2 = 1 / (1 − β2ᵗ), m and v unrounded in the last line.
 */
import type { AdamStep, FloatArray } from '../types.js';

export function adamStepReference(p: FloatArray, grad: FloatArray, m: FloatArray, v: FloatArray, h: AdamStep): void {
  const { beta1: b1, beta2: b2, eps, stepSize, inverseCorrection2, l2, shrink } = h;
  if (shrink !== 1) for (let i = 0; i < p.length; i++) p[i] = p[i]! * shrink;
  for (let i = 0; i < p.length; i++) {
    const g = grad[i]! + l2 * p[i]!;
    const mi = b1 * m[i]! + (1 - b1) * g;
    const vi = b2 * v[i]! + (1 - b2) * g * g;
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i]! - (stepSize * mi) / (Math.sqrt(vi * inverseCorrection2) + eps);
  }
}
