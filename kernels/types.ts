/**
 * The one interface between the autograd ops and the hot loops, KernelBackend, made of small ones (the
 * products, the scans, elementwise, attention, loss, feature maps, optimiser, array passes). Every
 * backend (reference, js, wasm, gpu) implements it on flat row-major typed arrays; the autograd ops in
 * src/ops never see which one runs.
 *
 * Conventions: N = batch · heads flattened (the scans are independent per head), T = time,
 * dk = d_dot (feature size of q and k after φ), dv = value size. The fast weight state W of one head
 * is a dv × dk matrix stored row-major, so y_t = W q_t reads row i of W against q_t.
 * Outputs are freshly allocated with the dtype of the inputs (float32 or float64).
 */
export type FloatArray = Float32Array | Float64Array;

/** One Adam(W) step's constants (KernelBackend.adamStep; equations in ./optim/reference.ts). */
export interface AdamStep {
  beta1: number;
  beta2: number;
  eps: number;
  /** lr / (1 − β1ᵗ) */
  stepSize: number;
  /** 1 / (1 − β2ᵗ) */
  inverseCorrection2: number;
  /** Adam's L2 coefficient folded into the gradient (0 for AdamW). */
  l2: number;
  /** AdamW's decoupled decay factor 1 − lr · wd applied to p first (1 for none). */
  shrink: number;
}

/** The elementwise arithmetic of KernelBackend.binary. */
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div';

/**
 * out[b] = op(A[b]) · op(B[b]) for b < batch, with op(X) = X or Xᵀ.
 * A[b] is m × k (or k × m when transA), B[b] is k × n (or n × k when transB), out[b] is m × n.
 * aBatchStride / bBatchStride are the element offsets between consecutive matrices; 0 broadcasts
 * one matrix over the whole batch. With `accumulate`, out += result instead of out = result.
 */
export interface MatmulArgs {
  a: FloatArray;
  b: FloatArray;
  out: FloatArray;
  batch: number;
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  aBatchStride: number;
  bBatchStride: number;
  accumulate?: boolean;
}

/** Sum rule (linear attention as a fast weight programmer), per head:
 *  W_t = W_{t−1} + v_t ⊗ k_t,  y_t = W_t q_t, or with `normalise`:
 *  z_t = z_{t−1} + k_t,  y_t = W_t q_t / (z_t · q_t + eps).
 *  q, k: [N, T, dk]; v: [N, T, dv]; initialState: [N, dv, dk]; initialZ: [N, dk]. */
export interface SumScanForwardArgs {
  q: FloatArray;
  k: FloatArray;
  v: FloatArray;
  N: number;
  T: number;
  dk: number;
  dv: number;
  normalise: boolean;
  eps: number;
  initialState: FloatArray | null;
  initialZ: FloatArray | null;
}

export interface SumScanForwardResult {
  /** [N, T, dv] */
  y: FloatArray;
  /** [N, dv, dk] */
  finalState: FloatArray;
  /** [N, dk], only when normalise (else null) */
  finalZ: FloatArray | null;
}

export interface SumScanBackwardArgs extends SumScanForwardArgs {
  /** what the forward returned */
  forward: SumScanForwardResult;
  /** [N, T, dv] */
  dy: FloatArray;
  /** [N, dv, dk] or null (no gradient flows into the final state) */
  dFinalState: FloatArray | null;
  /** [N, dk] or null */
  dFinalZ: FloatArray | null;
}

export interface SumScanGrads {
  dq: FloatArray;
  dk: FloatArray;
  dv: FloatArray;
  /** null when initialState was null */
  dInitialState: FloatArray | null;
  /** null when initialZ was null */
  dInitialZ: FloatArray | null;
}

/** Delta rule, per head (the paper's Eqs. 20–25 with q, k already mapped by φ):
 *  v̄_t = W_{t−1} k_t;  W_t = W_{t−1} + β_t (v_t − v̄_t) ⊗ k_t;  y_t = W_t q_t.
 *  q, k: [N, T, dk]; v: [N, T, dv]; beta: [N, T]; initialState: [N, dv, dk]. */
export interface DeltaScanForwardArgs {
  q: FloatArray;
  k: FloatArray;
  v: FloatArray;
  beta: FloatArray;
  N: number;
  T: number;
  dk: number;
  dv: number;
  initialState: FloatArray | null;
}

