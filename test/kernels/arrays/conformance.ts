/** The array passes give the reference's bits: broadcast arithmetic, column sums, permutes, dropout. */
import { expect, it } from 'vitest';
import fc from 'fast-check';
import { Rng } from '../../../src/tensor/rng.js';
import type { BinaryOp } from '../../../kernels/types.js';
import { randomArray } from '../helpers.js';
import { type ConformanceCase, exact, ref, seed } from '../conformanceCase.js';

export function arraysConformance(c: ConformanceCase): void {
  const { backend, dtype, numRuns } = c;
  it('arrays: broadcast arithmetic (same shape, bias over rows, scalar)', () => {
    const period = fc.constantFrom<'n' | 'cols' | 'one'>('n', 'cols', 'one');
    fc.assert(
      fc.property(fc.constantFrom<BinaryOp>('add', 'sub', 'mul', 'div'), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 70 }), period, period, seed, (op, rows, cols, pa, pb, s) => {
        const rng = new Rng(s);
        const n = rows * cols;
        const lengthOf = (p: 'n' | 'cols' | 'one') => (p === 'n' ? n : p === 'cols' ? cols : 1);
        const a = randomArray(rng, lengthOf(pa), dtype, -3, 3);
        // Divisors kept away from zero: 0.5 ≤ |b| ≤ 2.
        const b = randomArray(rng, lengthOf(pb), dtype, 0.5, 2).map((v, i) => (i % 3 === 1 ? -v : v));
        exact(backend.binary(op, a, a.length, b, b.length, n), ref.binary(op, a, a.length, b, b.length, n), `${op} ${pa}/${pb}`);
      }),
      { numRuns },
    );
  });

  it('arrays: column sums, permute gather and scatter', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 20 }), seed, (rows, cols, run, s) => {
        const rng = new Rng(s);
        const x = randomArray(rng, rows * cols, dtype);
        exact(backend.sumRows(x, rows, cols), ref.sumRows(x, rows, cols), 'sumRows');
        const count = rows * 3;
        const index = Int32Array.from(rng.shuffle([...Array(count).keys()]));
        const y = randomArray(rng, count * run, dtype);
        const gathered = backend.gatherRuns(y, index, run);
        exact(gathered, ref.gatherRuns(y, index, run), 'gatherRuns');
        exact(backend.scatterRuns(gathered, index, run), y, 'scatterRuns undoes gatherRuns');
      }),
      { numRuns },
    );
  });

  it('arrays: dropout draws the generator stream and advances it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3000 }), fc.double({ min: 0, max: 0.95, noNaN: true }), seed, (n, p, s) => {
        const x = randomArray(new Rng(s), n, dtype);
        const scale = dtype === 'float32' ? Math.fround(1 / (1 - p)) : 1 / (1 - p);
        const [mine, theirs] = [new Rng(s + 1), new Rng(s + 1)];
        const got = backend.dropout(x, p, scale, mine.stateWords);
        const want = ref.dropout(x, p, scale, theirs.stateWords);
        exact(got.mask, want.mask, 'mask');
        exact(got.out, want.out, 'out');
        expect(mine.nextUint32(), 'the generator continues after the draws').toBe(theirs.nextUint32());
      }),
      { numRuns },
    );
  });
}
