/**
 * Reverse mode over a recorded graph.
 *
 * Every op computes its output eagerly and, when grad mode is on and an input requires grad,
 * calls `record` with a closure that maps the output's gradient to its inputs' gradients.
 * `backward` walks the nodes in reverse topological order, sums gradients arriving by several
 * paths, stores the sums of leaves in `.grad`, then releases the graph (drops closures and
 * inputs) so that memory is freed and a second pass through it is a clear error.
 *
 * Gradients inside the walk are plain typed arrays of the same dtype as the tensor they belong to.
 */
import { Tensor, allocate, attachBackward, type BackwardFn, type FloatArray, type GraphNode } from '../tensor/tensor.js';
import { debugChecksSetting, getBackend, inScratch, releaseEarly, scratchMark, sharesMemory } from '../../kernels/index.js';
import { sameShape, shapeToString } from '../tensor/shape.js';

export type { BackwardFn, GraphNode };

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs `fn` without recording a graph (evaluation, generation, optimiser updates). */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}

/** Runs `fn` with recording on or off, then puts the mode back (a recomputed block records even when backward runs under noGrad). */
export function withGradMode<T>(on: boolean, fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = on;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

// ---------------------------------------------------------------------------------------------
// Finite checks (debug mode)

/**
 * Thrown in debug mode when an op's output holds NaN or ±Infinity; names the first op that produced
 * one, or the tensor it came from when no op did (a parameter, or input data).
 */
export class DebugCheckError extends Error {
  override name = 'DebugCheckError';
}

/** FASTWEIGHTS_DEBUG_CHECKS=1 turns the checks on from the start (kernels/settings.ts). */
let debugChecks = debugChecksSetting();

/**
 * Debug mode: every op's output (and, in backward, every gradient) is scanned for NaN and ±Infinity,
 * and the first op producing one throws a DebugCheckError naming it. Costs one pass over every
 * result; off by default.
 */
export function setDebugChecks(on: boolean): void {
  debugChecks = on;
}

export function debugChecksEnabled(): boolean {
  return debugChecks;
}

function firstNonFinite(data: ArrayLike<number>): number {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) return i;
  return -1;
}

function describeTensor(t: Tensor): string {
  return `${t.name ? `'${t.name}' ` : ''}of shape ${shapeToString(t.shape)}`;
}

/** Throws when `out` holds a non-finite value, blaming `op` if its inputs are all finite. */
function checkForward(op: string, inputs: Tensor[], out: Tensor): void {
  const at = firstNonFinite(out.data);
  if (at < 0) return;
  const value = out.data[at]!;
  for (const [k, input] of inputs.entries()) {
    const bad = firstNonFinite(input.data);
    if (bad < 0) continue;
    // Every op's output passes this check, so a non-finite input no op was blamed for came from outside.
    throw new DebugCheckError(
      `finite check: input ${k} of op '${op}', a tensor ${describeTensor(input)}, holds ${input.data[bad]} at index ${bad}; no op produced it, so it came in as a parameter or as input data`,
    );
  }
  throw new DebugCheckError(`finite check: op '${op}' produced ${value} at index ${at} of its output of shape ${shapeToString(out.shape)} from finite inputs`);
}

function checkBackward(op: string, gradOutput: FloatArray, inputGrads: (FloatArray | null)[]): void {
  if (firstNonFinite(gradOutput) >= 0) return; // blamed where it was produced
  inputGrads.forEach((g, k) => {
    const at = g ? firstNonFinite(g) : -1;
    if (at >= 0) throw new DebugCheckError(`finite check: the backward pass of op '${op}' produced ${g![at]} at index ${at} of the gradient of input ${k} from a finite gradient`);
  });
}

// ---------------------------------------------------------------------------------------------

/** Attaches `out` to the graph when any input requires grad. Returns `out` for chaining. */
export function record(op: string, inputs: Tensor[], out: Tensor, backward: BackwardFn): Tensor {
  if (debugChecks) checkForward(op, inputs, out);
  if (!gradEnabled) return out;
  let needed = false;
  for (const t of inputs) {
    if (t.node?.released) throw new Error(`${op}: an input was produced by a graph already released by backward(); recompute it`);
    if (t.requiresGrad) needed = true;
  }
  if (!needed) return out;
  out.requiresGrad = true;
  out.node = { op, inputs, backward, released: false };
  return out;
}

function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  // Iterative DFS: deep graphs (long scans unrolled op by op) would overflow the call stack.
  const stack: [Tensor, number][] = [[root, 0]];
  visited.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const [t, i] = top;
    const inputs = t.node?.inputs ?? [];
    if (i < inputs.length) {
      top[1] = i + 1;
      const child = inputs[i]!;
      if (child.requiresGrad && !visited.has(child)) {
        visited.add(child);
        stack.push([child, 0]);
      }
    } else {
      order.push(t);
      stack.pop();
    }
  }
  return order; // children before parents
}

