/**
 * Optimisers over named parameters: SGD (momentum, Nesterov, weight decay), Adam and AdamW.
 *
 * They write into parameters' `.data` in place, outside the autograd graph. Names matter: they key
 * the state buffers (`m.<name>`, `v.<name>`, `momentum.<name>`) that a checkpoint saves, and they
 * appear in error messages. No Node imports: this file also runs in browsers.
 *
 * A parameter whose `.grad` is null is skipped (frozen, or unused this step). Before anything is
 * updated, every gradient is checked: one NaN or infinity anywhere throws and leaves all
 * parameters and buffers untouched, naming the parameter, rather than silently poisoning the model.
 */
import type { FloatArray, Tensor } from '../tensor/tensor.js';
import { getBackend, allocateLongLived } from '../../kernels/index.js';

export type NamedParameters = readonly (readonly [string, Tensor])[];

/** Everything an optimiser needs to resume exactly: the step count, the learning rate and its buffers. */
export interface OptimizerState {
  step: number;
  lr: number;
  buffers: Record<string, FloatArray>;
}

export abstract class Optimizer {
  /** The learning rate of the next step; schedules set it before each step. */
  lr: number;
  /** Number of steps taken so far. */
  stepCount = 0;
  protected readonly params: NamedParameters;
  /** State buffers by key (`<kind>.<param name>`), each the size and dtype of its parameter. */
  protected readonly buffers = new Map<string, FloatArray>();
  private buffersPlaced = false;

  constructor(params: NamedParameters, lr: number, protected readonly kind: string) {
    assertNonNegative(lr, `${kind}: lr`);
    const seen = new Set<string>();
    for (const [name] of params) {
      if (seen.has(name)) throw new Error(`${kind}: parameter name '${name}' appears twice`);
      seen.add(name);
    }
    this.params = params;
    this.lr = lr;
  }

  /** Applies one update from the parameters' current gradients. */
  step(): void {
    assertNonNegative(this.lr, `${this.kind}.step: lr`);
    for (const [name, p] of this.params) if (p.grad !== null) assertUsableGrad(name, p, `${this.kind}.step`);
    this.stepCount++;
    if (!this.buffersPlaced) this.placeBuffers();
    for (const [name, p] of this.params) if (p.grad !== null) this.update(name, p.data, p.grad.data);
  }

  /** Drops every parameter's gradient (the next backward starts from zero). */
  zeroGrad(): void {
    for (const [, p] of this.params) p.grad = null;
  }

  stateDict(): OptimizerState {
    const buffers: Record<string, FloatArray> = {};
    for (const [key, buffer] of this.buffers) buffers[key] = buffer.slice();
    return { step: this.stepCount, lr: this.lr, buffers };
  }

  /** Restores a state from `stateDict()`; names and sizes must match this optimiser's exactly. */
  loadStateDict(state: OptimizerState): void {
    const where = `${this.kind}.loadStateDict`;
    if (!Number.isInteger(state.step) || state.step < 0) throw new Error(`${where}: step must be a non-negative integer, got ${state.step}`);
    assertNonNegative(state.lr, `${where}: lr`);
    const given = Object.keys(state.buffers);
    const unexpected = given.filter((key) => !this.buffers.has(key));
    if (unexpected.length > 0) {
      throw new Error(`${where}: unexpected buffer(s) ${unexpected.slice(0, 5).map((k) => `'${k}'`).join(', ')} (saved by a different optimiser or model?)`);
    }
    for (const [key, buffer] of this.buffers) {
      const saved = state.buffers[key];
      if (saved === undefined) throw new Error(`${where}: missing buffer '${key}'`);
      if (saved.length !== buffer.length) throw new Error(`${where}: buffer '${key}' has ${saved.length} elements, the parameter has ${buffer.length}`);
      if (saved.constructor !== buffer.constructor) throw new Error(`${where}: buffer '${key}' is a ${saved.constructor.name}, the parameter's is a ${buffer.constructor.name}`);
    }
    // All checked: only now change anything, so a refused state leaves the optimiser as it was.
    for (const [key, buffer] of this.buffers) buffer.set(state.buffers[key]!);
    this.stepCount = state.step;
    this.lr = state.lr;
  }

