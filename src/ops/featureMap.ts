/**
 * Fused ops for the feature maps' hot path. Each replaces a chain of general ops (and their
 * broadcast index maps) with one kernel pass and a hand-written backward (kernels/featureMap/reference.ts),
 * which matters because φ and its normalisation run on every key and query of every layer.
 */
import { record } from '../autograd/graph.js';
import { Tensor } from '../tensor/tensor.js';
import { assertTensor } from './util.js';
import { getBackend } from '../../kernels/index.js';

/** ELU(x) + 1: x + 1 for x > 0, exp(x) otherwise (in the kernel backend). Positive everywhere. */
export function eluPlusOne(x: Tensor): Tensor {
  assertTensor(x, 'eluPlusOne');
  const out = getBackend().eluPlusOne(x.data);
  return record('eluPlusOne', [x], new Tensor(out, x.shape), (g) => [getBackend().eluPlusOneBackward(x.data, out, g)]);
}

/**
 * Sum normalisation over the last axis: y = x / (Σ_i x_i + eps).
 * Backward, with s = Σx + eps:  dx_j = (g_j − Σ_i g_i y_i) / s.
 */
export function sumNormaliseLastAxis(x: Tensor, eps = 1e-6): Tensor {
  assertTensor(x, 'sumNormalise');
  if (x.rank < 1) throw new Error('sumNormalise: input must have at least one axis');
  const D = x.shape[x.rank - 1]!;
  const rows = D === 0 ? 0 : x.size / D;
  const kernels = getBackend();
  const { out, sums } = kernels.sumNormaliseRows(x.data, rows, D, eps);
  for (let r = 0; r < rows; r++) if (sums[r] === 0) throw new Error(`sumNormalise: row ${r} sums to 0 (give eps > 0 for all-zero features)`);
  return record('sumNormalise', [x], new Tensor(out, x.shape), (g) => [kernels.sumNormaliseRowsBackward(g, out, sums, rows, D)]);
}