export function backward(root: Tensor, gradient?: Tensor): void {
  if (root.node?.released) {
    throw new Error('backward(): this graph was already released by an earlier backward(); run the forward pass again');
  }
  if (!root.requiresGrad) {
    throw new Error('backward(): the tensor does not require grad (no input of its computation requires grad, or it was made under noGrad)');
  }
  let seed: FloatArray;
  if (gradient === undefined) {
    if (root.size !== 1) {
      throw new Error(`backward(): called on a tensor of shape ${shapeToString(root.shape)}; it needs a scalar, or pass a gradient of the same shape`);
    }
    seed = allocate(root.dtype, 1);
    seed[0] = 1;
  } else {
    if (!sameShape(gradient.shape, root.shape)) {
      throw new Error(`backward(): gradient shape ${shapeToString(gradient.shape)} does not match tensor shape ${shapeToString(root.shape)}`);
    }
    if (gradient.dtype !== root.dtype) throw new Error(`backward(): gradient dtype ${gradient.dtype} does not match tensor dtype ${root.dtype}`);
    seed = gradient.data.slice();
  }

  const order = topologicalOrder(root);
  // Gradients made from here on are this walk's own: once used up they go back to the scratch pool.
  const mark = scratchMark();
  const grads = new Map<Tensor, FloatArray>([[root, seed]]);
  // Op backwards may return their incoming gradient itself (add returns it to both inputs), so a
  // gradient array is only written in place once we own a private copy of it.
  const owned = new WeakSet<FloatArray>([seed]);
  for (let i = order.length - 1; i >= 0; i--) {
    const t = order[i]!;
    const g = grads.get(t);
    grads.delete(t);
    if (g === undefined) continue;
    const node = t.node;
    if (node === null) {
      // A leaf: accumulate into .grad.
      // .grad outlives the step: inside a scratch scope it is always a copy (kernels/alloc.ts).
      if (t.grad === null) t.grad = new Tensor(owned.has(g) && !inScratch() ? g : g.slice(), t.shape);
      else {
        const acc = t.grad.data;
        for (let j = 0; j < acc.length; j++) acc[j]! += g[j]!;
      }
      releaseIfUsedUp([g], grads, mark);
      continue;
    }
    if (node.released) throw new Error(`backward(): reached a node of op '${node.op}' whose graph was already released`);
    const inputGrads = node.backward(g);
    if (debugChecks) checkBackward(node.op, g, inputGrads);
    const usedUp = [g];
    node.inputs.forEach((input, k) => {
      const gi = inputGrads[k];
      if (!input.requiresGrad || gi === null || gi === undefined) return;
      if (gi.length !== input.size) {
        throw new Error(`internal error: op '${node.op}' returned a gradient of ${gi.length} elements for an input of shape ${shapeToString(input.shape)}`);
      }
      const existing = grads.get(input);
      if (existing === undefined) {
        grads.set(input, gi);
        return;
      }
      // The sum goes to a new array of our own (the backend's add, one pass).
      const sum = getBackend().binary('add', existing, existing.length, gi, gi.length, existing.length);
      owned.add(sum);
      grads.set(input, sum);
      usedUp.push(existing, gi);
    });
    releaseIfUsedUp(usedUp, grads, mark);
  }
  // Release: drop closures and inputs so saved activations can be collected.
  for (const t of order) {
    if (t.node !== null) {
      t.node.released = true;
      t.node.inputs = [];
      t.node.backward = releasedBackward;
    }
  }
}

/**
 * Gives gradient arrays that the walk has used up back to the scratch pool (kernels/alloc.ts,
 * `releaseEarly`), so that a long sequence's backward holds its frontier of gradients rather than
 * every gradient it made. Only arrays made during this walk (`mark`) qualify, and only when no
 * gradient still waiting in `pending` shares their memory (an op may hand its incoming gradient, or
 * a view of it, to its inputs). Outside a scratch scope nothing happens: the collector frees them.
 */
function releaseIfUsedUp(candidates: FloatArray[], pending: Map<Tensor, FloatArray>, mark: number): void {
  if (!inScratch()) return;
  for (const a of candidates) if (!sharedWithPending(a, pending)) releaseEarly(a, mark);
}

function sharedWithPending(a: FloatArray, pending: Map<Tensor, FloatArray>): boolean {
  for (const b of pending.values()) if (sharesMemory(a, b)) return true;
  return false;
}

function releasedBackward(): never {
  throw new Error('backward(): graph already released');
}

// Tensor.backward() runs this walk (the Tensor does not import this file: see attachBackward).
attachBackward(backward);
