/**
 * What a training run will need, estimated from its settings before any work starts, so that a
 * size that cannot fit (`--dim 1000000`, `--layers 100000`) is refused at once with the figure
 * instead of failing minutes later with "Invalid typed array length" or swapping.
 *
 * The estimate is deliberately simple and generous (it counts every saved activation of every op
 * that keeps one, in float32): it only has to tell the settings that fit from those that are off
 * by orders of magnitude.
 */
import { totalmem } from 'node:os';
import { MAX_TENSOR_ELEMENTS } from '../tensor/shape.js';
import { attentionParameters, featureSize, type AttentionSpec } from '../nn/attention/spec.js';
import type { ResolvedStackShape } from '../nn/stackShape.js';

const BYTES = 4;

/** A stack's resolved shape and its self-attention kind (each task's resolved model config is one). */
export interface StackShape extends Pick<ResolvedStackShape, 'dModel' | 'heads' | 'dHead' | 'ffHidden'> {
  attention: AttentionSpec;
}

export interface ResourceEstimate {
  parameters: number;
  /** Weights, gradients, the two AdamW moments and the activations of one step. */
  trainingBytes: number;
  /** The element count of the largest single tensor (the embedding, the logits or the scores). */
  largestTensor: number;
  largestTensorName: string;
  /** What to lower when the total does not fit: the options behind its larger part. */
  lower: string;
}

/** Exact: the parameters of one TransformerBlock (tested against parameterCount()). */
function blockParameters(shape: StackShape, cross?: AttentionSpec): number {
  const D = shape.dModel;
  const F = shape.ffHidden;
  const attention = (spec: AttentionSpec) => attentionParameters(spec, D, shape.heads, shape.dHead);
  const feedForward = D * F + F + F * D + D;
  const norms = (cross !== undefined ? 3 : 2) * 2 * D;
  return attention(shape.attention) + (cross !== undefined ? attention(cross) : 0) + feedForward + norms;
}

/** Floats one block keeps for backward, per sequence of T tokens (attending over S keys). */
function blockActivations(shape: StackShape, T: number, S: number): { floats: number; scores: number } {
  const D = shape.dModel;
  const H = shape.heads;
  const dk = shape.dHead;
  const F = shape.ffHidden;
  const spec = shape.attention;
  // Norms, residuals, projections, dropout masks: about 16 vectors of D per token, and 3 of F.
  let floats = T * (16 * D + 3 * F);
  let scores = 0;
  if (!spec.fastWeights) {
    scores = H * T * S;
    floats += 3 * scores; // scores, masked scores, probabilities
  } else {
    const dDot = featureSize(spec, dk);
    floats += 4 * H * T * dDot + H * T * dk * dDot; // φ(q), φ(k) before and after normalising; per-step states
  }
  return { floats, scores };
}

export function estimateLanguageModel(model: StackShape & { layers: number; context: number; positions?: string }, vocabSize: number, batchSize: number): ResourceEstimate {
  const L = model.context;
  const positionTable = model.positions === 'learned' ? L * model.dModel : 0;
  const parameters = vocabSize * model.dModel + positionTable + model.layers * blockParameters(model) + 2 * model.dModel;
  const block = blockActivations(model, L, L);
  const logits = batchSize * L * vocabSize;
  const activations = batchSize * model.layers * block.floats + 3 * logits;
  const candidates: [string, number][] = [
    ['the embedding (--vocab × --dim)', vocabSize * model.dModel],
    ['the logits (--batch × --context × --vocab)', logits],
    ['the attention scores (--batch × --heads × --context²)', batchSize * block.scores],
    ['the feed-forward weights (--dim × --ff)', model.dModel * model.ffHidden],
  ];
  const context = model.attention.fastWeights ? '--context' : '--context (squared: softmax attention)';
  return summarise(parameters, activations, candidates, {
    activations: `most of it is one step's activations, which grow with --layers × --batch × ${context}; lower those`,
    weights: 'most of it is the weights and their optimiser state; lower --layers, --dim, --ff or --vocab',
  });
}

