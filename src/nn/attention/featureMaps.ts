/**
 * Feature maps φ: R^{dKey} → R^{dDot} (docs/architecture.md, "The attention family"), built from differentiable ops so their
 * gradients come from the engine. Input and output shapes: [..., dKey] → [..., dDot].
 */
import { Tensor, allocate, type DType } from '../../tensor/tensor.js';
import type { Rng } from '../../tensor/rng.js';
import * as ops from '../../ops/index.js';
import { rescaleLargeRows } from './robust.js';

export interface FeatureMap {
  readonly name: string;
  /** Output size d_dot for an input of size dKey. */
  readonly dDot: number;
  apply(x: Tensor, training: boolean): Tensor;
  /**
   * Called once at the start of every layer forward: a random map draws its features for this
   * batch here, so that the queries and keys of one forward share them.
   */
  beginForward?(training: boolean): void;
  /**
   * φ(x) times some positive factor per row (along the last axis), chosen so that nothing
   * overflows or underflows. Sum normalisation cancels such a factor, so the layer uses this when
   * it normalises; maps without it are used as they are.
   */
  applyUpToRowScale?(x: Tensor, training: boolean): Tensor;
}

/** ELU(x) + 1: positive, d_dot = d_key (the Linear Transformer's map). */
export class EluFeatureMap implements FeatureMap {
  readonly name = 'elu';
  readonly dDot: number;
  constructor(dKey: number) {
    this.dDot = dKey;
  }
  apply(x: Tensor): Tensor {
    return ops.eluPlusOne(x);
  }
}

/**
 * DPFP (the paper's Deterministic Parameter-Free Projection) with capacity knob ν:
 * r = ReLU([x; −x]) ∈ R^{2 dKey};  φ = concat_{j=1..ν} (r ⊙ roll(r, j));  d_dot = 2 dKey ν.
 * roll(r, j)_i = r_{(i − j) mod 2dKey}, as torch.roll.
 */
export class DpfpFeatureMap implements FeatureMap {
  readonly name = 'dpfp';

  readonly dDot: number;
  constructor(readonly dKey: number, readonly nu: number) {
    if (!Number.isInteger(nu) || nu < 1) throw new Error(`dpfp: nu must be an integer ≥ 1, got ${nu}`);
    if (nu >= 2 * dKey) throw new Error(`dpfp: nu = ${nu} must be below 2·d_key = ${2 * dKey} (larger shifts repeat features)`);
    this.dDot = 2 * dKey * nu;
  }
  apply(x: Tensor): Tensor {
    const r = ops.relu(ops.concat([x, ops.neg(x)], -1));
    const n = 2 * this.dKey;
    const parts: Tensor[] = [];
    for (let j = 1; j <= this.nu; j++) {
      const rolled = ops.concat([ops.slice(r, -1, n - j, n), ops.slice(r, -1, 0, n - j)], -1);
      parts.push(ops.mul(r, rolled));
    }
    return parts.length === 1 ? parts[0]! : ops.concat(parts, -1);
  }
  /** Products of two ReLUs, φ(cx) = c² φ(x): huge rows are scaled down first (1e30 squared is Infinity in float32). */
  applyUpToRowScale(x: Tensor): Tensor {
    return this.apply(rescaleLargeRows(x));
  }
}

/**
 * FAVOR+ (Performer) with m orthogonal random features:
 * φ(x) = exp(−‖x‖²/2)/√(2m) · [exp(Rx); exp(−Rx)], d_dot = 2m, so that E[φ(q)·φ(k)] = exp(q·k).
 * R (m × dKey): Gaussian blocks orthogonalised (Gram–Schmidt), rows rescaled to chi-distributed norms.
 * Redrawn at every layer forward in training mode (one forward = one batch; `beginForward`), shared
 * by the queries and keys of that forward; a fixed draw is used in eval.
 */
export class FavorFeatureMap implements FeatureMap {
  readonly name = 'favor';
  readonly dDot: number;
  private evalFeatures: Tensor;
  /** This forward's training draw; null until the first training-mode use after beginForward. */
  private trainingFeatures: Tensor | null = null;

  constructor(readonly dKey: number, readonly m: number, private readonly rng: Rng, evalRng: Rng, readonly dtype: DType = 'float32') {
    if (!Number.isInteger(m) || m < 1) throw new Error(`favor: m must be a positive integer, got ${m}`);
    this.dDot = 2 * m;
    this.evalFeatures = orthogonalRandomFeatures(m, dKey, evalRng, dtype);
  }

  beginForward(training: boolean): void {
    this.trainingFeatures = training ? orthogonalRandomFeatures(this.m, this.dKey, this.rng, this.dtype) : null;
  }

  apply(x: Tensor, training: boolean): Tensor {
    return favorFeatures(x, this.features(x, training));
  }

  /** The features of this forward (training) or the fixed ones (eval), in x's dtype. */
  private features(x: Tensor, training: boolean): Tensor {
    if (training && this.trainingFeatures === null) this.beginForward(true);
    const R = training ? this.trainingFeatures! : this.evalFeatures;
    return R.dtype === x.dtype ? R : R.to(x.dtype);
  }

