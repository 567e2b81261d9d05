/**
 * Unary elementwise ops. Each is a forward map f and its derivative f′ written beside it; the
 * backward is g ⊙ f′. Ops with a restricted domain refuse inputs outside it instead of
 * returning NaN.
 */
import { isGradEnabled, record } from '../autograd/graph.js';
import { Tensor } from '../tensor/tensor.js';
import { assertTensor, like, likeUninitialized } from './util.js';
import { getBackend } from '../../kernels/index.js';

/**
 * Builds a unary op. `derivative(x, y)` gets the input and the output value (for exp, sigmoid and
 * tanh the output is the cheaper way to the derivative).
 */
function unary(op: string, f: (x: number) => number, derivative: (x: number, y: number) => number) {
  return (x: Tensor): Tensor => {
    assertTensor(x, op);
    const out = likeUninitialized(x);
    for (let i = 0; i < out.length; i++) out[i] = f(x.data[i]!);
    const y = new Tensor(out, x.shape);
    return record(op, [x], y, (g) => {
      const gx = likeUninitialized(g);
      for (let i = 0; i < gx.length; i++) gx[i] = g[i]! * derivative(x.data[i]!, out[i]!);
      return [gx];
    });
  };
}

function refuseWhere(op: string, x: Tensor, bad: (v: number) => boolean, why: string): void {
  for (let i = 0; i < x.size; i++) {
    if (bad(x.data[i]!)) throw new Error(`${op}: input ${why} (value ${x.data[i]} at flat index ${i})`);
  }
}

export const neg = unary('neg', (x) => -x, () => -1);
export const exp = unary('exp', Math.exp, (_x, y) => y);
export const abs = unary('abs', Math.abs, (x) => Math.sign(x));
export const relu = unary('relu', (x) => (x > 0 ? x : 0), (x) => (x > 0 ? 1 : 0));
/** ELU with α = 1: x for x > 0, exp(x) − 1 otherwise. */
export const elu = unary('elu', (x) => (x > 0 ? x : Math.expm1(x)), (x) => (x > 0 ? 1 : Math.exp(x)));
export const tanh = unary('tanh', Math.tanh, (_x, y) => 1 - y * y);

/** σ(x). ops.sigmoid and ops.silu are the loops of sigmoidLoops.ts, pinned to these two bit for bit (test/ops/flaOps.test.ts). */
export const sigmoidReference = unary('sigmoid', stableSigmoid, (_x, y) => y * (1 - y));
/** SiLU (swish): x · σ(x); its derivative σ(x) (1 + x (1 − σ(x))). */
export const siluReference = unary('silu', (x) => x * stableSigmoid(x), (x) => {
  const s = stableSigmoid(x);
  return s * (1 + x * (1 - s));
});

/**
 * GELU, tanh approximation (as in GPT-2): ½ x (1 + tanh(√(2/π)(x + 0.044715 x³))). The feed-forward
 * layers' hot path, so the kernel backend computes it and its derivative (kernels/elementwise/reference.ts).
 */
export function gelu(x: Tensor): Tensor {
  assertTensor(x, 'gelu');
  const kernels = getBackend();
  // Without a backward ahead, the value alone; with one, the slope GELU′(x) comes from the same tanh.
  if (!isGradEnabled() || !x.requiresGrad) return new Tensor(kernels.gelu(x.data), x.shape);
  const { y, slope } = kernels.geluWithSlope(x.data);
  return record('gelu', [x], new Tensor(y, x.shape), (g) => [kernels.binary('mul', g, g.length, slope, slope.length, g.length)]);
}

function stableSigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

const logUnchecked = unary('log', Math.log, (x) => 1 / x);
/** Natural log; refuses non-positive inputs. */
export function log(x: Tensor): Tensor {
  assertTensor(x, 'log');
  refuseWhere('log', x, (v) => !(v > 0), 'must be positive');
  return logUnchecked(x);
}

const sqrtUnchecked = unary('sqrt', Math.sqrt, (_x, y) => 0.5 / y);
/** Square root; refuses negative inputs. */
export function sqrt(x: Tensor): Tensor {
  assertTensor(x, 'sqrt');
  refuseWhere('sqrt', x, (v) => !(v >= 0), 'must be non-negative');
  return sqrtUnchecked(x);
}

/** x^p for a constant exponent p; a negative base needs an integer p. */
export function pow(x: Tensor, p: number): Tensor {
  assertTensor(x, 'pow');
  if (typeof p !== 'number' || !Number.isFinite(p)) throw new Error(`pow: exponent must be a finite number, got ${p}`);
  if (!Number.isInteger(p)) refuseWhere('pow', x, (v) => v < 0, `must be non-negative for the non-integer exponent ${p}`);
  if (p < 0) refuseWhere('pow', x, (v) => v === 0, `must be non-zero for the negative exponent ${p}`);
  return unary('pow', (v) => v ** p, (v) => p * v ** (p - 1))(x);
}