export interface DeltaScanForwardResult {
  /** [N, T, dv] */
  y: FloatArray;
  /** [N, dv, dk] */
  finalState: FloatArray;
  /** What the backward needs instead of every W_t: the writes u_t = β_t (v_t − v̄_t), [N, T, dv]. */
  writes: FloatArray;
  /** v̄_t = W_{t−1} k_t, [N, T, dv] */
  retrieved: FloatArray;
}

export interface DeltaScanBackwardArgs extends DeltaScanForwardArgs {
  forward: DeltaScanForwardResult;
  dy: FloatArray;
  dFinalState: FloatArray | null;
}

export interface DeltaScanGrads {
  dq: FloatArray;
  dk: FloatArray;
  dv: FloatArray;
  /** [N, T] */
  dbeta: FloatArray;
  dInitialState: FloatArray | null;
}

/** The products: matrix products and outer products. Families: kernels/matmul, kernels/outer. */
export interface ProductKernels {
  matmul(args: MatmulArgs): void;
  /** out[b, i, j] = a[b, i] · c[b, j]; a: [batch, m], c: [batch, n] → [batch, m, n] */
  outer(a: FloatArray, c: FloatArray, batch: number, m: number, n: number): FloatArray;
  /** out[b, i, j] = Σ_t a[b, t, i] · c[b, t, j]; a: [batch, T, m], c: [batch, T, n] → [batch, m, n] */
  outerSum(a: FloatArray, c: FloatArray, batch: number, T: number, m: number, n: number): FloatArray;
}

/** The fast weight scans, forward and backward. Families: kernels/sumRule, kernels/deltaRule. */
export interface ScanKernels {
  sumScanForward(args: SumScanForwardArgs): SumScanForwardResult;
  sumScanBackward(args: SumScanBackwardArgs): SumScanGrads;
  deltaScanForward(args: DeltaScanForwardArgs): DeltaScanForwardResult;
  deltaScanBackward(args: DeltaScanBackwardArgs): DeltaScanGrads;
}

/** Elementwise hot paths (equations in ./elementwise/reference.ts); outputs are new arrays. */
export interface ElementwiseKernels {
  /** GELU (tanh form) of every element. */
  gelu(x: FloatArray): FloatArray;
  /** GELU of every element and its derivative GELU′ there, in one pass (the backward is g ⊙ slope). */
  geluWithSlope(x: FloatArray): { y: FloatArray; slope: FloatArray };
  /** ELU(x) + 1 of every element. */
  eluPlusOne(x: FloatArray): FloatArray;
  /** Softmax of each row of x [rows, C] → probs [rows, C], and each row's log-sum-exp [rows]. */
  softmaxRows(x: FloatArray, rows: number, C: number): { probs: FloatArray; logSumExp: FloatArray };
  /**
   * Layer normalisation of each row of x [rows, D]: rstd [rows] = 1/√(var + eps), xhat = (x − mean) · rstd,
   * out = xhat ⊙ weight + bias (weight, bias [D]). xhat and rstd are what the backward needs.
   */
  layerNormRows(x: FloatArray, weight: FloatArray, bias: FloatArray, rows: number, D: number, eps: number): { out: FloatArray; xhat: FloatArray; rstd: FloatArray };
  /** The backward of layerNormRows for the output gradient g [rows, D]: dx [rows, D], dWeight and dBias [D] (sums over the rows, in row order). */
  layerNormRowsBackward(g: FloatArray, xhat: FloatArray, rstd: FloatArray, weight: FloatArray, rows: number, D: number): { dx: FloatArray; dWeight: FloatArray; dBias: FloatArray };
}

/** The softmax of scaled dot-product attention over a key mask. Family: kernels/attention. */
export interface AttentionKernels {
  /**
   * Attention weights of scores [N = B·H, T, S]: softmax over s of scale · score, keys where blocked
   * [B, T, S] is non-zero scoring −1e9 (blocked may be null). Equations in ./attention/reference.ts.
   */
  maskedSoftmax(scores: FloatArray, blocked: FloatArray | null, scale: number, B: number, H: number, T: number, S: number): FloatArray;
  /** The backward of maskedSoftmax: dS = scale · P ⊙ (dP − Σ_s dP ⊙ P), 0 at blocked keys. */
  maskedSoftmaxBackward(dP: FloatArray, P: FloatArray, blocked: FloatArray | null, scale: number, B: number, H: number, T: number, S: number): FloatArray;
}

