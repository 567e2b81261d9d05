/**
 * The parameter names and shapes of fla's DeltaNetForCausalLM for a config, without building the model:
 * what a loader checks a checkpoint against before it reads any weight. Weights are [out, in];
 * convolutions [dim, 1, conv_size]. `test/nn/fla.test.ts` holds this list equal to the model's own.
 */
import type { DeltaNetConfig } from './config.js';

export function deltaNetParameterShapes(c: DeltaNetConfig): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  const hidden = c.hiddenSize;
  shapes.set('model.embeddings.weight', [c.vocabSize, hidden]);
  for (let i = 0; i < c.numHiddenLayers; i++) {
    const layer = `model.layers.${i}.`;
    const attn = `${layer}attn.`;
    shapes.set(`${layer}attn_norm.weight`, [hidden]);
    shapes.set(`${attn}q_proj.weight`, [c.keyDim, hidden]);
    shapes.set(`${attn}k_proj.weight`, [c.keyDim, hidden]);
    shapes.set(`${attn}v_proj.weight`, [c.valueDim, hidden]);
    if (c.useBeta) shapes.set(`${attn}b_proj.weight`, [c.numHeads, hidden]);
    if (c.useShortConv) {
      shapes.set(`${attn}q_conv1d.weight`, [c.keyDim, 1, c.convSize]);
      shapes.set(`${attn}k_conv1d.weight`, [c.keyDim, 1, c.convSize]);
      shapes.set(`${attn}v_conv1d.weight`, [c.valueDim, 1, c.convSize]);
    }
    if (c.useGate) shapes.set(`${attn}g_proj.weight`, [c.valueDim, hidden]);
    shapes.set(`${attn}o_norm.weight`, [c.headVDim]);
    shapes.set(`${attn}o_proj.weight`, [hidden, c.valueDim]);
    shapes.set(`${layer}mlp_norm.weight`, [hidden]);
    shapes.set(`${layer}mlp.gate_proj.weight`, [c.intermediateSize, hidden]);
    shapes.set(`${layer}mlp.up_proj.weight`, [c.intermediateSize, hidden]);
    shapes.set(`${layer}mlp.down_proj.weight`, [hidden, c.intermediateSize]);
  }
  shapes.set('model.norm.weight', [hidden]);
  if (!c.tieWordEmbeddings) shapes.set('lm_head.weight', [c.vocabSize, hidden]);
  return shapes;
}
