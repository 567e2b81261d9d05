/**
 * Property tests that pin one backend to the float64 reference over random shapes: T = 1, d = 1 and
 * sizes that are not multiples of any tile are all in range; matmul covers both transposes,
 * batch-broadcast (stride 0) and accumulate; the scans cover normalisation, initial state in and
 * final state out; the elementwise kernels see large, tiny, zero and −∞ inputs. Each backend's test
 * file calls `describeConformance` with its own tolerances.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Rng } from '../../src/tensor/rng.js';
import type { BinaryOp, KernelBackend } from '../../kernels/types.js';
import { referenceBackend } from '../../kernels/reference/index.js';
import { expectClose, randomArray, type DTypeName } from './helpers.js';

export interface ConformanceOptions {
  dtypes: DTypeName[];
  /** Allowed scaled error per dtype (see helpers.scaledError). */
  tolerance: (dtype: DTypeName) => number;
  numRuns: number;
  /** Largest matrix side and scan length drawn. */
  maxSize: number;
  maxT: number;
  /** Restrict to the scans (for variants that only replace the scan kernels). */
  only?: 'scans';
}

const ref = referenceBackend;

export function describeConformance(backend: KernelBackend, options: ConformanceOptions): void {
  const { numRuns, maxSize, maxT } = options;
  const dim = fc.integer({ min: 1, max: maxSize });
  const seed = fc.integer({ min: 0, max: 1_000_000 });

  for (const dtype of options.dtypes) {
    const tol = options.tolerance(dtype);
    describe(`${backend.name} backend vs reference (${dtype})`, () => {
      // Variants that only replace the scans leave the product tests to their own backend's file.
      const itProducts = options.only === 'scans' ? (_name: string, _test: () => void) => undefined : it;
      itProducts('matmul: transposes, batch broadcast, accumulate', () => {
        fc.assert(
          fc.property(
            fc.record({
              batch: fc.integer({ min: 1, max: 3 }), m: dim, n: dim, k: dim,
              transA: fc.boolean(), transB: fc.boolean(),
              broadcastA: fc.boolean(), broadcastB: fc.boolean(), accumulate: fc.boolean(), seed,
            }),
            ({ batch, m, n, k, transA, transB, broadcastA, broadcastB, accumulate, seed }) => {
              const rng = new Rng(seed);
              const a = randomArray(rng, (broadcastA ? 1 : batch) * m * k, dtype);
              const b = randomArray(rng, (broadcastB ? 1 : batch) * k * n, dtype);
              const start = randomArray(rng, batch * m * n, dtype);
              const common = { a, b, batch, m, n, k, transA, transB, aBatchStride: broadcastA ? 0 : m * k, bBatchStride: broadcastB ? 0 : k * n, accumulate };
              const expected = new Float64Array(start);
              ref.matmul({ ...common, out: expected });
              const actual = start.slice();
              backend.matmul({ ...common, out: actual });
              expectClose(actual, expected, tol, 'matmul');
            },
          ),
          { numRuns },
        );
      });

      itProducts('outer and outerSum', () => {
        fc.assert(
          fc.property(fc.record({ batch: fc.integer({ min: 1, max: 3 }), T: fc.integer({ min: 1, max: maxT }), m: dim, n: dim, seed }), ({ batch, T, m, n, seed }) => {
            const rng = new Rng(seed);
            const a = randomArray(rng, batch * m, dtype);
            const c = randomArray(rng, batch * n, dtype);
            expectClose(backend.outer(a, c, batch, m, n), ref.outer(a, c, batch, m, n), tol, 'outer');
            const as = randomArray(rng, batch * T * m, dtype);
            const cs = randomArray(rng, batch * T * n, dtype);
            expectClose(backend.outerSum(as, cs, batch, T, m, n), ref.outerSum(as, cs, batch, T, m, n), tol, 'outerSum');
          }),
          { numRuns },
        );
      });

      const scanShape = fc.record({
        N: fc.integer({ min: 1, max: 3 }),
        T: fc.integer({ min: 1, max: maxT }),
        dk: dim,
        dv: dim,
        withInitial: fc.boolean(),
        withFinalGradient: fc.boolean(),
        seed,
      });

      for (const normalise of [false, true]) {
        it(`sum scan forward and backward (normalise = ${normalise})`, () => {
          fc.assert(
            fc.property(scanShape, ({ N, T, dk, dv, withInitial, withFinalGradient, seed }) => {
              const rng = new Rng(seed);
              // q, k positive and scaled like φ' outputs (sum to about one), so y stays O(1).
              const q = randomArray(rng, N * T * dk, dtype, 0.1 / dk, 2 / dk);
              const k = randomArray(rng, N * T * dk, dtype, 0.1 / dk, 2 / dk);
              const v = randomArray(rng, N * T * dv, dtype);
              const initialState = withInitial ? randomArray(rng, N * dv * dk, dtype) : null;
              const initialZ = withInitial && normalise ? randomArray(rng, N * dk, dtype, 0, 1 / dk) : null;
              const args = { q, k, v, N, T, dk, dv, normalise, eps: 1e-5, initialState, initialZ };
              const f0 = ref.sumScanForward(args);
              const f1 = backend.sumScanForward(args);
              expectClose(f1.y, f0.y, tol, 'y');
              expectClose(f1.finalState, f0.finalState, tol, 'finalState');
              expectClose(f1.finalZ, f0.finalZ, tol, 'finalZ');
              const dy = randomArray(rng, N * T * dv, dtype);
              const dFinalState = withFinalGradient ? randomArray(rng, N * dv * dk, dtype) : null;
              const dFinalZ = withFinalGradient && normalise ? randomArray(rng, N * dk, dtype) : null;
              const g0 = ref.sumScanBackward({ ...args, forward: f0, dy, dFinalState, dFinalZ });
              const g1 = backend.sumScanBackward({ ...args, forward: f1, dy, dFinalState, dFinalZ });
              expectClose(g1.dq, g0.dq, tol, 'dq');
              expectClose(g1.dk, g0.dk, tol, 'dk');
              expectClose(g1.dv, g0.dv, tol, 'dv');
              expectClose(g1.dInitialState, g0.dInitialState, tol, 'dInitialState');
              expectClose(g1.dInitialZ, g0.dInitialZ, tol, 'dInitialZ');
            }),
            { numRuns },
          );
        });
      }

      // Elementwise inputs: mostly O(1), with a share of large magnitudes, exact zeros and (softmax) −∞.
      const element = fc.oneof(
        { weight: 6, arbitrary: fc.double({ min: -6, max: 6, noNaN: true }) },
        { weight: 1, arbitrary: fc.double({ min: -200, max: 200, noNaN: true }) },
        { weight: 1, arbitrary: fc.constantFrom(0, -0, 1e-30, -1e-30) },
      );
      const toArray = (values: number[]) => (dtype === 'float64' ? Float64Array.from(values) : Float32Array.from(values));

      itProducts('elementwise: gelu, gelu with its slope, elu + 1', () => {
        fc.assert(
          fc.property(fc.array(element, { minLength: 1, maxLength: 700 }), (values) => {
            const x = toArray(values);
            const gelu = backend.gelu(x);
            expectClose(gelu, ref.gelu(x), tol, 'gelu');
            const both = backend.geluWithSlope(x), expected = ref.geluWithSlope(x);
            expectClose(both.y, expected.y, tol, 'geluWithSlope y');
            // The value alone and the value with its slope are the same computation.
            expect(Array.from(both.y), 'geluWithSlope y = gelu').toEqual(Array.from(gelu));
            expectClose(both.slope, expected.slope, tol, 'geluWithSlope slope');
            expectClose(backend.eluPlusOne(x), ref.eluPlusOne(x), tol, 'eluPlusOne');
          }),
          { numRuns },
        );
      });

      itProducts('layer norm rows, forward and backward', () => {
        fc.assert(
          fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 150 }), fc.integer({ min: 0, max: 1_000_000 }), fc.constantFrom(1e-5, 1e-2), (rows, D, seed, eps) => {
            const rng = new Rng(seed);
            // An offset per row (layer norm removes it) and rows that are constant (variance 0: eps decides).
            const x = randomArray(rng, rows * D, dtype);
            for (let r = 0; r < rows; r++) for (let j = 0; j < D; j++) x[r * D + j] = r % 3 === 2 ? 0.5 : x[r * D + j]! + 3 * r;
            const w = randomArray(rng, D, dtype), b = randomArray(rng, D, dtype), g = randomArray(rng, rows * D, dtype);
            const got = backend.layerNormRows(x, w, b, rows, D, eps);
            const want = ref.layerNormRows(x, w, b, rows, D, eps);
            expectClose(got.out, want.out, tol, 'out');
            expectClose(got.xhat, want.xhat, tol, 'xhat');
            expectClose(got.rstd, want.rstd, tol, 'rstd');
            const gotBack = backend.layerNormRowsBackward(g, want.xhat, want.rstd, w, rows, D);
            const wantBack = ref.layerNormRowsBackward(g, want.xhat, want.rstd, w, rows, D);
            expectClose(gotBack.dx, wantBack.dx, tol, 'dx');
            expectClose(gotBack.dWeight, wantBack.dWeight, tol, 'dWeight');
            expectClose(gotBack.dBias, wantBack.dBias, tol, 'dBias');
          }),
          { numRuns },
        );
      });

      itProducts('elementwise: row softmax and log-sum-exp', () => {
        const entry = fc.oneof({ weight: 12, arbitrary: element }, { weight: 1, arbitrary: fc.constant(-Infinity) });
        fc.assert(
          fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 300 }), fc.infiniteStream(entry), (rows, C, stream) => {
            const values = [...stream.take(rows * C)];
            // Every row keeps one finite entry (an all-masked row has no softmax).
            for (let r = 0; r < rows; r++) if (values[r * C] === -Infinity) values[r * C] = 0;
            const x = toArray(values);
            const got = backend.softmaxRows(x, rows, C);
            const want = ref.softmaxRows(x, rows, C);
            expectClose(got.probs, want.probs, tol, 'probs');
            expectClose(got.logSumExp, want.logSumExp, tol * 4, 'logSumExp');
            for (let i = 0; i < values.length; i++) if (values[i] === -Infinity) expect(got.probs[i], 'a masked entry gets exactly zero weight').toBe(0);
          }),
          { numRuns },
        );
      });

      // The array passes compute in the arrays' own precision, one rounding per operation, so every
      // backend must give the reference's bits. Sizes reach past the point where wasm takes over (512).
      const exact = (actual: ArrayLike<number>, expected: ArrayLike<number>, what: string) =>
        expect(Array.from(actual), what).toEqual(Array.from(expected));

      itProducts('arrays: broadcast arithmetic (same shape, bias over rows, scalar)', () => {
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

      itProducts('adamStep: Adam and AdamW in place, the reference loop\'s bits', () => {
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

      itProducts('arrays: column sums, permute gather and scatter', () => {
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

      itProducts('arrays: dropout draws the generator stream and advances it', () => {
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

      itProducts('feature maps: ELU + 1 backward, sum normalisation and its backward', () => {
        fc.assert(
          fc.property(fc.array(element, { minLength: 1, maxLength: 1500 }), fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 70 }), seed, (values, rows, D, s) => {
            const rng = new Rng(s);
            const x = toArray(values);
            const out = ref.eluPlusOne(x), g = randomArray(rng, x.length, dtype);
            exact(backend.eluPlusOneBackward(x, out, g), ref.eluPlusOneBackward(x, out, g), 'eluPlusOneBackward');
            // Positive features, as φ gives them.
            const phi = randomArray(rng, rows * D, dtype, 0, 2), gy = randomArray(rng, rows * D, dtype);
            const got = backend.sumNormaliseRows(phi, rows, D, 1e-6), want = ref.sumNormaliseRows(phi, rows, D, 1e-6);
            exact(got.out, want.out, 'sumNormalise out');
            exact(got.sums, want.sums, 'sumNormalise sums');
            exact(backend.sumNormaliseRowsBackward(gy, want.out, want.sums, rows, D), ref.sumNormaliseRowsBackward(gy, want.out, want.sums, rows, D), 'sumNormalise backward');
          }),
          { numRuns },
        );
      });

      itProducts('attention softmax with scale and key mask, forward and backward', () => {
        fc.assert(
          fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 40 }), fc.boolean(), seed, (B, H, T, S, masked, s) => {
            const rng = new Rng(s);
            const n = B * H * T * S;
            const scores = randomArray(rng, n, dtype, -4, 4), dP = randomArray(rng, n, dtype);
            // About a third of the keys blocked, and now and then a whole row (a padding query).
            const blocked = masked ? randomArray(rng, B * T * S, dtype, 0, 1).map((v, i) => (v < 0.33 || Math.floor(i / S) % 7 === 3 ? 1 : 0)) : null;
            const scale = 1 / Math.sqrt(1 + (s % 40));
            const want = ref.maskedSoftmax(scores, blocked, scale, B, H, T, S);
            expectClose(backend.maskedSoftmax(scores, blocked, scale, B, H, T, S), want, tol, 'P');
            expectClose(backend.maskedSoftmaxBackward(dP, want, blocked, scale, B, H, T, S), ref.maskedSoftmaxBackward(dP, want, blocked, scale, B, H, T, S), tol, 'dS');
          }),
          { numRuns },
        );
      });

      itProducts('cross-entropy rows with label smoothing and skipped rows, forward and backward', () => {
        fc.assert(
          fc.property(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 120 }), fc.constantFrom(0, 0.1), seed, (rows, C, eps, s) => {
            const rng = new Rng(s);
            const logits = randomArray(rng, rows * C, dtype, -5, 5);
            const targets = Int32Array.from({ length: rows }, (_, r) => (r % 5 === 4 ? -1 : rng.int(C)));
            const rowScale = randomArray(rng, rows, dtype, -2, 2);
            const got = backend.crossEntropyRows(logits, targets, rows, C, eps);
            const want = ref.crossEntropyRows(logits, targets, rows, C, eps);
            expectClose(got.probs, want.probs, tol, 'probs');
            expectClose(got.logSumExp, want.logSumExp, tol * 4, 'logSumExp');
            expectClose(got.losses, want.losses, tol * 4, 'losses');
            expectClose(backend.crossEntropyRowsBackward(want.probs, targets, rowScale, rows, C, eps), ref.crossEntropyRowsBackward(want.probs, targets, rowScale, rows, C, eps), tol, 'gradient');
          }),
          { numRuns },
        );
      });

      it('delta scan forward and backward', () => {
        fc.assert(
          fc.property(scanShape, ({ N, T, dk, dv, withInitial, withFinalGradient, seed }) => {
            const rng = new Rng(seed);
            // Keys with ‖k‖ ≤ 1 and β in [0, 1] keep the delta rule contractive, as after φ'.
            const q = randomArray(rng, N * T * dk, dtype, 0, 2 / dk);
            const k = randomArray(rng, N * T * dk, dtype, 0, 2 / dk);
            const v = randomArray(rng, N * T * dv, dtype);
            const beta = randomArray(rng, N * T, dtype, 0, 1);
            const initialState = withInitial ? randomArray(rng, N * dv * dk, dtype) : null;
            const args = { q, k, v, beta, N, T, dk, dv, initialState };
            const f0 = ref.deltaScanForward(args);
            const f1 = backend.deltaScanForward(args);
            expectClose(f1.y, f0.y, tol, 'y');
            expectClose(f1.finalState, f0.finalState, tol, 'finalState');
            expectClose(f1.writes, f0.writes, tol, 'writes');
            expectClose(f1.retrieved, f0.retrieved, tol, 'retrieved');
            const dy = randomArray(rng, N * T * dv, dtype);
            const dFinalState = withFinalGradient ? randomArray(rng, N * dv * dk, dtype) : null;
            const g0 = ref.deltaScanBackward({ ...args, forward: f0, dy, dFinalState });
            const g1 = backend.deltaScanBackward({ ...args, forward: f1, dy, dFinalState });
            expectClose(g1.dq, g0.dq, tol, 'dq');
            expectClose(g1.dk, g0.dk, tol, 'dk');
            expectClose(g1.dv, g0.dv, tol, 'dv');
            expectClose(g1.dbeta, g0.dbeta, tol, 'dbeta');
            expectClose(g1.dInitialState, g0.dInitialState, tol, 'dInitialState');
          }),
          { numRuns },
        );
      });
    });
  }
}