/** The cross-entropy loss and its gradient. Family: kernels/crossEntropy. */
export interface LossKernels {
  /**
   * Cross-entropy of logits [rows, C] against targets [rows] (−1: not counted) with label smoothing
   * eps: each row's softmax, log-sum-exp and loss. Equations in ./crossEntropy/reference.ts.
   */
  crossEntropyRows(logits: FloatArray, targets: Int32Array, rows: number, C: number, eps: number): { probs: FloatArray; logSumExp: FloatArray; losses: FloatArray };
  /** The gradient of crossEntropyRows's losses with row r's scaled by rowScale[r]. */
  crossEntropyRowsBackward(probs: FloatArray, targets: Int32Array, rowScale: FloatArray, rows: number, C: number, eps: number): FloatArray;
}

/** The passes behind the feature maps φ (equations in ./featureMap/reference.ts). */
export interface FeatureMapKernels {
  /** ELU + 1's backward: g where x > 0, else g ⊙ out (out = ELU(x) + 1). Equations in ./featureMap/reference.ts. */
  eluPlusOneBackward(x: FloatArray, out: FloatArray, g: FloatArray): FloatArray;
  /** Rows of x [rows, D] divided by their sums plus eps: out [rows, D] and the sums [rows]. */
  sumNormaliseRows(x: FloatArray, rows: number, D: number, eps: number): { out: FloatArray; sums: FloatArray };
  /** The backward of sumNormaliseRows: dx_j = (g_j − Σ_i g_i out_i) / sum. */
  sumNormaliseRowsBackward(g: FloatArray, out: FloatArray, sums: FloatArray, rows: number, D: number): FloatArray;
}

/** The optimiser's update. Family: kernels/optim. */
export interface OptimiserKernels {
  /** One Adam(W) step in place on p, m, v from grad (all the same length). Equations in ./optim/reference.ts. */
  adamStep(p: FloatArray, grad: FloatArray, m: FloatArray, v: FloatArray, step: AdamStep): void;
}

/** Array passes around the products (equations in ./arrays/reference.ts); outputs are new arrays. */
export interface ArrayKernels {
  /**
   * out[i] = a[i mod aPeriod] op b[i mod bPeriod] for i < n: equal shapes (periods n), a scalar
   * (period 1) and a bias over rows (period D) are the broadcasts the ops send here.
   */
  binary(op: BinaryOp, a: FloatArray, aPeriod: number, b: FloatArray, bPeriod: number, n: number): FloatArray;
  /** Column sums of x [rows, cols] → [cols], each column's rows added in order (a bias's gradient). */
  sumRows(x: FloatArray, rows: number, cols: number): FloatArray;
  /** out[r · run + j] = x[index[r] · run + j]: runs of `run` elements in the order `index` gives (a permute). */
  gatherRuns(x: FloatArray, index: Int32Array, run: number): FloatArray;
  /** The inverse of gatherRuns for a permutation `index`: out[index[r] · run + j] = x[r · run + j]. */
  scatterRuns(x: FloatArray, index: Int32Array, run: number): FloatArray;
  /**
   * Inverted dropout: mask[i] = 0 where draw i >> 2 of lane i & 3 of four xoshiro128** generators
   * seeded from the generator with state words `state` is below p · 2³², else `scale`; out = x ⊙ mask.
   * Advances `state` in place by 16 draws (kernels/arrays/reference.ts: dropoutLanes, fillKeepMask).
   */
  dropout(x: FloatArray, p: number, scale: number, state: Uint32Array): { out: FloatArray; mask: FloatArray };
}

/** Every kernel the autograd ops call, under the backend's name: the small interfaces above, together. */
export interface KernelBackend extends ProductKernels, ScanKernels, ElementwiseKernels, AttentionKernels, LossKernels, FeatureMapKernels, OptimiserKernels, ArrayKernels {
  readonly name: 'reference' | 'js' | 'wasm' | 'gpu';
}

/** What a backend made from another lists: the kernels it runs its own way (see kernels/backends/override.ts). */
export type KernelOverrides = Partial<Omit<KernelBackend, 'name'>>;
