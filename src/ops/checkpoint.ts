/**
 * A causal recurrence run over blocks of time, each block run again in backward (activation
 * checkpointing; docs/kernels.md, "Long sequences"). `step` maps one block of the inputs and the
 * state before it to the block's output and the state after it, as one call over the whole
 * sequence would.
 *
 * Forward: the blocks run one after another off the graph; what is kept for backward is the inputs
 * (the caller holds them anyway), the output, the state before each block (fast weights:
 * [B, H, dv, dk] each), and what the step asks to keep (`keep`: say a layer's input projections,
 * too dear to compute twice). Each block's own arrays go back to the scratch pool before the next
 * block. Backward, last block to first: the block's forward runs again from its saved state, on the
 * graph, handed its output and what it kept (`known`) so that it can put those on the graph instead
 * of computing them again (`ops.matmul`'s `known`), and is backpropagated with the output's gradient
 * and the gradient of its final state that the later block handed back; the gradient of its initial
 * state goes on to the earlier block. A step then holds one block's activations and gradients at a
 * time, not the whole sequence's.
 *
 * The values equal those of one call over the whole sequence up to float rounding: a block's
 * backward starts from the state the forward reached, where the whole sequence's backward rebuilds
 * its states back from the final one.
 */
import { Tensor, allocate, allocateUninitialized, type FloatArray } from '../tensor/tensor.js';
import { shapeToString } from '../tensor/shape.js';
import { record, withGradMode } from '../autograd/graph.js';
import { releaseScratchSince, scratchMark } from '../../kernels/index.js';

/**
 * One block: inputs [B, t, ...] and the states before it → output [B, t, ...], the states after it,
 * and optionally tensors [B, t, ...] to keep for backward. When the backward runs the block again,
 * `known` holds the block's output and those kept tensors, as the forward made them.
 */
export type BlockStep = (inputs: Tensor[], states: Tensor[], known?: KnownBlock) => { output: Tensor; states: Tensor[]; keep?: Tensor[] };

/** A block's output [B, t, ...] and what its step kept ([B, t, ...] each), from the forward. */
export interface KnownBlock {
  output: Tensor;
  kept: Tensor[];
}

/**
 * Runs `step` over blocks of `blockSize` time steps (the last one may be shorter) of `inputs`, all
 * [B, T, ...], carrying the states from block to block (`states` may be empty: the step's own zero
 * start). Returns the output [B, T, ...], on the graph (gradients reach `inputs` and `states`), and
 * the final states, off it. `leaves`: the other tensors on the graph that `step` reads (a module's
 * parameters; leaves only, since a tensor made by other ops would have their backward run once per
 * block): their gradients go to their `.grad` as the backward reaches each block.
 */
