/**
 * The one seeded random number generator used everywhere (data order, initialisation, dropout,
 * FAVOR+ features). xoshiro128** on 32-bit integer arithmetic, so the same seed gives the same
 * numbers on every machine and every JavaScript engine. Its state is four integers, which
 * checkpoints save so that a resumed run draws exactly what the uninterrupted run would have drawn.
 */
import { fillDraws, fillKeepMask } from '../../kernels/index.js';

export class Rng {
  private s: Uint32Array;
  /** Box–Muller makes normals in pairs; the spare one is kept here (and saved with the state). */
  private spare: number | null = null;

  /** `seed`: an integer from 0 to 2^53 − 1 (NaN, fractions and negative numbers are refused, not wrapped). */
  constructor(seed = 0) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`Rng: the seed must be an integer from 0 to ${Number.MAX_SAFE_INTEGER}, got ${seed}`);
    this.s = new Uint32Array(4);
    // SplitMix32 spreads the seed over the state so that nearby seeds give unrelated streams. The
    // bits above 32 are mixed in too (seeds below 2^32 keep the stream they always had), so that
    // 2^32 is not seed 0 again.
    const high = Math.floor(seed / 2 ** 32);
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = (x ^ Math.imul(high, 0x632be5ab)) >>> 0;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if (this.s.every((v) => v === 0)) this.s[0] = 1;
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1]! << 9) >>> 0;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /**
   * Fills `out` with the next out.length values of nextUint32 (the same stream, drawn in one loop
   * with the state in locals: several times faster per number).
   */
  fillUint32(out: Uint32Array): Uint32Array {
    fillDraws(this.s, 0, 1, out);
    return out;
  }

  /**
   * Dropout's keep mask: mask[i] = 0 (probability p) or `scale`, from four generators seeded by this
   * one's next 16 draws (kernels/arrays/reference.ts: dropoutLanes, fillKeepMask; shared with the kernels).
   */
  fillKeepMask(mask: Float32Array | Float64Array, p: number, scale: number): void {
    fillKeepMask(mask, p, scale, this.s);
  }

  /**
   * The four live state words. Kernels that draw this stream themselves (dropout) read them and
   * advance them in place, so the generator continues where they stopped.
   */
  get stateWords(): Uint32Array {
    return this.s;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new Error(`Rng.int: n must be a positive integer, got ${n}`);
    return Math.floor(this.uniform() * n);
  }

  /** Fisher–Yates shuffle in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i]!;
      items[i] = items[j]!;
      items[j] = tmp;
    }
    return items;
  }

  /** A new generator seeded from this one: independent streams for independent jobs. */
  fork(): Rng {
    return new Rng(this.nextUint32());
  }

  /** Serialisable state, for checkpoints. */
  getState(): RngState {
    return { s: Array.from(this.s), spare: this.spare };
  }

  setState(state: RngState): void {
    if (!Array.isArray(state.s) || state.s.length !== 4 || state.s.some((v) => !Number.isInteger(v) || v < 0 || v > 0xffffffff)) {
      throw new Error('Rng.setState: state.s must be four unsigned 32-bit integers');
    }
    this.s = Uint32Array.from(state.s);
    this.spare = state.spare;
  }
}

export interface RngState {
  s: number[];
  spare: number | null;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