  applyUpToRowScale(x: Tensor, training: boolean): Tensor {
    return favorFeaturesUpToRowScale(x, this.features(x, training));
  }
}

/** Exponents beyond this would overflow or underflow exp in float32 (its range is about ±87). */
const SAFE_EXPONENT = 60;

/**
 * FAVOR+ features up to a positive factor per row: every feature of a row shares the factor
 * exp(−‖x‖²/2)/√(2m), so after sum normalisation φ′ is a softmax of [Rx; −Rx]. When some row's
 * exponents leave float32's safe range (keys of norm ≥ ~18 underflow to all-zero features, which
 * normalise to 0: a silent collapse), that softmax is computed as one (row maximum subtracted);
 * otherwise the features are the plain ones (bit-identical to `favorFeatures`).
 */
export function favorFeaturesUpToRowScale(x: Tensor, R: Tensor): Tensor {
  const m = R.shape[0]!;
  const proj = project(x, R);
  const rows = proj.size / m;
  const D = x.shape.at(-1)!;
  let unsafe = false;
  for (let r = 0; r < rows; r++) {
    let top = 0; // the row maximum of [Rx; −Rx]
    for (let i = 0; i < m; i++) top = Math.max(top, Math.abs(proj.data[r * m + i]!));
    let halfNorm = 0;
    for (let i = 0; i < D; i++) halfNorm += x.data[r * D + i]! ** 2 / 2;
    // The largest exponent, top − ‖x‖²/2, must stay in range: above, exp overflows; below, every feature underflows.
    if (!(Math.abs(top - halfNorm) < SAFE_EXPONENT)) unsafe = true;
  }
  if (!unsafe) return favorFromProjection(x, proj);
  // The softmax itself, not exp(proj − max) with a constant shift: its backward is exactly blind to
  // the row scale, so a saturated row passes no gradient instead of huge cancelling terms (1e30 inputs
  // gave infinite weight gradients).
  return ops.softmax(ops.concat([proj, ops.neg(proj)], -1), -1);
}

/** φ(x) for a given feature matrix R [m, dKey]; x [..., dKey] → [..., 2m]. */
export function favorFeatures(x: Tensor, R: Tensor): Tensor {
  return favorFromProjection(x, project(x, R));
}

/** Rx for every row of x: [..., dKey] → [..., m]. */
function project(x: Tensor, R: Tensor): Tensor {
  const proj = ops.matmul(ops.reshape(x, [-1, x.shape.at(-1)!]), ops.transpose(R)); // [rows, m]
  return ops.reshape(proj, [...x.shape.slice(0, -1), R.shape[0]!]);
}

function favorFromProjection(x: Tensor, shaped: Tensor): Tensor {
  const m = shaped.shape.at(-1)!;
  const halfNorm = ops.mul(ops.sum(ops.mul(x, x), -1, true), 0.5); // [..., 1]
  const scale = 1 / Math.sqrt(2 * m);
  const pos = ops.exp(ops.sub(shaped, halfNorm));
  const neg = ops.exp(ops.sub(ops.neg(shaped), halfNorm));
  return ops.mul(ops.concat([pos, neg], -1), scale);
}

/** m × d random matrix with orthogonal rows inside each block of d rows, row norms ~ chi(d). */
export function orthogonalRandomFeatures(m: number, d: number, rng: Rng, dtype: DType = 'float32'): Tensor {
  const out = allocate(dtype, m * d);
  for (let start = 0; start < m; start += d) {
    const rows = Math.min(d, m - start);
    const block: Float64Array[] = [];
    for (let r = 0; r < rows; r++) {
      // Gram–Schmidt against the rows already in this block; redraw on (improbable) degeneracy.
      for (;;) {
        const v = Float64Array.from({ length: d }, () => rng.normal());
        for (const u of block) {
          let dot = 0;
          for (let i = 0; i < d; i++) dot += v[i]! * u[i]!;
          for (let i = 0; i < d; i++) v[i]! -= dot * u[i]!;
        }
        const norm = Math.hypot(...v);
        if (norm > 1e-6) {
          for (let i = 0; i < d; i++) v[i]! /= norm;
          block.push(v);
          break;
        }
      }
      // A chi(d)-distributed length: the norm of a fresh Gaussian vector.
      let s = 0;
      for (let i = 0; i < d; i++) s += rng.normal() ** 2;
      const length = Math.sqrt(s);
      const row = block[r]!;
      for (let i = 0; i < d; i++) out[(start + r) * d + i] = row[i]! * length;
    }
  }
  return new Tensor(out, [m, d]);
}

/**
 * Sum normalisation (the paper's Eq. 29): φ'(x) = φ(x) / Σ_i φ(x)_i. The small eps keeps an
 * all-zero feature vector (DPFP of x = 0) at zero instead of 0/0.
 */
export function sumNormalise(phi: Tensor, eps = 1e-6): Tensor {
  return ops.sumNormaliseLastAxis(phi, eps);
}
