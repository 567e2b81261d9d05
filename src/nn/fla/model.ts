/**
 * fla's DeltaNetForCausalLM (docs/pretrained.md), with its parameter names:
 *   model.embeddings → N × DeltaNetBlock → model.norm (RMSNorm) → lm_head (or the embeddings, tied).
 * DeltaNetBlock is pre-norm: x ← x + attn(attn_norm(x)); x ← x + mlp(mlp_norm(x)). No position encoding.
 * Shapes: ids [B, T] row-major; logits [B, T, vocab] (or [B, 1, vocab] for the last position only).
 * The states (one per layer) are the whole memory of the text read so far, whatever its length.
 */
import { Module } from '../module.js';
import { Tensor, zeros, type DType } from '../../tensor/tensor.js';
import { shapeToString } from '../../tensor/shape.js';
import { Rng } from '../../tensor/rng.js';
import { giveBackScratch, persistent, withScratch, type CompactDType } from '../../../kernels/index.js';
import { isGradEnabled } from '../../autograd/graph.js';
import * as ops from '../../ops/index.js';
import type { DeltaNetConfig } from './config.js';
import { DeltaNetAttention, type DeltaNetLayerState } from './deltaNet.js';
import { GatedMLP, RMSNorm, TorchEmbedding, TorchLinear, type FlaInit } from './layers.js';

export class DeltaNetBlock extends Module {
  readonly attnNorm: RMSNorm;
  readonly attn: DeltaNetAttention;
  readonly mlpNorm: RMSNorm;
  readonly mlp: GatedMLP;

  constructor(config: DeltaNetConfig, init: FlaInit) {
    super();
    this.attnNorm = this.child('attn_norm', new RMSNorm(config.hiddenSize, config.normEps, init.dtype));
    this.attn = this.child('attn', new DeltaNetAttention(config, init));
    this.mlpNorm = this.child('mlp_norm', new RMSNorm(config.hiddenSize, config.normEps, init.dtype));
    this.mlp = this.child('mlp', new GatedMLP(config.hiddenSize, config.intermediateSize, init));
  }

  /** x [B, T, hidden] → [B, T, hidden], and this layer's state after x. */
  forward(x: Tensor, state?: DeltaNetLayerState): { output: Tensor; state: DeltaNetLayerState } {
    const attended = this.attend(x, state);
    return { output: this.feedForward(attended.output), state: attended.state };
  }

  /** The first half: x + attn(attn_norm(x)) [B, T, hidden], and the state after x. */
  attend(x: Tensor, state?: DeltaNetLayerState): { output: Tensor; state: DeltaNetLayerState } {
    const attended = this.attn.forward(this.attnNorm.forward(x), state);
    return { output: ops.add(x, attended.output), state: attended.state };
  }

  /** The second half: h + mlp(mlp_norm(h)) [B, T, hidden]. */
  feedForward(h: Tensor): Tensor {
    return ops.add(h, this.mlp.forward(this.mlpNorm.forward(h)));
  }
}

/** The stack below the output layer: fla's DeltaNetModel ("model." in the state dict). */
export class DeltaNetModel extends Module {
  readonly embeddings: TorchEmbedding;
  readonly layers: DeltaNetBlock[] = [];
  readonly norm: RMSNorm;

  constructor(config: DeltaNetConfig, init: FlaInit) {
    super();
    this.embeddings = this.child('embeddings', new TorchEmbedding(config.vocabSize, config.hiddenSize, init, config.padTokenId));
    for (let i = 0; i < config.numHiddenLayers; i++) this.layers.push(this.child(`layers.${i}`, new DeltaNetBlock(config, init)));
    this.norm = this.child('norm', new RMSNorm(config.hiddenSize, config.normEps, init.dtype));
  }
}

/**
 * One block without gradients (inference, evaluation): its temporaries come from the scratch pool
 * (kernels/alloc.ts), over a shared memory blocks of WebAssembly memory that the next block reuses,
 * and only its output and state are copied out: into `into`'s arrays where the caller has them, else
 * into fresh ones. Left to the garbage collector instead, a prompt's activations (tens of MB a block)
 * and every decoded token's fast weights (half a MB a layer at the 340M shape) pile up between
 * collections and stay in the process's memory. The attention and the MLP run in scopes of their
 * own, each giving the other's blocks back first, so that the MLP's temporaries take the memory of
 * the attention's and the other way round: a prompt's high-water mark in WebAssembly memory (which
 * never shrinks) is then the larger half's, not the two together.
 */
