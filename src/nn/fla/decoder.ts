/**
 * One-token decoding of an fla DeltaNet whose matrices are kept compact in WebAssembly memory (a model
 * loaded with `resident`; docs/pretrained.md, "Speed and memory"): the recurrent step of
 * DeltaNetForCausalLM.forward for one token, written as loops over buffers allocated once, with no
 * Tensor, graph or output array per token. Every product reads the weights where they lie and writes
 * into a buffer in the same memory (the matrix-vector kernels), the delta rule updates the fast weights
 * in place (the scan kernel with T = 1), and the small per-token work (norms, the convolution step,
 * activations, residuals) runs in plain loops between them.
 *
 * The arithmetic is the Tensor path's, step for step and in the same order (float64 where its ops
 * compute in float64, float32 roundings where they store), and every kernel computes each output
 * alone, so the logits carry the same bits as `model.forward([id], 1, 1, …)` on the wasm backend,
 * whatever the thread count (test/nn/flaDecoder.test.ts).
 *
 * Per layer: h = RMSNorm(x); [q; k; v; b; g] = W_in h (one stacked matrix); q, k, v through the short
 * convolutions (or SiLU); q, k activation and norm per head, q scaled by d_k^−1/2; β = σ(b) (× 2);
 * W ← W + β (v − W k) ⊗ k, o = W q per head; o = RMSNorm(o) (⊙ SiLU(g)); x += o_proj o;
 * x += down(SiLU(gate h') ⊙ up h') with h' = RMSNorm(x). Shapes: x [hidden]; W [H, d_v, d_k] per layer;
 * convolution caches [conv_size − 1, dim].
 */
import { Tensor } from '../../tensor/tensor.js';
import { allocateLongLived, arrangeForMatvec, compactRows, CompactMatrix, matvecInPlace, MIN_SPLIT_WORK, MIN_WASM_ELEMENTS, wasmRuntime, type WasmRuntime } from '../../../kernels/index.js';
import type { DeltaNetConfig } from './config.js';
import type { DeltaNetLayerState } from './deltaNet.js';
import type { DeltaNetForCausalLM } from './model.js';

/** fla's `l2norm` eps (as deltaNet.ts). */
const L2_NORM_EPS = 1e-6;

/** One layer's weights (views of the model's) and state (owned here). */
interface DecoderLayer {
  attnNorm: Float32Array;
  mlpNorm: Float32Array;
  oNorm: Float32Array;
  inputs: CompactMatrix;
  out: CompactMatrix;
  gateUp: CompactMatrix;
  down: CompactMatrix;
  /** Per q, k, v: the kernel [D, W], the bias or null, the last W − 1 inputs [W − 1, D]. */
  conv: { weight: Float32Array; bias: Float32Array | null; cache: Float32Array }[] | null;
  /** Fast weights [H, d_v, d_k], in WebAssembly memory (the scan kernel updates them in place). */
  W: Float32Array;
}

/** Why `model` cannot be decoded by DeltaNetDecoder (its matrices not compact and resident), or null. */
export function decoderUnsupportedReason(model: DeltaNetForCausalLM): string | null {
  const rt = wasmRuntime();
  if (rt === null || !rt.shared) return 'no shared WebAssembly memory to keep the weights in';
  const compact = (w: Tensor | CompactMatrix) => w instanceof CompactMatrix && w.residentIn(rt);
  const { layers, embeddings, norm } = model.model;
  const notCompact = 'the matrices are not kept compact in WebAssembly memory (load the model with resident weights)';
  if (!compact(embeddings.weight) || (model.lmHead !== null && !compact(model.lmHead.weight))) return notCompact;
  if (!(norm.weight.data instanceof Float32Array)) return 'the model is not float32';
  for (const layer of layers) {
    const inputs = layer.attn.stackedInputProjections, gateUp = layer.mlp.gateUp;
    if (inputs === null || gateUp === null || !compact(inputs) || !compact(gateUp) || !compact(layer.attn.oProj.weight) || !compact(layer.mlp.down.weight)) {
      return notCompact;
    }
  }
  return null;
}

