/**
 * bf16 and f16 in safetensors files: every 16-bit pattern survives widening to float32 and rounding
 * back; rounding is to nearest with ties to even (as PyTorch's .to()); F16 and BF16 tensors round-trip
 * through encodeSafetensors / decodeSafetensors.
 */
import { describe, expect, it } from 'vitest';
import { bf16BytesToFloat32, f16BytesToFloat32, float32ToBf16Bits, float32ToF16Bits } from '../../src/io/halfFloat.js';
import { decodeSafetensors, encodeSafetensors, type SafetensorsTensor } from '../../src/io/safetensors.js';

const bytesOf = (bits: number[]) => new Uint8Array(bits.flatMap((b) => [b & 0xff, b >>> 8]));

describe('16-bit floats', () => {
  it('every bf16 and every f16 bit pattern (NaN aside) comes back from float32 unchanged', () => {
    const all = Array.from({ length: 65536 }, (_, i) => i);
    const bf = bf16BytesToFloat32(bytesOf(all), 0, all.length);
    const f16 = f16BytesToFloat32(bytesOf(all), 0, all.length);
    for (const bits of all) {
      if (!Number.isNaN(bf[bits])) expect(float32ToBf16Bits(bf[bits]!)).toBe(bits);
      else expect(Number.isNaN(bf16BytesToFloat32(bytesOf([float32ToBf16Bits(bf[bits]!)]), 0, 1)[0])).toBe(true);
      if (!Number.isNaN(f16[bits])) expect(float32ToF16Bits(f16[bits]!)).toBe(bits);
    }
  });

  it('widen into a view of a larger buffer at its offset, leaving the rest untouched', () => {
    const bytes = new Uint8Array([0x80, 0x3f, 0x00, 0xc0]); // bf16 1, −2; f16 1.875, −2
    for (const [widen, want] of [[bf16BytesToFloat32, [1, -2]], [f16BytesToFloat32, [1.875, -2]]] as const) {
      const whole = new Float32Array(6).fill(7);
      widen(bytes, 0, 2, whole.subarray(3, 5));
      expect(Array.from(whole)).toEqual([7, 7, 7, ...want, 7]);
    }
  });

  it('known values, and ties rounded to even', () => {
    expect(bf16BytesToFloat32(bytesOf([0x3f80, 0xc000, 0x7f80]), 0, 3)).toEqual(new Float32Array([1, -2, Infinity]));
    expect(float32ToBf16Bits(1 + 2 ** -8)).toBe(0x3f80); // halfway, 1.0 is even
    expect(float32ToBf16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82); // halfway, up to the even neighbour
    expect(float32ToBf16Bits(1 + 2 ** -8 + 2 ** -20)).toBe(0x3f81); // past halfway
    expect(f16BytesToFloat32(bytesOf([0x3c00, 0x7bff, 0x0001, 0xfc00]), 0, 4)).toEqual(new Float32Array([1, 65504, 2 ** -24, -Infinity]));
    expect(float32ToF16Bits(65520)).toBe(0x7c00); // rounds past the largest f16
    expect(float32ToF16Bits(2 ** -25)).toBe(0x0000); // halfway to the smallest subnormal: even is 0
    expect(float32ToF16Bits(3 * 2 ** -25)).toBe(0x0002);
    expect(float32ToF16Bits(1 + 2 ** -11)).toBe(0x3c00);
    expect(float32ToF16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
  });

  it('widen into a view that starts inside a larger buffer (a resident weight in WebAssembly memory), touching nothing around it', () => {
    const whole = new Float32Array(8).fill(7);
    const view = whole.subarray(3, 6);
    expect(bf16BytesToFloat32(bytesOf([0x3f80, 0xc000, 0x4040]), 0, 3, view)).toBe(view);
    expect(Array.from(whole)).toEqual([7, 7, 7, 1, -2, 3, 7, 7]);
    f16BytesToFloat32(bytesOf([0x3c00, 0xc000]), 0, 2, whole.subarray(6, 8));
    expect(Array.from(whole)).toEqual([7, 7, 7, 1, -2, 3, 1, -2]);
  });

  it('F16 and BF16 tensors round-trip through a safetensors file, two bytes an element', () => {
    const values = new Float32Array([0, -1.5, 3.140625, 1e-3, 60000]);
    const tensors = new Map<string, SafetensorsTensor>([
      ['b', { dtype: 'BF16', shape: [5], data: values }],
      ['h', { dtype: 'F16', shape: [5], data: values }],
      ['w', { dtype: 'F32', shape: [1], data: new Float32Array([7]) }],
    ]);
    const bytes = encodeSafetensors(tensors);
    const back = decodeSafetensors(bytes, 'half.safetensors');
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(bytes.length - 8 - headerLength).toBe(4 + 5 * 2 * 2);
    const expectRounded = (name: string, toBits: (x: number) => number, widen: typeof bf16BytesToFloat32) => {
      const got = back.tensors.get(name)!;
      expect(got.data).toBeInstanceOf(Float32Array);
      expect(Array.from(got.data as Float32Array)).toEqual(Array.from(widen(bytesOf(Array.from(values, toBits)), 0, values.length)));
    };
    expectRounded('b', float32ToBf16Bits, bf16BytesToFloat32);
    expectRounded('h', float32ToF16Bits, f16BytesToFloat32);
    expect(back.tensors.get('b')!.dtype).toBe('BF16');
  });
});
