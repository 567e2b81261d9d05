/** Adam(W) in place gives the reference loop's bits. */
import { it } from 'vitest';
import fc from 'fast-check';
import { Rng } from '../../../src/tensor/rng.js';
import { randomArray } from '../helpers.js';
import { type ConformanceCase, exact, ref, seed } from '../conformanceCase.js';

export function optimConformance(c: ConformanceCase): void {
  const { backend, dtype, numRuns } = c;
  it('adamStep: Adam and AdamW in place, the reference loop\'s bits', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3000 }), fc.boolean(), fc.integer({ min: 1, max: 500 }), seed, (n, decoupled, t, s) => {
        const rng = new Rng(s);
        const p = randomArray(rng, n, dtype, -2, 2), grad = randomArray(rng, n, dtype, -1, 1);
        const m = randomArray(rng, n, dtype, -0.1, 0.1), v = randomArray(rng, n, dtype, 0, 0.01);
        const [beta1, beta2, lr] = [0.9, 0.98, 2e-3];
        const h = {
          beta1, beta2, eps: 1e-9, stepSize: lr / (1 - beta1 ** t), inverseCorrection2: 1 / (1 - beta2 ** t),
          l2: decoupled ? 0 : 0.01, shrink: decoupled ? 1 - lr * 0.01 : 1,
        };
        const mine = [p.slice(), m.slice(), v.slice()], theirs = [p.slice(), m.slice(), v.slice()];
        backend.adamStep(mine[0]!, grad, mine[1]!, mine[2]!, h);
        ref.adamStep(theirs[0]!, grad, theirs[1]!, theirs[2]!, h);
        for (const [i, what] of ['p', 'm', 'v'].entries()) exact(mine[i]!, theirs[i]!, `${what}, n ${n}`);
      }),
      { numRuns },
    );
  });
}