export class DeltaNetDecoder {
  private readonly rt: WasmRuntime;
  private readonly config: DeltaNetConfig;
  private readonly layers: DecoderLayer[];
  private readonly finalNorm: Float32Array;
  private readonly embeddings: CompactMatrix;
  private readonly head: CompactMatrix;
  // Buffers, allocated once. In WebAssembly memory: what a kernel reads or writes.
  /** The residual stream [hidden]. */
  private readonly x: Float32Array;
  /** A norm's output or the MLP's product, before arrangeForMatvec [max(hidden, value dim, intermediate)]. */
  private readonly plain: Float32Array;
  /** A product's input as the matrix-vector kernel reads it (arrangeForMatvec). */
  private readonly arranged: Float32Array;
  /** [q; k; v; b; g] = W_in h. */
  private readonly projected: Float32Array;
  /** The delta step's inputs q [H, d_k], k [H, d_k], v [H, d_v], β [H], one after another. */
  private readonly qkvb: Float32Array;
  /** The delta step's outputs: o [H, d_v], and the writes and retrievals it keeps (unused here). */
  private readonly o: Float32Array;
  private readonly writes: Float32Array;
  private readonly retrieved: Float32Array;
  /** o_proj's or down's output [hidden]. */
  private readonly residual: Float32Array;
  /** [gate; up] [2 · intermediate]. */
  private readonly gateUpOut: Float32Array;
  private readonly logits: Float32Array;
  private readonly token = [0];
  private readonly scale: number;

  /**
   * A decoder that continues from `states` (the states the prompt's forward pass returned; copied in,
   * not kept). Throws when decoderUnsupportedReason names a reason.
   */
  constructor(model: DeltaNetForCausalLM, states: readonly DeltaNetLayerState[]) {
    const reason = decoderUnsupportedReason(model);
    if (reason !== null) throw new Error(`DeltaNetDecoder: ${reason}`);
    const c = model.config;
    if (states.length !== c.numHiddenLayers) throw new Error(`DeltaNetDecoder: ${states.length} states for ${c.numHiddenLayers} layers`);
    this.rt = wasmRuntime()!;
    this.config = c;
    const inHeap = (n: number) => {
      const a = allocateLongLived(n);
      if (!this.rt.heap.holds(a)) throw new Error('DeltaNetDecoder: WebAssembly memory is full');
      return a;
    };
    const { hiddenSize: hidden, keyDim, valueDim, numHeads: H, headKDim: dk, headVDim: dv, intermediateSize: inter } = c;
    const widest = Math.max(hidden, valueDim, inter);
    this.x = new Float32Array(hidden);
    this.plain = new Float32Array(widest);
    this.arranged = inHeap(widest);
    this.projected = inHeap(2 * keyDim + valueDim + (c.useBeta ? H : 0) + (c.useGate ? valueDim : 0));
    this.qkvb = inHeap(2 * keyDim + valueDim + H);
    if (!c.useBeta) this.qkvb.fill(c.allowNegEigval ? 2 : 1, 2 * keyDim + valueDim);
    this.o = inHeap(valueDim);
    this.writes = inHeap(valueDim);
    this.retrieved = inHeap(valueDim);
    this.residual = inHeap(hidden);
    this.gateUpOut = inHeap(2 * inter);
    this.logits = inHeap(c.vocabSize);
    this.scale = Math.fround(1 / Math.sqrt(dk));
    this.finalNorm = model.model.norm.weight.data as Float32Array;
    this.embeddings = model.model.embeddings.weight as CompactMatrix;
    this.head = (model.lmHead?.weight ?? model.model.embeddings.weight) as CompactMatrix;
    this.layers = model.model.layers.map((layer, i) => {
      const state = states[i]!;
      if (state.W.size !== H * dv * dk) throw new Error(`DeltaNetDecoder: layer ${i}'s fast weights have ${state.W.size} values, not ${H} · ${dv} · ${dk}`);
      const W = inHeap(H * dv * dk);
      W.set(state.W.data);
      const { qConv, kConv, vConv } = layer.attn;
      let conv: DecoderLayer['conv'] = null;
      if (qConv && kConv && vConv) {
        const caches = state.conv;
        conv = [
          [qConv, caches?.q],
          [kConv, caches?.k],
          [vConv, caches?.v],
        ].map(([module, cache]) => {
          const m = module as NonNullable<typeof qConv>;
          const own = new Float32Array((m.kernelSize - 1) * m.dim);
          if (cache) own.set((cache as Tensor).data);
          return { weight: m.weight.data as Float32Array, bias: (m.bias?.data as Float32Array | undefined) ?? null, cache: own };
        });
      }
      return {
        attnNorm: layer.attnNorm.weight.data as Float32Array,
        mlpNorm: layer.mlpNorm.weight.data as Float32Array,
        oNorm: layer.attn.oNorm.weight.data as Float32Array,
        inputs: layer.attn.stackedInputProjections!,
        out: layer.attn.oProj.weight as CompactMatrix,
        gateUp: layer.mlp.gateUp!,
        down: layer.mlp.down.weight as CompactMatrix,
        conv,
        W,
      };
    });
  }

