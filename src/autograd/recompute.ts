/**
 * Recomputation (gradient checkpointing) of a cheap function of one tensor: `recompute(fn, x)`
 * runs y = fn(x) without a graph and keeps only x and y; its backward runs fn on x again, this time
 * with a graph, and sends the gradient through it. The same ops run on the same data, so y and the
 * gradient are the same bits as fn's own graph would give; what changes is that fn's intermediates
 * are not held from the forward to the backward (inside a scratch scope their blocks go back to the
 * pool at once). The layers use it for a long sequence's feature maps, elementwise passes over
 * [T, d_model] arrays (docs/kernels.md, "Long sequences and WebAssembly memory").
 *
 * fn must be a pure function of x: no parameters (their gradients would arrive in another order),
 * no random draws, nothing it keeps between calls.
 */
import { Tensor } from '../tensor/tensor.js';
import { releaseMadeSince, scratchMark } from '../../kernels/index.js';
import { gradientOf, noGrad, record, withGrad } from './graph.js';

export function recompute(fn: (x: Tensor) => Tensor, x: Tensor): Tensor {
  const mark = scratchMark();
  const y = noGrad(() => fn(x));
  // Nothing but y (and what it views) outlives the call: give fn's intermediates back.
  releaseMadeSince(mark, y.data);
  return record('recompute', [x], y, (g) => {
    const again = scratchMark();
    const input = new Tensor(x.data, x.shape, { requiresGrad: true });
    const dx = gradientOf(withGrad(() => fn(input)), g, input, again);
    releaseMadeSince(again, dx);
    return [dx];
  });
}
