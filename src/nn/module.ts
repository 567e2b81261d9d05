/**
 * Module: a container of named parameters and child modules, with a train/eval switch.
 * Names are dotted paths (`blocks.0.attention.query.weight`): the same names are used by the
 * optimisers, checkpoints (safetensors keys) and error messages.
 */
import { Tensor, type DType } from '../tensor/tensor.js';
import { shapeToString } from '../tensor/shape.js';
import { noGrad } from '../autograd/graph.js';
import type { CompactMatrix } from '../../kernels/index.js';

export abstract class Module {
  training = true;
  private readonly parameterMap = new Map<string, Tensor>();
  private readonly childMap = new Map<string, Module>();
  private readonly compactMap = new Map<string, CompactMatrix>();

  private assertNewName(name: string): void {
    if (this.parameterMap.has(name) || this.childMap.has(name) || this.compactMap.has(name)) throw new Error(`Module: duplicate name '${name}'`);
  }

  /** Registers a parameter (it becomes trainable) and returns it. */
  protected param(name: string, value: Tensor): Tensor {
    this.assertNewName(name);
    value.requiresGrad = true;
    value.name = name;
    this.parameterMap.set(name, value);
    return value;
  }

  /** Registers a child module and returns it. */
  protected child<M extends Module>(name: string, module: M): M {
    this.assertNewName(name);
    this.childMap.set(name, module);
    return module;
  }

  /**
   * Registers a weight kept compact for inference (kernels/matmul/resident.ts) and returns it: not a
   * parameter (no gradient, not in stateDict), listed by namedCompactWeights for a loader to fill.
   */
  protected compactWeight(name: string, value: CompactMatrix): CompactMatrix {
    this.assertNewName(name);
    this.compactMap.set(name, value);
    return value;
  }

  /** Every compact weight with its dotted path, in registration order. */
  namedCompactWeights(prefix = ''): [string, CompactMatrix][] {
    const out: [string, CompactMatrix][] = [];
    for (const [name, w] of this.compactMap) out.push([prefix + name, w]);
    for (const [name, m] of this.childMap) out.push(...m.namedCompactWeights(`${prefix}${name}.`));
    return out;
  }

  /** Every parameter with its dotted path, in registration order. */
  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [name, p] of this.parameterMap) out.push([prefix + name, p]);
    for (const [name, m] of this.childMap) out.push(...m.namedParameters(`${prefix}${name}.`));
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Total number of trainable scalars. */
  parameterCount(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }

  train(mode = true): this {
    this.training = mode;
    for (const m of this.childMap.values()) m.train(mode);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /** The parameters by name (shared tensors, not copies). */
  stateDict(): Map<string, Tensor> {
    return new Map(this.namedParameters());
  }

  /**
   * Copies values into the parameters. Every parameter must be present with its shape and dtype;
   * a missing, unexpected, misshapen or mistyped entry is an error naming it.
   */
  loadStateDict(state: Map<string, Tensor> | Record<string, Tensor>): void {
    const entries = state instanceof Map ? state : new Map(Object.entries(state));
    const own = this.stateDict();
    for (const name of entries.keys()) if (!own.has(name)) throw new Error(`loadStateDict: unexpected parameter '${name}'`);
    for (const [name, p] of own) {
      const value = entries.get(name);
      if (value === undefined) throw new Error(`loadStateDict: missing parameter '${name}'`);
      if (shapeToString(value.shape) !== shapeToString(p.shape)) {
        throw new Error(`loadStateDict: parameter '${name}' has shape ${shapeToString(value.shape)}, the model expects ${shapeToString(p.shape)}`);
      }
      // Copying float64 into float32 (or back) would silently change the numbers.
      if (value.dtype !== p.dtype) throw new Error(`loadStateDict: parameter '${name}' is ${value.dtype}, the model expects ${p.dtype}`);
    }
    // All checked: only now change anything, so a refused state leaves the model as it was.
    for (const [name, p] of own) p.data.set(entries.get(name)!.data);
  }

  /** dtype of the parameters (float32 unless the module was built for float64). */
  get dtype(): DType {
    return this.parameters()[0]?.dtype ?? 'float32';
  }
}

/**
 * Runs fn with the module in eval mode (no dropout, fixed FAVOR+ features) and without recording a
 * graph, then restores the mode it had: for evaluation, decoding and sampling.
 */
export function inference<T>(module: Module, fn: () => T): T {
  const wasTraining = module.training;
  module.eval();
  try {
    return noGrad(fn);
  } finally {
    module.train(wasTraining);
  }
}