  /** A zero buffer per parameter under `<prefix>.<name>`, same dtype as the parameter. */
  protected addBuffers(prefix: string): void {
    for (const [name, p] of this.params) this.buffers.set(`${prefix}.${name}`, new (p.data.constructor as new (n: number) => FloatArray)(p.data.length));
  }

  /**
   * Moves the float32 buffers to where the kernels work (kernels/alloc.ts, allocateLongLived), so
   * that each update reads and writes them in place instead of copying them in and out. At the first
   * step: by then the kernels have run, and the backend has said where that is.
   */
  private placeBuffers(): void {
    for (const [key, buffer] of this.buffers) {
      if (!(buffer instanceof Float32Array)) continue;
      const placed = allocateLongLived(buffer.length);
      placed.set(buffer);
      this.buffers.set(key, placed);
    }
    this.buffersPlaced = true;
  }

  protected buffer(prefix: string, name: string): FloatArray {
    return this.buffers.get(`${prefix}.${name}`)!;
  }

  protected abstract update(name: string, param: FloatArray, grad: FloatArray): void;
}

// ---------------------------------------------------------------------------------------------

export interface SGDOptions {
  lr: number;
  momentum?: number;
  nesterov?: boolean;
  /** L2 penalty added to the gradient (coupled, as in classic SGD). */
  weightDecay?: number;
}

/** p ← p − lr·d, with g = ∇ + wd·p, b ← μ·b + g, and d = g + μ·b (Nesterov), b (momentum) or g. */
export class SGD extends Optimizer {
  readonly momentum: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;

  constructor(params: NamedParameters, options: SGDOptions) {
    super(params, options.lr, 'SGD');
    this.momentum = options.momentum ?? 0;
    this.nesterov = options.nesterov ?? false;
    this.weightDecay = options.weightDecay ?? 0;
    assertInRange(this.momentum, 0, 1, 'SGD: momentum', false);
    assertNonNegative(this.weightDecay, 'SGD: weightDecay');
    if (this.nesterov && this.momentum === 0) throw new Error('SGD: nesterov needs momentum > 0');
    if (this.momentum > 0) this.addBuffers('momentum');
  }

  protected update(name: string, p: FloatArray, grad: FloatArray): void {
    const { lr, momentum: mu, weightDecay: wd, nesterov } = this;
    const b = mu > 0 ? this.buffer('momentum', name) : null;
    for (let i = 0; i < p.length; i++) {
      let g = grad[i]! + wd * p[i]!;
      if (b !== null) {
        b[i] = mu * b[i]! + g;
        g = nesterov ? g + mu * b[i]! : b[i]!;
      }
      p[i] = p[i]! - lr * g;
    }
  }
}

// ---------------------------------------------------------------------------------------------

export interface AdamOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Adam: L2 penalty added to the gradient. AdamW: decoupled decay p ← p − lr·wd·p. */
  weightDecay?: number;
}

/**
 * Adam with bias-corrected moments: m ← β1 m + (1−β1) g, v ← β2 v + (1−β2) g²,
 * p ← p − lr · (m / (1−β1ᵗ)) / (√(v / (1−β2ᵗ)) + ε).
 * t is the optimiser's step count; a parameter skipped on some steps is still corrected with it.
 */
export class Adam extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;

  constructor(params: NamedParameters, options: AdamOptions, kind = 'Adam') {
    super(params, options.lr, kind);
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
    assertInRange(this.beta1, 0, 1, `${kind}: beta1`, false);
    assertInRange(this.beta2, 0, 1, `${kind}: beta2`, false);
    if (!(this.eps > 0) || !Number.isFinite(this.eps)) throw new Error(`${kind}: eps must be a positive finite number, got ${this.eps}`);
    assertNonNegative(this.weightDecay, `${kind}: weightDecay`);
    this.addBuffers('m');
    this.addBuffers('v');
  }

  protected update(name: string, p: FloatArray, grad: FloatArray): void {
    this.adamUpdate(name, p, grad, this.weightDecay);
  }

  /** The Adam step with L2 coefficient `l2` folded into the gradient. */
  protected adamUpdate(name: string, p: FloatArray, grad: FloatArray, l2: number, shrink = 1): void {
    const { lr, beta1, beta2, eps } = this;
    const stepSize = lr / (1 - Math.pow(beta1, this.stepCount));
    const inverseCorrection2 = 1 / (1 - Math.pow(beta2, this.stepCount));
    // The loop is the kernel backend's (kernels/optim/reference.ts).
    getBackend().adamStep(p, grad, this.buffer('m', name), this.buffer('v', name), { beta1, beta2, eps, stepSize, inverseCorrection2, l2, shrink });
  }
}

