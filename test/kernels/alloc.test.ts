/**
 * Scratch scopes (kernels/alloc.ts): arrays allocated inside a scope are reused by the next scope,
 * zeroed, of exactly the length asked for; released arrays are NaN in poison mode; nothing is pooled
 * outside a scope or when scopes are off.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { allocate, inScratch, persistent, setScratchEnabled, setScratchPoison, withScratch } from '../../kernels/alloc.js';

afterEach(() => {
  setScratchEnabled(true);
  setScratchPoison(process.env.FASTWEIGHTS_SCRATCH_POISON === '1');
});

describe('scratch scopes', () => {
  it('the next scope reuses a released buffer, zeroed, with the exact length asked for', () => {
    setScratchPoison(false);
    const first = withScratch(() => {
      const a = allocate('float32', 5000);
      a.fill(7);
      return a.buffer;
    });
    withScratch(() => {
      const b = allocate('float32', 4800); // same size class (4096 + 3 quarters = 5120)
      expect(b.buffer).toBe(first);
      expect(b.length).toBe(4800);
      expect(b.every((v) => v === 0)).toBe(true);
      const c = allocate('float32', 4800); // the class's one buffer is taken: a new one
      expect(c.buffer).not.toBe(first);
    });
  });

  it('float64 and float32 never share a buffer; sizes below the pooling minimum are fresh', () => {
    setScratchPoison(false);
    const f32 = withScratch(() => allocate('float32', 2048).buffer);
    withScratch(() => {
      const d = allocate('float64', 2048);
      expect(d).toBeInstanceOf(Float64Array);
      expect(d.buffer).not.toBe(f32);
      const small = allocate('float32', 10);
      expect(small.buffer.byteLength).toBe(40);
    });
  });

  it('poison mode fills what a scope released with NaN, so a read after the scope cannot pass for a number', () => {
    setScratchPoison(true);
    const kept = withScratch(() => {
      const a = allocate('float32', 3);
      a.set([1, 2, 3]);
      return a;
    });
    expect([...kept].every(Number.isNaN)).toBe(true);
  });

  it('persistent copies out of a scope; outside one it returns its argument', () => {
    setScratchPoison(true);
    const kept = withScratch(() => {
      const a = allocate('float32', 3);
      a.set([1, 2, 3]);
      return persistent(a);
    });
    expect([...kept]).toEqual([1, 2, 3]);
    const outside = new Float32Array(2);
    expect(persistent(outside)).toBe(outside);
  });

  it('a scope that throws still releases; nested scopes join the outer one', () => {
    setScratchPoison(true);
    let inner: Float32Array | Float64Array | undefined;
    expect(() =>
      withScratch(() => {
        withScratch(() => {
          inner = allocate('float32', 4);
          inner.fill(1);
        });
        expect(inScratch()).toBe(true);
        expect(inner![0]).toBe(1); // the inner scope did not release: the outer one owns it
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(inScratch()).toBe(false);
    expect(Number.isNaN(inner![0])).toBe(true);
  });

  it('outside a scope, and with scopes off, every array is fresh', () => {
    setScratchPoison(true);
    const outside = allocate('float32', 4096);
    outside.fill(1);
    withScratch(() => undefined);
    expect(outside[0]).toBe(1);
    setScratchEnabled(false);
    const a = withScratch(() => {
      expect(inScratch()).toBe(false);
      const x = allocate('float32', 4096);
      x.fill(2);
      return x;
    });
    withScratch(() => allocate('float32', 4096));
    expect(a[0]).toBe(2);
  });
});