function layerWithoutGraph(
  layer: DeltaNetBlock,
  x: Tensor,
  state: DeltaNetLayerState | undefined,
  into: { output: Tensor; state: DeltaNetLayerState | undefined },
): { output: Tensor; state: DeltaNetLayerState } {
  giveBackScratch();
  const attended = withScratch(() => {
    const r = layer.attend(x, state);
    const conv = r.state.conv, convInto = into.state?.conv;
    return {
      output: keep(r.output, into.output),
      state: { W: keep(r.state.W, into.state?.W), conv: conv && { q: keep(conv.q, convInto?.q), k: keep(conv.k, convInto?.k), v: keep(conv.v, convInto?.v) } },
    };
  });
  // The block's output goes over its half-way value: copied only once the MLP has read it.
  giveBackScratch();
  return { output: withScratch(() => keep(layer.feedForward(attended.output), into.output)), state: attended.state };
}

/** `t`'s values in `into` (of the same size) when given, else in an array that outlives the scratch scope. */
function keep(t: Tensor, into: Tensor | undefined): Tensor {
  if (into === undefined) return new Tensor(persistent(t.data), t.shape);
  if (into.size !== t.size) throw new Error(`DeltaNetForCausalLM: a state of shape ${shapeToString(into.shape)} cannot take one of shape ${shapeToString(t.shape)}`);
  into.data.set(t.data);
  return into;
}

export interface DeltaNetForwardOptions {
  /** The states a previous call returned: the model continues the same text. */
  states?: DeltaNetLayerState[];
  /** Logits for the last position only ([B, 1, vocab]): what generation needs, without the rest's cost. */
  lastOnly?: boolean;
  /**
   * Write the new states over `states`' arrays (and return them) instead of into fresh ones: for a
   * caller that keeps only the latest states (generation, evaluation), so that a decoded token
   * leaves no garbage behind. Without gradients only.
   */
  overwriteStates?: boolean;
}

export interface DeltaNetOutput {
  logits: Tensor;
  states: DeltaNetLayerState[];
}

export class DeltaNetForCausalLM extends Module {
  readonly model: DeltaNetModel;
  /** null when tie_word_embeddings: the logits read the embedding matrix. */
  readonly lmHead: TorchLinear | null;
  /**
   * The generator the initialisation drew from. The forward pass draws nothing (fla's DeltaNet has no
   * dropout); training saves it with checkpoints and seeds data-parallel parts from it, as for every model.
   */
  readonly rng: Rng;

  /**
   * Builds the model with fla's initialisation (normal(0, initializer_range), norms at one) from `seed`,
   * or with zero weights (`empty`) for a loader to fill, the matrices kept compact in WebAssembly
   * memory for inference when `compact` names their format (FlaInit).
   */
  constructor(readonly config: DeltaNetConfig, options: { seed?: number; dtype?: DType; empty?: boolean; compact?: CompactDType } = {}) {
    super();
    this.rng = new Rng(options.seed ?? 0);
    const init: FlaInit = {
      rng: this.rng,
      std: config.initializerRange,
      empty: options.empty ?? false,
      ...(options.compact ? { compact: options.compact } : {}),
      ...(options.dtype ? { dtype: options.dtype } : {}),
    };
    this.model = this.child('model', new DeltaNetModel(config, init));
    this.lmHead = config.tieWordEmbeddings ? null : this.child('lm_head', new TorchLinear(config.hiddenSize, config.vocabSize, init));
  }

  forward(ids: ArrayLike<number>, B: number, T: number, options: DeltaNetForwardOptions = {}): DeltaNetOutput {
    if (!(Number.isInteger(B) && Number.isInteger(T) && B >= 1 && T >= 1) || ids.length !== B * T) throw new Error(`DeltaNetForCausalLM: ${ids.length} ids do not fill [${B}, ${T}]`);
    const layers = this.model.layers;
    if (options.states && options.states.length !== layers.length) throw new Error(`DeltaNetForCausalLM: ${options.states.length} states for ${layers.length} layers`);
    if (options.overwriteStates && isGradEnabled()) throw new Error('DeltaNetForCausalLM: overwriteStates is for inference only (no gradients)');
    let x = this.model.embeddings.forward(ids, [B, T]);
    const states: DeltaNetLayerState[] = [];
    // Without gradients, layer i writes its output into one of these and layer i + 1 reads it and writes the other.
    const outputs = isGradEnabled() ? [] : [zeros(x.shape, { dtype: x.dtype }), zeros(x.shape, { dtype: x.dtype })];
    layers.forEach((layer, i) => {
      const state = options.states?.[i];
      const r = isGradEnabled()
        ? layer.forward(x, state)
        : layerWithoutGraph(layer, x, state, { output: outputs[i % 2]!, state: options.overwriteStates ? state : undefined });
      x = r.output;
      states.push(r.state);
    });
    if (options.lastOnly && T > 1) x = ops.slice(x, 1, T - 1, T);
    const h = this.model.norm.forward(x);
    return { logits: this.lmHead ? this.lmHead.forward(h) : this.model.embeddings.logits(h), states };
  }
}