export interface AdamWOptions extends AdamOptions {
  /** Parameters that get no weight decay. Default: `defaultNoDecay`. */
  noDecay?: (name: string, param: Tensor) => boolean;
}

/** Biases, normalisation gains and other vectors are conventionally not decayed. */
export function defaultNoDecay(name: string, param: Tensor): boolean {
  return name.endsWith('bias') || name.toLowerCase().includes('norm') || param.rank <= 1;
}

/** Adam with decoupled weight decay (Loshchilov & Hutter): p ← p − lr·wd·p, then the Adam step. */
export class AdamW extends Adam {
  private readonly decayed: Set<string>;

  constructor(params: NamedParameters, options: AdamWOptions) {
    super(params, { ...options, weightDecay: options.weightDecay ?? 0.01 }, 'AdamW');
    const noDecay = options.noDecay ?? defaultNoDecay;
    this.decayed = new Set(params.filter(([name, p]) => !noDecay(name, p)).map(([name]) => name));
  }

  /** Whether weight decay applies to the named parameter. */
  decays(name: string): boolean {
    return this.decayed.has(name);
  }

  protected override update(name: string, p: FloatArray, grad: FloatArray): void {
    this.adamUpdate(name, p, grad, 0, this.decayed.has(name) ? 1 - this.lr * this.weightDecay : 1);
  }
}

// ---------------------------------------------------------------------------------------------

/**
 * Scales all gradients together so that their global L2 norm is at most `maxNorm`.
 * Returns the norm before clipping. A non-finite norm throws, naming a parameter with a bad gradient.
 */
export function clipGradNorm(params: NamedParameters, maxNorm: number): number {
  if (!(maxNorm > 0) || !Number.isFinite(maxNorm)) throw new Error(`clipGradNorm: maxNorm must be a positive finite number, got ${maxNorm}`);
  let sumOfSquares = 0;
  for (const [, p] of params) {
    if (p.grad === null) continue;
    const g = p.grad.data;
    for (let i = 0; i < g.length; i++) sumOfSquares += g[i]! * g[i]!;
  }
  const norm = Math.sqrt(sumOfSquares);
  if (!Number.isFinite(norm)) {
    for (const [name, p] of params) if (p.grad !== null) assertUsableGrad(name, p, 'clipGradNorm');
    throw new Error(`clipGradNorm: the global gradient norm overflowed to ${norm} (gradients are finite but huge)`);
  }
  if (norm > maxNorm) {
    const scale = maxNorm / (norm + 1e-6);
    for (const [, p] of params) {
      if (p.grad === null) continue;
      const g = p.grad.data;
      for (let i = 0; i < g.length; i++) g[i] = g[i]! * scale;
    }
  }
  return norm;
}

// ---------------------------------------------------------------------------------------------

function assertUsableGrad(name: string, p: Tensor, where: string): void {
  const g = p.grad!.data;
  if (g.length !== p.data.length) throw new Error(`${where}: gradient of '${name}' has ${g.length} elements, the parameter has ${p.data.length}`);
  for (let i = 0; i < g.length; i++) {
    if (!Number.isFinite(g[i]!)) throw new Error(`${where}: gradient of '${name}' is non-finite (${g[i]} at flat index ${i}); nothing was updated`);
  }
}

function assertNonNegative(x: number, what: string): void {
  if (!(x >= 0) || !Number.isFinite(x)) throw new Error(`${what} must be a finite number ≥ 0, got ${x}`);
}

function assertInRange(x: number, low: number, high: number, what: string, highIncluded: boolean): void {
  const ok = x >= low && (highIncluded ? x <= high : x < high);
  if (!ok) throw new Error(`${what} must be in [${low}, ${high}${highIncluded ? ']' : ')'}, got ${x}`);
}
