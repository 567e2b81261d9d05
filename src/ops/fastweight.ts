/**
 * Fast weight programmer ops: the sum rule (linear attention) and the delta rule as single autograd
 * ops over whole sequences. q and k are expected already mapped by φ (and sum-normalised if wanted);
 * the scans themselves run in the selected kernel backend (kernels/index.ts).
 *
 * Shapes: q, k [B, H, T, dk]; v [B, H, T, dv]; beta [B, H, T]; states [B, H, dv, dk]; z [B, H, dk].
 *
 * Two outputs, one graph node. The engine's `record` gives a node one output, so the scan is recorded
 * once as a flat "packed" tensor [y, finalState, finalZ] and `output`, `finalState` and `finalZ` are
 * recorded as views of it whose backward writes their gradient into their slice of the packed
 * gradient. The engine sums the slices, so gradients flow through the output and the final state
 * alike (and into initialState), with a single call of the kernel backward.
 */
import { record } from '../autograd/graph.js';
import { Tensor, allocate, type FloatArray } from '../tensor/tensor.js';
import { shapeToString } from '../tensor/shape.js';
import { getBackend, releaseEarly, sharesMemory } from '../../kernels/index.js';
import { assertSameDType, assertTensor } from './util.js';

export interface FastWeightSumOptions {
  /** Attention normalisation: y_t = W_t q_t / (z_t · q_t + eps), z_t = z_{t−1} + k_t. Default false. */
  normalise?: boolean;
  /** Added to the normaliser (default 1e-6). */
  eps?: number;
  /** W_0, [B, H, dv, dk] (default zeros). Receives gradients. */
  initialState?: Tensor;
  /** z_0, [B, H, dk] (default zeros); only with normalise. Receives gradients. */
  initialZ?: Tensor;
}

export interface FastWeightDeltaOptions {
  /** W_0, [B, H, dv, dk] (default zeros). Receives gradients. */
  initialState?: Tensor;
}

export interface FastWeightResult {
  /** y, [B, H, T, dv] */
  output: Tensor;
  /** W_T, [B, H, dv, dk]; differentiable (gradients reach q, k, v, β and initialState through it). */
  finalState: Tensor;
  /** z_T, [B, H, dk]; only for the sum rule with normalise; differentiable. */
  finalZ?: Tensor;
}

interface Dims {
  B: number;
  H: number;
  T: number;
  dk: number;
  dv: number;
}

function shapesOf(named: Record<string, Tensor | undefined>): string {
  return Object.entries(named)
    .filter(([, t]) => t !== undefined)
    .map(([name, t]) => `${name} ${shapeToString(t!.shape)}`)
    .join(', ');
}

function expectShape(op: string, what: string, t: Tensor, want: number[], all: string): void {
  if (t.rank !== want.length || t.shape.some((d, i) => d !== want[i])) {
    throw new Error(`${op}: ${what} must have shape ${shapeToString(want)}, got ${shapeToString(t.shape)} (${all})`);
  }
}

function checkQKV(op: string, q: Tensor, k: Tensor, v: Tensor, all: string): Dims {
  assertTensor(q, op, 'q');
  assertTensor(k, op, 'k');
  assertTensor(v, op, 'v');
  if (q.rank !== 4) throw new Error(`${op}: q must have shape [B, H, T, dk], got ${shapeToString(q.shape)} (${all})`);
  const [B, H, T, dk] = q.shape as [number, number, number, number];
  expectShape(op, 'k', k, [B, H, T, dk], all);
  if (v.rank !== 4) throw new Error(`${op}: v must have shape [B, H, T, dv], got ${shapeToString(v.shape)} (${all})`);
  const dv = v.shape[3]!;
  expectShape(op, 'v', v, [B, H, T, dv], all);
  return { B, H, T, dk, dv };
}

/**
 * Records the packed node and returns views of it as the op's outputs.
 * `parts` are the forward results in packed order; `backward` maps the packed gradient, already split
 * into those parts, to the inputs' gradients. Once copied in, the parts' own arrays go back to the
 * scratch pool (kernels/alloc.ts, `releaseEarly`): the caller reads the views from then on, so a
 * long sequence's output is held once, not twice.
 */
function recordPacked(op: string, inputs: Tensor[], parts: { data: FloatArray; shape: number[] }[], backward: (partGrads: FloatArray[]) => (FloatArray | null)[]): Tensor[] {
  const total = parts.reduce((s, p) => s + p.data.length, 0);
  const packedData = allocate(inputs[0]!.dtype, total);
  const offsets: number[] = [];
  let offset = 0;
  for (const p of parts) {
    offsets.push(offset);
    packedData.set(p.data, offset);
    offset += p.data.length;
  }
  // A kernel may hand back an input as a result (a state passed through): that one stays.
  for (const p of parts) if (!inputs.some((t) => sharesMemory(t.data, p.data))) releaseEarly(p.data);
  const split = (g: FloatArray) => parts.map((p, i) => g.subarray(offsets[i]!, offsets[i]! + p.data.length));
  const packed = record(op, inputs, new Tensor(packedData, [total]), (g) => backward(split(g)));
  return parts.map((p, i) => {
    const view = new Tensor(packedData.subarray(offsets[i]!, offsets[i]! + p.data.length), p.shape);
    return record(`${op}.${i === 0 ? 'output' : 'state'}`, [packed], view, (g) => {
      const full = allocate(packed.dtype, total);
      full.set(g, offsets[i]!);
      return [full];
    });
  });
}