  /**
   * Reads one token and returns the logits for the next [vocab]: a view of this decoder's buffer,
   * overwritten by the next step.
   */
  step(token: number): Float32Array {
    const c = this.config;
    if (!Number.isInteger(token) || token < 0 || token >= c.vocabSize) throw new Error(`DeltaNetDecoder: token ${token} is outside the vocabulary [0, ${c.vocabSize})`);
    if (wasmRuntime() !== this.rt) throw new Error('DeltaNetDecoder: the WebAssembly runtime was replaced (thread count changed?) since the decoder was built; build a new one');
    this.token[0] = token;
    compactRows(this.embeddings, this.token, this.x);
    for (const layer of this.layers) {
      this.attend(layer);
      this.feedForward(layer);
    }
    this.normInto(this.x, this.finalNorm, c.hiddenSize);
    matvecInPlace(this.rt, this.head, this.arranged.subarray(0, c.hiddenSize), this.logits);
    return this.logits;
  }

  /** x += attn(attn_norm(x)), the fast weights updated. */
  private attend(layer: DecoderLayer): void {
    const c = this.config;
    const { hiddenSize: hidden, keyDim, valueDim, numHeads: H, headKDim: dk, headVDim: dv } = c;
    this.normInto(this.x, layer.attnNorm, hidden);
    matvecInPlace(this.rt, layer.inputs, this.arranged.subarray(0, hidden), this.projected);
    const p = this.projected, qkvb = this.qkvb;
    // q, k, v: the short convolutions (SiLU inside for q, k with silu, always for v), or SiLU alone.
    const qkSilu = c.qkActivation === 'silu';
    const parts = [
      [0, keyDim, qkSilu],
      [keyDim, keyDim, qkSilu],
      [2 * keyDim, valueDim, true],
    ] as const;
    for (let part = 0; part < 3; part++) {
      const [from, D, silu] = parts[part]!;
      if (layer.conv) convolutionStep(p, from, D, layer.conv[part]!, silu, qkvb);
      else if (silu) for (let i = from; i < from + D; i++) qkvb[i] = siluOf(p[i]!);
      else qkvb.set(p.subarray(from, from + D), from);
    }
    this.activateAndNormalise(qkvb.subarray(0, keyDim), 'q');
    this.activateAndNormalise(qkvb.subarray(keyDim, 2 * keyDim), 'k');
    for (let i = 0; i < keyDim; i++) qkvb[i] = Math.fround(qkvb[i]! * this.scale);
    const betaAt = 2 * keyDim + valueDim;
    if (c.useBeta) {
      for (let h = 0; h < H; h++) {
        const b = Math.fround(sigmoidOf(p[betaAt + h]!));
        qkvb[betaAt + h] = c.allowNegEigval ? b * 2 : b;
      }
    }
    this.deltaStep(layer.W);
    // o = RMSNorm(o) per head (⊙ SiLU(g) with use_gate), into the output projection.
    const o = this.o, plain = this.plain, eps = c.normEps, w = layer.oNorm;
    const gAt = betaAt + (c.useBeta ? H : 0);
    for (let h = 0; h < H; h++) {
      const base = h * dv;
      let squares = 0;
      for (let j = 0; j < dv; j++) squares += o[base + j]! * o[base + j]!;
      const rs = 1 / Math.sqrt(squares / dv + eps);
      if (c.useGate) for (let j = 0; j < dv; j++) plain[base + j] = Math.fround(o[base + j]! * rs * w[j]!) * Math.fround(siluOf(p[gAt + base + j]!));
      else for (let j = 0; j < dv; j++) plain[base + j] = o[base + j]! * rs * w[j]!;
    }
    arrangeForMatvec(plain.subarray(0, valueDim), layer.out.dtype, this.arranged.subarray(0, valueDim));
    matvecInPlace(this.rt, layer.out, this.arranged.subarray(0, valueDim), this.residual);
    addInto(this.x, this.residual);
  }

