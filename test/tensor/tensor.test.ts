import { describe, expect, it } from 'vitest';
import { Rng, arange, full, ones, rand, randn, tensor, zeros } from '../../src/index.js';

describe('Tensor creation', () => {
  it('zeros, ones, full, arange with shapes and dtypes', () => {
    expect(zeros([2, 3]).dtype).toBe('float32');
    expect(zeros([2, 3], { dtype: 'float64' }).data).toBeInstanceOf(Float64Array);
    expect(ones([2]).toArray()).toEqual([1, 1]);
    expect(full([], 7).item()).toBe(7);
    expect(arange(5).toArray()).toEqual([0, 1, 2, 3, 4]);
    expect(arange(1, 2, 0.25).toArray()).toEqual([1, 1.25, 1.5, 1.75]);
    expect(tensor([[1, 2, 3], [4, 5, 6]]).shape).toEqual([2, 3]);
    expect(tensor(new Float64Array([1, 2, 3, 4]), [2, 2]).toArray()).toEqual([[1, 2], [3, 4]]);
  });
  it('a wrong data length or negative dimension is refused', () => {
    expect(() => tensor([1, 2, 3], [2, 2])).toThrow(/3 elements but shape \[2, 2\] needs 4/);
    expect(() => zeros([-1])).toThrow(/invalid shape/);
    // Beyond what one typed array holds: named by its shape, not V8's "Invalid typed array length".
    expect(() => zeros([1e6, 1e6])).toThrow(/^zeros: shape \[1000000, 1000000\] holds 1\.00e\+12 elements, more than one array can \(2147483647\)$/);
    expect(() => randn([65536, 65536], new Rng(0))).toThrow(/^zeros: shape \[65536, 65536\] holds 4\.29e\+9 elements/);
    expect(() => tensor(new Float32Array(0), [1e9, 1e9, 0])).not.toThrow();
    expect(() => zeros([2]).to('int8' as never)).toThrow(/unknown dtype 'int8'/);
  });
});

describe('Rng', () => {
  it('refuses a seed that is not an integer from 0 to 2^53 − 1, and keeps seeds above 2^32 apart', () => {
    for (const seed of [Number.NaN, Infinity, 1.5, -1, 2 ** 53]) {
      expect(() => new Rng(seed)).toThrow(new RegExp(`^Rng: the seed must be an integer from 0 to 9007199254740991, got ${seed}$`));
    }
    expect(new Rng(2 ** 32).nextUint32()).not.toBe(new Rng(0).nextUint32());
    expect(new Rng(2 ** 32 + 5).nextUint32()).not.toBe(new Rng(5).nextUint32());
    expect(new Rng(Number.MAX_SAFE_INTEGER).nextUint32()).toBe(new Rng(Number.MAX_SAFE_INTEGER).nextUint32());
  });
  it('same seed, same numbers; different seeds differ', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const xs = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(xs);
    expect(new Rng(43).nextUint32()).not.toBe(xs[0]);
  });
  it('pins the stream so every machine draws the same numbers', () => {
    const r = new Rng(0);
    // Recorded once; a change here means old seeds no longer reproduce old runs.
    expect([r.nextUint32(), r.nextUint32(), r.nextUint32()]).toEqual([3809008728, 1133695204, 53579671]);
  });
  it('fillUint32 draws the same stream as nextUint32, and the generator continues after it', () => {
    for (const n of [0, 1, 7, 1000]) {
      const bulk = new Rng(9);
      const oneByOne = new Rng(9);
      expect(Array.from(bulk.fillUint32(new Uint32Array(n)))).toEqual(Array.from({ length: n }, () => oneByOne.nextUint32()));
      expect(bulk.nextUint32()).toBe(oneByOne.nextUint32());
    }
  });
  it('fillKeepMask: four generators seeded by the next 16 draws, element i drops where generator i mod 4 draws below p · 2³²; the stream continues after the 16', () => {
    for (const [n, p] of [[0, 0.5], [1, 0.1], [1000, 0.1], [1000, 0], [1000, 0.5], [1000, 0.999999], [777, 1 / 3]] as const) {
      const bulk = new Rng(11);
      const oneByOne = new Rng(11);
      const mask = new Float32Array(n);
      bulk.fillKeepMask(mask, p, 1.25);
      // Draw k seeds word k >> 2 of generator k mod 4.
      const seeds = Array.from({ length: 16 }, () => oneByOne.nextUint32());
      const lanes = [0, 1, 2, 3].map((j) => {
        const lane = new Rng(0);
        lane.setState({ s: [seeds[j]!, seeds[4 + j]!, seeds[8 + j]!, seeds[12 + j]!], spare: null });
        return lane;
      });
      expect(Array.from(mask)).toEqual(Array.from({ length: n }, (_, i) => (lanes[i % 4]!.nextUint32() < p * 4294967296 ? 0 : 1.25)));
      expect(bulk.nextUint32()).toBe(oneByOne.nextUint32());
    }
  });
  it('fillKeepMask drops a fraction p overall and on each of the four generators', () => {
    const mask = new Float32Array(400_000);
    new Rng(5).fillKeepMask(mask, 0.3, 1);
    for (let j = 0; j < 4; j++) {
      let dropped = 0;
      for (let i = j; i < mask.length; i += 4) if (mask[i] === 0) dropped++;
      expect(Math.abs(dropped / (mask.length / 4) - 0.3), `generator ${j}`).toBeLessThan(0.005);
    }
  });
  it('state round trip continues the stream exactly, normals included', () => {
    const a = new Rng(7);
    a.normal();
    const state = a.getState();
    const next = [a.normal(), a.uniform(), a.normal()];
    const b = new Rng(0);
    b.setState(JSON.parse(JSON.stringify(state)));
    expect([b.normal(), b.uniform(), b.normal()]).toEqual(next);
  });
  it('uniform in [0,1) and normal with mean 0, variance 1', () => {
    const r = new Rng(1);
    const t = randn([20000], r, { dtype: 'float64' });
    const xs = Array.from(t.data);
    const m = xs.reduce((s, v) => s + v, 0) / t.size;
    const v = xs.reduce((s, x) => s + (x - m) ** 2, 0) / t.size;
    expect(Math.abs(m)).toBeLessThan(0.03);
    expect(Math.abs(v - 1)).toBeLessThan(0.05);
    const u = rand([1000], r);
    expect(Math.min(...u.data)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u.data)).toBeLessThan(1);
  });
});
