/**
 * σ and SiLU as loops of their own: the fla DeltaNet's hot path (β on every step, the short
 * convolutions, the gated MLP). `unary` (unary.ts) calls f through a closure per element, which
 * costs more than σ itself; here σ is written out, and SiLU keeps σ(x) in float64 for its backward
 * instead of computing it again. The same float64 arithmetic as sigmoidReference and siluReference
 * in unary.ts, so the same bits (test/ops/flaOps.test.ts).
 */
import { isGradEnabled, record } from '../autograd/graph.js';
import { Tensor, allocateUninitialized } from '../tensor/tensor.js';
import { assertTensor, likeUninitialized } from './util.js';

/**
 * σ(x) = 1 / (1 + e^−x); derivative σ(x) (1 − σ(x)). The fla DeltaNet's β on every step: a loop of
 * its own with σ written out (`unary` calls f through a closure per element, which costs more than σ
 * itself), the same float64 arithmetic as sigmoidReference.
 */
export function sigmoid(x: Tensor): Tensor {
  assertTensor(x, 'sigmoid');
  const xs = x.data, n = xs.length;
  const out = likeUninitialized(x);
  for (let i = 0; i < n; i++) {
    const v = xs[i]!;
    if (v >= 0) out[i] = 1 / (1 + Math.exp(-v));
    else {
      const e = Math.exp(v);
      out[i] = e / (1 + e);
    }
  }
  return record('sigmoid', [x], new Tensor(out, x.shape), (g) => {
    const gx = likeUninitialized(g);
    for (let i = 0; i < n; i++) {
      const y = out[i]!;
      gx[i] = g[i]! * (y * (1 - y));
    }
    return [gx];
  });
}

/**
 * SiLU (swish): x · σ(x); its derivative σ(x) (1 + x (1 − σ(x))). The fla DeltaNet's hot path (its
 * short convolutions and gated MLP): one loop with σ written out, and σ(x) kept in float64 for the
 * backward instead of computed again. The same float64 arithmetic as siluReference, so the same bits.
 */
export function silu(x: Tensor): Tensor {
  assertTensor(x, 'silu');
  const xs = x.data, n = xs.length;
  const out = likeUninitialized(x);
  const sigmas = isGradEnabled() && x.requiresGrad ? (allocateUninitialized('float64', n) as Float64Array) : null;
  for (let i = 0; i < n; i++) {
    const v = xs[i]!;
    let s: number;
    if (v >= 0) s = 1 / (1 + Math.exp(-v));
    else {
      const e = Math.exp(v);
      s = e / (1 + e);
    }
    if (sigmas !== null) sigmas[i] = s;
    out[i] = v * s;
  }
  return record('silu', [x], new Tensor(out, x.shape), (g) => {
    const gx = likeUninitialized(g);
    for (let i = 0; i < n; i++) {
      const s = sigmas![i]!;
      gx[i] = g[i]! * (s * (1 + xs[i]! * (1 - s)));
    }
    return [gx];
  });
}