  /** x += down(SiLU(gate h) ⊙ up h), h = mlp_norm(x). */
  private feedForward(layer: DecoderLayer): void {
    const { hiddenSize: hidden, intermediateSize: inter } = this.config;
    this.normInto(this.x, layer.mlpNorm, hidden);
    const gu = this.gateUpOut, plain = this.plain;
    matvecInPlace(this.rt, layer.gateUp, this.arranged.subarray(0, hidden), gu);
    for (let i = 0; i < inter; i++) plain[i] = Math.fround(siluOf(gu[i]!)) * gu[inter + i]!;
    arrangeForMatvec(plain.subarray(0, inter), layer.down.dtype, this.arranged.subarray(0, inter));
    matvecInPlace(this.rt, layer.down, this.arranged.subarray(0, inter), this.residual);
    addInto(this.x, this.residual);
  }

  /** RMSNorm(x) ⊙ w as rmsNorm (src/ops/norms.ts) computes it, arranged for the next product (all of whose inputs are [hidden] wide). */
  private normInto(x: Float32Array, w: Float32Array, D: number): void {
    const plain = this.plain;
    let squares = 0;
    for (let j = 0; j < D; j++) squares += x[j]! * x[j]!;
    const rs = 1 / Math.sqrt(squares / D + this.config.normEps);
    for (let j = 0; j < D; j++) plain[j] = x[j]! * rs * w[j]!;
    // Every [hidden]-wide product of a layer and the head share one format: arranged for the first's.
    arrangeForMatvec(plain.subarray(0, D), this.layers[0]?.inputs.dtype ?? this.head.dtype, this.arranged.subarray(0, D));
  }

  /** q or k [H · d_k] in place: the qk activation other than silu (applied before), then the qk norm per head. */
  private activateAndNormalise(x: Float32Array, what: 'q' | 'k'): void {
    const c = this.config, dk = c.headKDim, n = x.length;
    if (c.qkActivation === 'relu') for (let i = 0; i < n; i++) x[i] = x[i]! > 0 ? x[i]! : 0;
    else if (c.qkActivation === 'elu') this.eluPlusOne(x);
    for (let base = 0; base < n; base += dk) {
      let s = 0;
      if (c.qkNorm === 'l2') {
        for (let j = 0; j < dk; j++) s += x[base + j]! * x[base + j]!;
        const rs = 1 / Math.sqrt(s + L2_NORM_EPS);
        for (let j = 0; j < dk; j++) x[base + j] = x[base + j]! * rs;
      } else {
        for (let j = 0; j < dk; j++) s += x[base + j]!;
        if (Math.fround(s) === 0) {
          throw new Error(`DeltaNetAttention: qk_norm "sum" divides ${what} by its sum, and one head's ${what} sums to 0 after qk_activation "${c.qkActivation}" (fla gives NaN there)`);
        }
        for (let j = 0; j < dk; j++) x[base + j] = x[base + j]! / s;
      }
    }
  }