/**
 * Sum rule (linear attention as a fast weight programmer), per batch and head:
 *   W_t = W_{t−1} + v_t ⊗ k_t,  y_t = W_t q_t,
 * or with `normalise`:  z_t = z_{t−1} + k_t,  y_t = W_t q_t / (z_t · q_t + eps).
 * q, k [B, H, T, dk]; v [B, H, T, dv] → output [B, H, T, dv], finalState [B, H, dv, dk],
 * finalZ [B, H, dk] (normalise only).
 */
export function fastWeightSum(q: Tensor, k: Tensor, v: Tensor, options: FastWeightSumOptions = {}): FastWeightResult {
  const op = 'fastWeightSum';
  const { initialState, initialZ } = options;
  const normalise = options.normalise ?? false;
  const eps = options.eps ?? 1e-6;
  const all = shapesOf({ q, k, v, initialState, initialZ });
  const { B, H, T, dk, dv } = checkQKV(op, q, k, v, all);
  const inputs = [q, k, v];
  if (initialState !== undefined) {
    assertTensor(initialState, op, 'initialState');
    expectShape(op, 'initialState', initialState, [B, H, dv, dk], all);
    inputs.push(initialState);
  }
  if (initialZ !== undefined) {
    assertTensor(initialZ, op, 'initialZ');
    if (!normalise) throw new Error(`${op}: initialZ is only used with normalise: true`);
    expectShape(op, 'initialZ', initialZ, [B, H, dk], all);
    inputs.push(initialZ);
  }
  if (!(eps >= 0)) throw new Error(`${op}: eps must be a non-negative number, got ${eps}`);
  assertSameDType(op, ...inputs);

  const N = B * H;
  const args = { q: q.data, k: k.data, v: v.data, N, T, dk, dv, normalise, eps, initialState: initialState?.data ?? null, initialZ: initialZ?.data ?? null };
  const forward = getBackend().sumScanForward(args);
  const parts = [
    { data: forward.y, shape: [B, H, T, dv] },
    { data: forward.finalState, shape: [B, H, dv, dk] },
  ];
  if (forward.finalZ) parts.push({ data: forward.finalZ, shape: [B, H, dk] });
  const [output, finalState, finalZ] = recordPacked(op, inputs, parts, ([dy, dFinalState, dFinalZ]) => {
    // Called at most once (the engine releases the graph after backward), so the backend that
    // ran the forward is asked again: a backend switch in between would be the caller's doing.
    const grads = getBackend().sumScanBackward({ ...args, forward: packedForward, dy: dy!, dFinalState: dFinalState!, dFinalZ: dFinalZ ?? null });
    const out: (FloatArray | null)[] = [grads.dq, grads.dk, grads.dv];
    if (initialState !== undefined) out.push(grads.dInitialState);
    if (initialZ !== undefined) out.push(grads.dInitialZ);
    return out;
  });
  // The backward reads the packed copies (recordPacked gave the scan's own arrays back).
  const packedForward = { ...forward, y: output!.data, finalState: finalState!.data, finalZ: finalZ?.data ?? null };
  return finalZ ? { output: output!, finalState: finalState!, finalZ } : { output: output!, finalState: finalState! };
}

/**
 * Delta rule (the paper's Eqs. 20–25), per batch and head:
 *   v̄_t = W_{t−1} k_t,  W_t = W_{t−1} + β_t (v_t − v̄_t) ⊗ k_t,  y_t = W_t q_t.
 * q, k [B, H, T, dk]; v [B, H, T, dv]; beta [B, H, T] → output [B, H, T, dv], finalState [B, H, dv, dk].
 * The backward keeps O(T·d + d²) memory per head: it rebuilds the states from the final one.
 */
export function fastWeightDelta(q: Tensor, k: Tensor, v: Tensor, beta: Tensor, options: FastWeightDeltaOptions = {}): FastWeightResult {
  const op = 'fastWeightDelta';
  const { initialState } = options;
  const all = shapesOf({ q, k, v, beta, initialState });
  const { B, H, T, dk, dv } = checkQKV(op, q, k, v, all);
  assertTensor(beta, op, 'beta');
  expectShape(op, 'beta', beta, [B, H, T], all);
  const inputs = [q, k, v, beta];
  if (initialState !== undefined) {
    assertTensor(initialState, op, 'initialState');
    expectShape(op, 'initialState', initialState, [B, H, dv, dk], all);
    inputs.push(initialState);
  }
  assertSameDType(op, ...inputs);

  const N = B * H;
  const args = { q: q.data, k: k.data, v: v.data, beta: beta.data, N, T, dk, dv, initialState: initialState?.data ?? null };
  const forward = getBackend().deltaScanForward(args);
  const parts = [
    { data: forward.y, shape: [B, H, T, dv] },
    { data: forward.finalState, shape: [B, H, dv, dk] },
  ];
  const [output, finalState] = recordPacked(op, inputs, parts, ([dy, dFinalState]) => {
    const grads = getBackend().deltaScanBackward({ ...args, forward: packedForward, dy: dy!, dFinalState: dFinalState! });
    const out: (FloatArray | null)[] = [grads.dq, grads.dk, grads.dv, grads.dbeta];
    if (initialState !== undefined) out.push(grads.dInitialState);
    return out;
  });
  // The backward reads the packed copies (recordPacked gave the scan's own arrays back).
  const packedForward = { ...forward, y: output!.data, finalState: finalState!.data };
  return { output: output!, finalState: finalState! };
}