export function checkpointBlocks(step: BlockStep, inputs: Tensor[], states: Tensor[], blockSize: number, leaves: Tensor[] = []): { output: Tensor; states: Tensor[] } {
  const [B, T] = inputs[0]!.shape as [number, number];
  if (!(Number.isInteger(blockSize) && blockSize >= 1 && T >= 1)) throw new Error(`checkpointBlocks: needs T ≥ 1 and an integer blockSize ≥ 1, got T = ${T}, blockSize ${blockSize}`);
  for (const x of inputs) if (x.shape[0] !== B || x.shape[1] !== T) throw new Error(`checkpointBlocks: every input must be [${B}, ${T}, ...] like the first, got ${shapeToString(x.shape)}`);
  const starts: number[] = [];
  for (let t = 0; t < T; t += blockSize) starts.push(t);
  const length = (i: number) => (starts[i + 1] ?? T) - starts[i]!;
  /** Block i of x [B, T, ...] as a tensor of its own [B, t, ...]. */
  const block = (x: Tensor, i: number): Tensor => {
    const n = length(i), F = x.size / (B * T);
    let part: FloatArray;
    // One row: the block is one stretch of memory, so a view (nothing writes into an input); else a copy.
    if (B === 1) part = x.data.subarray(starts[i]! * F, (starts[i]! + n) * F);
    else copySteps(x.data, T, starts[i]!, (part = allocateUninitialized(x.dtype, B * n * F)), n, 0, n, B);
    return new Tensor(part, [B, n, ...x.shape.slice(2)]);
  };

  // The state before each block, off the graph (copies: a block's own arrays go back to the pool).
  const saved: Tensor[][] = [];
  let current = states.map((s) => s.detach());
  // The output, then what the step keeps: [B, T, ...] each, allocated at the first block.
  let wholes: Tensor[] = [];
  withGradMode(false, () => {
    for (let i = 0; i < starts.length; i++) {
      saved.push(current);
      const mark = scratchMark();
      const r = step(inputs.map((x) => block(x, i)), current);
      const parts = [r.output, ...(r.keep ?? [])];
      if (i === 0) wholes = parts.map((p) => new Tensor(allocateUninitialized(p.dtype, (p.size / length(0)) * T), [B, T, ...p.shape.slice(2)]));
      parts.forEach((p, j) => copySteps(p.data, length(i), 0, wholes[j]!.data, T, starts[i]!, length(i), B));
      current = r.states.map((s) => new Tensor(s.data.slice(), s.shape));
      releaseScratchSince(mark, wholes.map((t) => t.data));
    }
  });
  const [whole, ...kept] = wholes as [Tensor, ...Tensor[]];

  const output = record('checkpointBlocks', [...inputs, ...states, ...leaves], whole, (g) => {
    const grads = inputs.map((x) => (x.requiresGrad ? allocate(x.dtype, x.size) : null));
    // dL/d(the states after block i), handed back by block i + 1; none after the last block.
    let dStates: (FloatArray | null)[] = [];
    // A block of an input that needs a gradient is recorded off this leaf, with a backward that writes
    // its gradient straight into the input's gradient rows (a leaf's .grad would be a copy of it).
    const anchor = new Tensor(allocate(whole.dtype, 1), [1], { requiresGrad: true });
    withGradMode(true, () => {
      for (let i = starts.length - 1; i >= 0; i--) {
        const mark = scratchMark();
        const parts = inputs.map((x, j) => {
          const into = grads[j];
          if (!into) return block(x, i);
          return record('checkpointBlocks.input', [anchor], block(x, i), (gPart) => {
            copySteps(gPart, length(i), 0, into, T, starts[i]!, length(i), B);
            return [null];
          });
        });
        const initial = saved[i]!.map((s, j) => new Tensor(s.data, s.shape, { requiresGrad: i > 0 || states[j]!.requiresGrad }));
        const r = step(parts, initial, { output: block(whole, i), kept: kept.map((k) => block(k, i)) });
        const endGrads = [block(new Tensor(g, whole.shape), i).data, ...r.states.map((_, j) => dStates[j] ?? null)];
        // One root for the output and the final states: its backward hands each of them its gradient.
        record('checkpointBlocks.block', [r.output, ...r.states], new Tensor(allocate(whole.dtype, 1), [1]), () => endGrads).backward();
        // Leaf gradients made inside a scratch scope are copies (src/autograd/graph.ts): they outlive the release.
        dStates = initial.map((s) => s.grad?.data ?? null);
        releaseScratchSince(mark);
      }
    });
    return [...grads, ...dStates];
  });
  return { output, states: current };
}

/** Copies time steps [fromStart, fromStart + n) of a [B, fromT, F] array to steps [toStart, toStart + n) of a [B, toT, F] one. */
function copySteps(from: FloatArray, fromT: number, fromStart: number, to: FloatArray, toT: number, toStart: number, n: number, B: number): void {
  const F = from.length / (B * fromT);
  for (let b = 0; b < B; b++) to.set(from.subarray((b * fromT + fromStart) * F, (b * fromT + fromStart + n) * F), (b * toT + toStart) * F);
}
