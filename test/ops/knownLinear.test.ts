/**
 * knownLinear (src/ops/knownLinear.ts): y = x · W + b given y, on the graph with the affine map's
 * backward. On random shapes (one row, one feature, leading axes folded, with and without a bias):
 * the same value and the same gradient bits as `linear` computing y itself, float64 gradients
 * against finite differences, and clear errors for a y or bias of the wrong shape.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/tensor/tensor.js';
import { withGradMode } from '../../src/autograd/graph.js';
import { linear } from '../../src/nn/layers.js';
import { knownLinear } from '../../src/ops/knownLinear.js';
import * as ops from '../../src/ops/index.js';
import { expectGradients, randomTensor, seedArb } from '../helpers.js';

const cases = fc.record({
  lead: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }),
  inF: fc.integer({ min: 1, max: 6 }),
  outF: fc.integer({ min: 1, max: 6 }),
  withBias: fc.boolean(),
  seed: seedArb,
});

type Case = { lead: number[]; inF: number; outF: number; withBias: boolean; seed: number };

/** x [...lead, in], W [in, out], b [out] (or none) and the weights R [...lead, out] of the loss Σ y ⊙ R. */
function tensorsOf({ lead, inF, outF, withBias, seed }: Case): { x: Tensor; W: Tensor; b: Tensor | null; R: Tensor } {
  const b = withBias ? randomTensor([outF], seed + 2) : null;
  return { x: randomTensor([...lead, inF], seed), W: randomTensor([inF, outF], seed + 1), b, R: randomTensor([...lead, outF], seed + 3) };
}

/** y = x W + b computed off the graph, as a block's forward keeps it. */
const valueOf = (x: Tensor, W: Tensor, b: Tensor | null) => withGradMode(false, () => linear(x, W, b));

describe('knownLinear', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    it(`${dtype}: returns y and gives the gradients of x, W and b that linear gives, bit for bit`, () => {
      fc.assert(
        fc.property(cases, (c) => {
          const t = tensorsOf(c);
          const grads = (known: boolean) => {
            const [x, W, b] = [t.x, t.W, t.b].map((u) => u && new Tensor(u.to(dtype).data.slice(), u.shape, { requiresGrad: true }));
            const y = known ? knownLinear(x!, W!, b ?? null, valueOf(x!, W!, b ?? null)) : linear(x!, W!, b ?? null);
            ops.sum(ops.mul(y, t.R.to(dtype))).backward();
            return [y.data, x!.grad!.data, W!.grad!.data, ...(b ? [b.grad!.data] : [])];
          };
          const [want, got] = [grads(false), grads(true)];
          want.forEach((w, i) => expect(Array.from(got[i]!), `array ${i}`).toEqual(Array.from(w)));
        }),
        { numRuns: 40 },
      );
    });
  }

  it('float64 gradients of x, W and b match finite differences', () => {
    fc.assert(
      fc.property(cases, (c) => {
        const { x, W, b } = tensorsOf(c);
        // y is rebuilt from the perturbed inputs, off the graph: only knownLinear's backward carries the gradient.
        const fn = (x: Tensor, W: Tensor, b?: Tensor) => knownLinear(x, W, b ?? null, valueOf(x, W, b ?? null));
        expectGradients(fn, b ? [x, W, b] : [x, W]);
      }),
      { numRuns: 25 },
    );
  });

  it('names shapes that do not fit: y, the bias, x', () => {
    const x = randomTensor([2, 3], 1), W = randomTensor([3, 4], 2);
    expect(() => knownLinear(x, W, null, randomTensor([2, 5], 3))).toThrow('knownLinear: shapes do not fit: x [2, 3] · weight [3, 4] → y [2, 5]');
    expect(() => knownLinear(x, W, randomTensor([3], 4), randomTensor([2, 4], 3))).toThrow('knownLinear: shapes do not fit: x [2, 3] · weight [3, 4] + bias [3] → y [2, 4]');
    expect(() => knownLinear(randomTensor([2, 2], 5), W, null, randomTensor([2, 4], 3))).toThrow('knownLinear: shapes do not fit: x [2, 2] · weight [3, 4] → y [2, 4]');
  });
});
