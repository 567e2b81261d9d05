/**
 * 16-bit floats to and from float32, for safetensors files of PyTorch models stored in bfloat16 or
 * float16. Reading is exact (every bf16 and f16 value is a float32); writing rounds to nearest, ties
 * to even, as PyTorch's .to(torch.bfloat16) and .to(torch.float16) do.
 *   bf16: the top 16 bits of a float32 (sign, 8 exponent bits, 7 mantissa bits)
 *   f16:  sign, 5 exponent bits (bias 15), 10 mantissa bits; subnormals below 2⁻¹⁴
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** bf16 bit patterns (little-endian bytes at `offset`) → float32 values, into `out` if given. */
export function bf16BytesToFloat32(bytes: Uint8Array, offset: number, n: number, out: Float32Array = new Float32Array(n)): Float32Array {
  const bits = new Uint32Array(out.buffer, out.byteOffset, n); // out may be a view into a larger buffer
  for (let i = 0, p = offset; i < n; i++, p += 2) bits[i] = (bytes[p]! | (bytes[p + 1]! << 8)) << 16;
  return out;
}

/** f16 bit patterns (little-endian bytes at `offset`) → float32 values, into `out` if given. */
export function f16BytesToFloat32(bytes: Uint8Array, offset: number, n: number, out: Float32Array = new Float32Array(n)): Float32Array {
  for (let i = 0, p = offset; i < n; i++, p += 2) out[i] = f16BitsToNumber(bytes[p]! | (bytes[p + 1]! << 8));
  return out;
}

function f16BitsToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** float32 → bf16 bits, rounded to nearest even (NaN stays a quiet NaN). */
export function float32ToBf16Bits(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  if ((bits & 0x7f800000) === 0x7f800000 && (bits & 0x7fffff) !== 0) return ((bits >>> 16) | 0x40) & 0xffff;
  const rounded = bits + 0x7fff + ((bits >>> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}

/** float32 → f16 bits, rounded to nearest even; beyond the f16 range → ±Infinity. */
export function float32ToF16Bits(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal (or zero): shift the mantissa with its implicit 1 into place, rounding to nearest even.
    if (e < -10) return sign;
    const m = mantissa | 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = m & ((1 << shift) - 1);
    let value = m >>> shift;
    if (rest > half || (rest === half && (value & 1) === 1)) value++;
    return sign | value;
  }
  let value = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (value & 1) === 1)) value++; // may carry into the exponent: still right
  return sign | value;
}