  /** elu(x) + 1 in place, by the code the Tensor path's eluPlusOne runs for an array this long (the wasm kernel or the plain loop). */
  private eluPlusOne(x: Float32Array): void {
    if (x.length >= MIN_WASM_ELEMENTS) { // where the Tensor path's eluPlusOne leaves its plain loop for the wasm kernel
      this.rt.reset();
      this.rt.run('eluPlusOneF32', (lo, hi) => [x.byteOffset, x.byteOffset, lo, hi], x.length, 0, false);
      return;
    }
    for (let i = 0; i < x.length; i++) x[i] = x[i]! > 0 ? x[i]! + 1 : Math.exp(x[i]!);
  }

  /** The delta rule for one step on every head, W updated in place, o = W q (the scan kernel with T = 1). */
  private deltaStep(W: Float32Array): void {
    const { keyDim, valueDim, numHeads: H, headKDim: dk, headVDim: dv } = this.config;
    const rt = this.rt, base = this.qkvb.byteOffset;
    const [q, k, v, beta] = [base, base + 4 * keyDim, base + 8 * keyDim, base + 4 * (2 * keyDim + valueDim)];
    const args = [q, k, v, beta, this.o.byteOffset, W.byteOffset, this.writes.byteOffset, this.retrieved.byteOffset, W.byteOffset, 1, dk, dv];
    rt.reset();
    rt.run('deltaScanForwardF32', (lo, hi) => [...args, lo, hi], H, rt.kernels.deltaScanScratchFloats(dk, dv), H * dk * dv >= MIN_SPLIT_WORK); // split as the Tensor path's scan
  }

  /** The state now, as DeltaNetForCausalLM.forward returns it (copies): for comparing with the Tensor path. */
  states(): DeltaNetLayerState[] {
    const { numHeads: H, headKDim: dk, headVDim: dv } = this.config;
    return this.layers.map((layer) => ({
      W: new Tensor(layer.W.slice(), [1, H, dv, dk]),
      conv: layer.conv && {
        q: new Tensor(layer.conv[0]!.cache.slice(), [1, layer.conv[0]!.cache.length / this.config.keyDim, this.config.keyDim]),
        k: new Tensor(layer.conv[1]!.cache.slice(), [1, layer.conv[1]!.cache.length / this.config.keyDim, this.config.keyDim]),
        v: new Tensor(layer.conv[2]!.cache.slice(), [1, layer.conv[2]!.cache.length / this.config.valueDim, this.config.valueDim]),
      },
    }));
  }
}

/** σ(v) as sigmoid (src/ops/sigmoidLoops.ts), in float64. */
function sigmoidOf(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

/** SiLU(v) = v σ(v) as silu (src/ops/sigmoidLoops.ts), in float64. */
function siluOf(v: number): number {
  return v * sigmoidOf(v);
}

/** x += y, in float32. */
function addInto(x: Float32Array, y: Float32Array): void {
  for (let i = 0; i < x.length; i++) x[i] = x[i]! + y[i]!;
}

/**
 * One step of a short convolution (causalConv1d in src/ops/shortConv.ts, T = 1): channel d of
 * p[from, from + D) against its kernel over the cache's W − 1 inputs and this one, summed in float64
 * from the bias in the kernel's order, rounded, then SiLU when `silu`; into out[from …]. The cache
 * moves on by one input.
 */
function convolutionStep(p: Float32Array, from: number, D: number, conv: { weight: Float32Array; bias: Float32Array | null; cache: Float32Array }, silu: boolean, out: Float32Array): void {
  const { weight: w, bias, cache } = conv;
  const W = w.length / D;
  for (let d = 0; d < D; d++) {
    let s = bias ? bias[d]! : 0;
    for (let j = 0; j < W - 1; j++) s += w[d * W + j]! * cache[j * D + d]!;
    const xd = p[from + d]!;
    s += w[d * W + W - 1]! * xd;
    out[from + d] = silu ? siluOf(Math.fround(s)) : s;
  }
  if (W > 1) {
    cache.copyWithin(0, D);
    cache.set(p.subarray(from, from + D), (W - 2) * D);
  }
}
