/**
 * checkGradients: compares reverse-mode gradients with central finite differences in float64.
 *
 * fn may return any shape; a non-scalar output y is reduced to Σ y ⊙ r with a fixed random r, so
 * every output element contributes with its own weight (a plain sum would hide errors that cancel).
 *
 * The error for each element is |analytic − numeric| / max(1, |analytic|, |numeric|): relative for
 * large gradients, absolute for small ones (where the finite difference itself is only accurate
 * to about eps²).
 */
import { Tensor } from '../tensor/tensor.js';
import { shapeToString } from '../tensor/shape.js';
import { Rng } from '../tensor/rng.js';
import { noGrad } from './graph.js';

export interface GradCheckOptions {
  /** Finite-difference step (default 1e-6). */
  eps?: number;
  /** Largest accepted error (default 1e-6). */
  tolerance?: number;
  /** Which inputs to check (default: all). */
  check?: boolean[];
  /** Seed of the output projection r. */
  seed?: number;
  /**
   * Tensors that fn uses without taking them as inputs (a module's parameters, all float64 and
   * requiring grad). Their gradients are checked too, perturbing their data in place; their `.grad`
   * is left as it was. They are numbered after the inputs in the report.
   */
  parameters?: Tensor[];
}

export interface GradCheckResult {
  ok: boolean;
  maxError: number;
  /** Where the largest error happened. */
  worst: { input: number; index: number; analytic: number; numeric: number } | null;
  /** Number of partial derivatives compared. */
  checked: number;
}

export function checkGradients(fn: (...inputs: Tensor[]) => Tensor, inputs: Tensor[], options: GradCheckOptions = {}): GradCheckResult {
  const eps = options.eps ?? 1e-6;
  const tolerance = options.tolerance ?? 1e-6;
  inputs.forEach((x, i) => {
    if (!(x instanceof Tensor)) throw new Error(`checkGradients: input ${i} is not a Tensor`);
    if (x.dtype !== 'float64') throw new Error(`checkGradients: input ${i} is ${x.dtype}; finite differences need float64 (use .to('float64'))`);
  });
  const check = options.check ?? inputs.map(() => true);
  const parameters = options.parameters ?? [];
  parameters.forEach((p, i) => {
    if (p.dtype !== 'float64') throw new Error(`checkGradients: parameter ${i}${p.name ? ` '${p.name}'` : ''} is ${p.dtype}; finite differences need float64`);
    if (!p.requiresGrad) throw new Error(`checkGradients: parameter ${i}${p.name ? ` '${p.name}'` : ''} does not require grad`);
  });
  const savedGrads = parameters.map((p) => p.grad);
  parameters.forEach((p) => (p.grad = null));

  // Fresh leaves so the caller's tensors are left untouched.
  const leaves = inputs.map((x, i) => new Tensor(x.data.slice(), x.shape, { requiresGrad: check[i] ?? false }));
  const probe = fn(...leaves);
  if (!(probe instanceof Tensor)) throw new Error('checkGradients: fn must return a Tensor');
  const rng = new Rng(options.seed ?? 12345);
  const weights = new Float64Array(probe.size).map(() => rng.uniform() * 2 - 1);
  const project = (y: Tensor): number => {
    let s = 0;
    for (let i = 0; i < y.size; i++) s += y.data[i]! * weights[i]!;
    return s;
  };
  if (!probe.requiresGrad) throw new Error('checkGradients: the output does not depend on any checked input');
  probe.backward(new Tensor(weights.slice(), probe.shape));
  const paramGrads = parameters.map((p) => p.grad?.data ?? new Float64Array(p.size));
  parameters.forEach((p, i) => (p.grad = savedGrads[i]!));

  let maxError = 0;
  let worst: GradCheckResult['worst'] = null;
  let checked = 0;
  const targets = [
    ...leaves.map((leaf, i) => ({ data: leaf.data, analytic: leaf.grad?.data ?? new Float64Array(leaf.size), enabled: check[i] ?? false })),
    ...parameters.map((p, i) => ({ data: p.data, analytic: paramGrads[i]!, enabled: true })),
  ];
  noGrad(() => {
    targets.forEach(({ data, analytic, enabled }, i) => {
      if (!enabled) return;
      for (let j = 0; j < data.length; j++) {
        const saved = data[j]!;
        data[j] = saved + eps;
        const up = project(fn(...leaves));
        data[j] = saved - eps;
        const down = project(fn(...leaves));
        data[j] = saved;
        const numeric = (up - down) / (2 * eps);
        const a = analytic[j]!;
        const err = Math.abs(a - numeric) / Math.max(1, Math.abs(a), Math.abs(numeric));
        checked++;
        if (!(err <= maxError)) {
          maxError = Number.isNaN(err) ? Infinity : err;
          worst = { input: i, index: j, analytic: a, numeric };
        }
      }
    });
  });
  return { ok: maxError <= tolerance, maxError, worst, checked };
}

/** A one-line description of a result, for error messages. */
export function describeGradCheck(result: GradCheckResult, inputs?: Tensor[]): string {
  if (result.worst === null) return `max error ${result.maxError} over ${result.checked} partials`;
  const w = result.worst;
  const shape = inputs ? ` of shape ${shapeToString(inputs[w.input]!.shape)}` : '';
  return `max error ${result.maxError.toExponential(3)} at input ${w.input}${shape}, flat index ${w.index}: analytic ${w.analytic}, numeric ${w.numeric}`;
}
