/**
 * Scans split over groups of heads (kernels/headGroups.ts) give the bits of one call over all heads:
 * the wasm sum and delta scans, forward and backward, with a byte
 * budget small enough that every group holds one head; also inside a scratch scope, where each
 * group's results go back to the pool once copied.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { inHeadGroups } from '../../kernels/headGroups.js';
import { withScratch } from '../../kernels/alloc.js';
import { sumScanBackwardWasm, sumScanForwardWasm } from '../../kernels/sumRule/wasm.js';
import { deltaScanBackwardWasm, deltaScanForwardWasm } from '../../kernels/deltaRule/wasm.js';
import { Rng } from '../../src/tensor/rng.js';
import { randomArray } from './helpers.js';

const shape = fc.record({
  N: fc.integer({ min: 1, max: 5 }), T: fc.integer({ min: 1, max: 20 }), dk: fc.integer({ min: 1, max: 9 }), dv: fc.integer({ min: 1, max: 9 }),
  withState: fc.boolean(), seed: fc.integer({ min: 0, max: 1_000_000 }),
});

/** The same arrays (or nulls), element for element. */
function same(a: object, b: object): void {
  const other = b as Record<string, Float32Array | null>;
  for (const [key, value] of Object.entries(a) as [string, Float32Array | null][]) {
    expect(value === null ? null : Array.from(value), key).toEqual(other[key] === null ? null : Array.from(other[key]!));
  }
}

/** A budget below one head's bytes: every group is one head. */
const budget = 1;

/** Random delta-scan arguments, the forward over all heads, and the backward's arguments. */
function deltaCase({ N, T, dk, dv, withState, seed }: { N: number; T: number; dk: number; dv: number; withState: boolean; seed: number }) {
  const rng = new Rng(seed);
  const args = {
    q: randomArray(rng, N * T * dk, 'float32', 0, 0.3), k: randomArray(rng, N * T * dk, 'float32', 0, 0.3), v: randomArray(rng, N * T * dv, 'float32'),
    beta: randomArray(rng, N * T, 'float32', 0, 1), N, T, dk, dv, initialState: withState ? randomArray(rng, N * dv * dk, 'float32') : null,
  };
  const whole = deltaScanForwardWasm(args);
  const b = { ...args, forward: whole, dy: randomArray(rng, N * T * dv, 'float32'), dFinalState: randomArray(rng, N * dv * dk, 'float32') };
  return { args, whole, b };
}

describe('scans by groups of heads', () => {
  it('the sum scan gives the same bits by groups as in one call', () => {
    fc.assert(
      fc.property(shape, ({ N, T, dk, dv, withState, seed }) => {
        const rng = new Rng(seed);
        const args = {
          q: randomArray(rng, N * T * dk, 'float32', 0, 0.3), k: randomArray(rng, N * T * dk, 'float32', 0, 0.3), v: randomArray(rng, N * T * dv, 'float32'),
          N, T, dk, dv, normalise: true, eps: 1e-5,
          initialState: withState ? randomArray(rng, N * dv * dk, 'float32') : null, initialZ: withState ? randomArray(rng, N * dk, 'float32', 0, 0.2) : null,
        };
        const dy = randomArray(rng, N * T * dv, 'float32'), dFinalState = randomArray(rng, N * dv * dk, 'float32'), dFinalZ = randomArray(rng, N * dk, 'float32');
        const whole = sumScanForwardWasm(args);
        same(inHeadGroups(sumScanForwardWasm, budget)(args), whole);
        const b = { ...args, forward: whole, dy, dFinalState, dFinalZ };
        same(inHeadGroups(sumScanBackwardWasm, budget)(b), sumScanBackwardWasm(b));
      }),
      { numRuns: 30 },
    );
  });

  it('the delta scan gives the same bits by groups as in one call', () => {
    fc.assert(
      fc.property(shape, (c) => {
        const { args, whole, b } = deltaCase(c);
        same(inHeadGroups(deltaScanForwardWasm, budget)(args), whole);
        same(inHeadGroups(deltaScanBackwardWasm, budget)(b), deltaScanBackwardWasm(b));
      }),
      { numRuns: 30 },
    );
  });

  it('inside a scratch scope, where each group\'s results go back to the pool once copied, the bits are the same', () => {
    // The suite runs in poison mode: a result given back before it was copied would read as NaN.
    fc.assert(
      fc.property(shape, (c) => {
        const { args, whole, b } = deltaCase(c);
        const wholeBackward = deltaScanBackwardWasm(b);
        withScratch(() => {
          same(inHeadGroups(deltaScanForwardWasm, budget)(args), whole);
          same(inHeadGroups(deltaScanBackwardWasm, budget)(b), wholeBackward);
        });
      }),
      { numRuns: 20 },
    );
  });
});