export function estimateTranslationModel(model: StackShape & { encoderLayers: number; decoderLayers: number; crossAttention: AttentionSpec }, vocabSize: number, maxTokens: number, maxLength: number): ResourceEstimate {
  // A batch holds maxTokens tokens per side (padding included); a sequence is at most maxLength.
  const T = Math.min(maxLength + 1, maxTokens);
  const sequences = Math.max(1, Math.floor(maxTokens / T));
  const parameters = vocabSize * model.dModel + model.encoderLayers * blockParameters(model) + model.decoderLayers * blockParameters(model, model.crossAttention) + 4 * model.dModel;
  const self = blockActivations(model, T, T);
  const cross = blockActivations({ ...model, attention: model.crossAttention }, T, T);
  const logits = sequences * T * vocabSize;
  const activations = sequences * (model.encoderLayers * self.floats + model.decoderLayers * (self.floats + cross.floats)) + 3 * logits;
  const candidates: [string, number][] = [
    ['the embedding (--vocab × --dim)', vocabSize * model.dModel],
    ['the logits (--max-tokens × --vocab)', logits],
    ['the attention scores (--max-tokens × --heads × --max-len)', sequences * Math.max(self.scores, cross.scores)],
    ['the feed-forward weights (--dim × --ff)', model.dModel * model.ffHidden],
  ];
  return summarise(parameters, activations, candidates, {
    activations: "most of it is one step's activations, which grow with --enc-layers and --dec-layers × --max-tokens (× --max-len for softmax attention); lower those",
    weights: 'most of it is the weights and their optimiser state; lower --enc-layers, --dec-layers, --dim, --ff or --vocab',
  });
}

function summarise(parameters: number, activations: number, candidates: [string, number][], lower: { activations: string; weights: string }): ResourceEstimate {
  const [largestTensorName, largestTensor] = candidates.reduce((a, b) => (b[1] > a[1] ? b : a));
  return { parameters, trainingBytes: BYTES * (4 * parameters + activations), largestTensor, largestTensorName, lower: activations > 4 * parameters ? lower.activations : lower.weights };
}

/**
 * Throws (through `refuse`, which the CLI turns into a usage error) when the estimate does not fit
 * in `availableBytes` or a single tensor would exceed what a typed array can hold.
 */
export function checkFits(estimate: ResourceEstimate, availableBytes: number, refuse: (message: string) => never): void {
  if (estimate.largestTensor > MAX_TENSOR_ELEMENTS) {
    refuse(`${estimate.largestTensorName} would hold ${formatCount(estimate.largestTensor)} numbers, more than one array can (${formatCount(MAX_TENSOR_ELEMENTS)}); lower the sizes named`);
  }
  if (estimate.trainingBytes > availableBytes) {
    refuse(`training would need about ${formatBytes(estimate.trainingBytes)} (${formatCount(estimate.parameters)} parameters, plus gradients, AdamW moments and one step's activations), more than the ${formatBytes(availableBytes)} this machine can give: ${estimate.lower}`);
  }
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value < 10 && unit > 0 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

export function formatCount(n: number): string {
  if (n < 1e4) return String(Math.round(n));
  if (n < 1e6) return `${(n / 1e3).toFixed(0)} thousand`;
  if (n < 1e9) return `${(n / 1e6).toFixed(n < 1e7 ? 1 : 0)} million`;
  return `${Number((n / 1e9).toPrecision(3))} billion`;
}

/**
 * Memory a training run may plan to use: most of the machine's, or of the container's when a cgroup
 * limits the process to less (os.totalmem() reports the host's memory inside a container, and a
 * run sized by it dies partway with "Array buffer allocation failed").
 */
export function availableMemory(total = totalmem(), constrained = constrainedMemory()): number {
  const limit = constrained > 0 && constrained < total ? constrained : total;
  return Math.floor(limit * 0.8);
}

/** The cgroup memory limit Node reports (0, or a huge number, when there is none). */
function constrainedMemory(): number {
  return (process as { constrainedMemory?: () => number | undefined }).constrainedMemory?.() ?? 0;
}
