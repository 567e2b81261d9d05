import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  decodeSafetensors,
  encodeSafetensors,
  SafetensorsError,
  type SafetensorsDType,
  type SafetensorsTensor,
} from '../../src/io/safetensors.js';
import { readLittleEndian, writeLittleEndian } from '../../src/io/endian.js';
import { bf16BytesToFloat32, f16BytesToFloat32 } from '../../src/io/halfFloat.js';
import { readFileSync } from 'node:fs';

/** Written by Python: safetensors.numpy.save_file({x: arange(6, f32).reshape(2, 3), y: [1, 2] i64, z: 3.5 f64}, metadata={format: np}), safetensors 0.8.0. */
const PYTHON_FIXTURE = new URL('./fixtures/python-safetensors-0.8.0.safetensors', import.meta.url);

/** Builds a file by hand from a header string, the way the format's specification describes it. */
function handMade(headerJson: string, data: number[]): Uint8Array {
  const json = new TextEncoder().encode(headerJson);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const f32 = (...v: number[]): SafetensorsTensor => ({ dtype: 'F32', shape: [v.length], data: Float32Array.from(v) });

describe('safetensors encoding', () => {
  it('writes the exact bytes the format specifies', () => {
    const bytes = encodeSafetensors(new Map([['a', f32(1, 2)]]));
    const header = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}'; // 54 bytes, padded to 56
    expect(header.length).toBe(54);
    const expected = [56, 0, 0, 0, 0, 0, 0, 0, ...new TextEncoder().encode(header), 0x20, 0x20, 0, 0, 0x80, 0x3f, 0, 0, 0, 0x40];
    expect(Array.from(bytes)).toEqual(expected);
  });

  it('reads a file laid out as the Python library writes it (metadata first, space padding)', () => {
    const header = '{"__metadata__":{"format":"pt"},"w":{"dtype":"F64","shape":[1,1],"data_offsets":[0,8]},"i":{"dtype":"I64","shape":[],"data_offsets":[8,16]}}';
    const pad = ' '.repeat((8 - (header.length % 8)) % 8);
    const f64 = new Uint8Array(new Float64Array([-0.5]).buffer);
    const i64 = [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]; // -2
    const file = decodeSafetensors(handMade(header + pad, [...f64, ...i64]), 'py.safetensors');
    expect(file.metadata).toEqual({ format: 'pt' });
    expect(file.tensors.get('w')).toEqual({ dtype: 'F64', shape: [1, 1], data: Float64Array.from([-0.5]) });
    expect(file.tensors.get('i')).toEqual({ dtype: 'I64', shape: [], data: BigInt64Array.from([-2n]) });
  });

  it('reads a file written by the Python library, and writes it back byte for byte', () => {
    const bytes = new Uint8Array(readFileSync(PYTHON_FIXTURE));
    const file = decodeSafetensors(bytes, 'python.safetensors');
    expect(file.metadata).toEqual({ format: 'np' });
    expect(file.tensors.get('x')).toEqual({ dtype: 'F32', shape: [2, 3], data: Float32Array.from([0, 1, 2, 3, 4, 5]) });
    expect(file.tensors.get('y')).toEqual({ dtype: 'I64', shape: [2], data: BigInt64Array.from([1n, 2n]) });
    expect(file.tensors.get('z')).toEqual({ dtype: 'F64', shape: [], data: Float64Array.from([3.5]) });
    const inNameOrder = new Map(['x', 'y', 'z'].map((name) => [name, file.tensors.get(name)!] as const));
    expect(encodeSafetensors(inNameOrder, file.metadata)).toEqual(bytes);
  });

  it('puts 8-byte dtypes first so every tensor is aligned to its element size', () => {
    const tensors = new Map<string, SafetensorsTensor>([
      ['small', f32(1, 2, 3)],
      ['wide', { dtype: 'F64', shape: [2], data: Float64Array.from([4, 5]) }],
    ]);
    const bytes = encodeSafetensors(tensors, { note: 'x' });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + headerLength) % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
    expect(header.wide.data_offsets).toEqual([0, 16]);
    expect(header.small.data_offsets).toEqual([16, 28]);
    expect(header.__metadata__).toEqual({ note: 'x' });
  });

  it('refuses inconsistent input', () => {
    expect(() => encodeSafetensors(new Map([['x', { dtype: 'F32', shape: [3], data: new Float32Array(2) }]]))).toThrow(/'x' has shape \[3\] but 2 elements/);
    expect(() => encodeSafetensors(new Map([['x', { dtype: 'F64', shape: [2], data: new Float32Array(2) }]]))).toThrow(/declared F64/);
    expect(() => encodeSafetensors(new Map([['__metadata__', f32(1)]]))).toThrow(/reserved/);
  });
});

// ---------------------------------------------------------------------------------------------

const arbDType = fc.constantFrom<SafetensorsDType>('F32', 'F64', 'I32', 'I64', 'F16', 'BF16');
/** n float32 values that a 16-bit format holds exactly (its non-NaN bit patterns, widened). */
const halfValues = (n: number, widen: typeof bf16BytesToFloat32, isNaN: (bits: number) => boolean) =>
  fc.array(fc.integer({ min: 0, max: 0xffff }).filter((b) => !isNaN(b)), { minLength: n, maxLength: n })
    .map((bits) => widen(new Uint8Array(bits.flatMap((b) => [b & 0xff, b >>> 8])), 0, n));
const arbTensor: fc.Arbitrary<SafetensorsTensor> = fc
  .tuple(arbDType, fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }))
  .chain(([dtype, shape]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const values = {
      F32: fc.float32Array({ minLength: n, maxLength: n, noNaN: true }),
      F64: fc.float64Array({ minLength: n, maxLength: n, noNaN: true }),
      I32: fc.int32Array({ minLength: n, maxLength: n }),
      I64: fc.bigInt64Array({ minLength: n, maxLength: n }),
      BF16: halfValues(n, bf16BytesToFloat32, (b) => (b & 0x7f80) === 0x7f80 && (b & 0x7f) !== 0),
      F16: halfValues(n, f16BytesToFloat32, (b) => (b & 0x7c00) === 0x7c00 && (b & 0x3ff) !== 0),
    }[dtype] as fc.Arbitrary<SafetensorsTensor['data']>;
    return values.map((data) => ({ dtype, shape, data }));
  });
const arbFile = fc.record({
  tensors: fc.uniqueArray(fc.tuple(fc.string({ minLength: 1, maxLength: 8 }).filter((s) => s !== '__metadata__'), arbTensor), {
    maxLength: 5,
    selector: ([name]) => name,
  }),
  metadata: fc.dictionary(fc.oneof(fc.string({ maxLength: 6 }), fc.constant('__proto__')), fc.string({ maxLength: 10 }), { maxKeys: 3 }),
});

describe('safetensors round trip and corruption', () => {
  it('decode(encode(x)) gives back x', () => {
    fc.assert(
      fc.property(arbFile, ({ tensors, metadata }) => {
        const map = new Map(tensors);
        const back = decodeSafetensors(encodeSafetensors(map, metadata));
        expect(back.metadata).toEqual(metadata);
        expect(new Map([...back.tensors].sort())).toEqual(new Map([...map].sort()));
      }),
      { numRuns: 200 },
    );
  });

  it('refuses every truncation, naming the source', () => {
    fc.assert(
      fc.property(
        arbFile.filter((f) => f.tensors.some(([, t]) => t.data.length > 0)),
        fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
        ({ tensors, metadata }, where) => {
          const bytes = encodeSafetensors(new Map(tensors), metadata);
          const cut = Math.floor(where * bytes.length);
          expect(() => decodeSafetensors(bytes.subarray(0, cut), 'cut.safetensors')).toThrow(/^cut\.safetensors: not a valid safetensors file/);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a flipped header byte is refused or decodes to a well-formed file, never crashes oddly', () => {
    fc.assert(
      fc.property(arbFile, fc.nat(), fc.integer({ min: 1, max: 255 }), ({ tensors, metadata }, pos, xor) => {
        const bytes = encodeSafetensors(new Map(tensors), metadata);
        const headerEnd = 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true));
        const i = pos % headerEnd;
        bytes[i]! ^= xor;
        try {
          const file = decodeSafetensors(bytes, 'flip.safetensors');
          for (const t of file.tensors.values()) expect(t.data.length).toBe(t.shape.reduce((a, b) => a * b, 1));
        } catch (e) {
          expect(e).toBeInstanceOf(SafetensorsError);
          expect((e as Error).message).toMatch(/^flip\.safetensors: /);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('refuses each structural fault with a message that says what is wrong', () => {
    const bad = (header: string, data: number[] = []) => () => decodeSafetensors(handMade(header, data), 'bad.st');
    expect(() => decodeSafetensors(new Uint8Array(5), 'bad.st')).toThrow(/bad\.st: .*too short/);
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 1000n, true);
    expect(() => decodeSafetensors(huge, 'bad.st')).toThrow(/bad\.st: .*runs past the end/);
    expect(bad('{"a":')).toThrow(/not valid JSON/);
    expect(bad('[1,2]')).toThrow(/must start with '\{'/);
    expect(bad('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', [0])).toThrow(/unsupported dtype 'U8'/);
    expect(bad('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}', [0, 0, 0, 0])).toThrow(/needs 8 bytes but data_offsets \[0, 4\] hold 4/);
    expect(bad('{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', new Array(8).fill(0))).toThrow(/gap in the data: tensor 'a'/);
    expect(bad('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', new Array(8).fill(0))).toThrow(/overlaps/);
    expect(bad('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', new Array(8).fill(0))).toThrow(/4 unexplained bytes/);
    expect(bad('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', [0, 0, 0, 0])).toThrow(/needs 8 bytes but only 4 follow/);
    expect(bad('{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}')).toThrow(/shape must be an array of non-negative integers/);
    expect(bad('{"a":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}')).toThrow(/end before they begin/);
    expect(bad('{"__metadata__":{"k":1}}')).toThrow(/metadata 'k' is a number/);
    const proto = decodeSafetensors(handMade('{"__metadata__":{"__proto__":"x"}}', []));
    expect(Object.getPrototypeOf(proto.metadata)).toBe(Object.prototype);
    expect(Object.keys(proto.metadata)).toEqual(['__proto__']);
    expect(bad('{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0],"extra":1}}')).toThrow(/unexpected field 'extra'/);
  });
});

describe('little-endian copies', () => {
  it('the DataView path (big-endian hosts) gives the same bytes and values as the fast path', () => {
    fc.assert(
      fc.property(fc.float64Array({ maxLength: 20 }), fc.int32Array({ maxLength: 20 }), (f, i) => {
        for (const data of [f, Float32Array.from(f), i, BigInt64Array.from(i, (v) => BigInt(v) * 3n)]) {
          const fast = new Uint8Array(data.byteLength + 3);
          const slow = new Uint8Array(data.byteLength + 3);
          writeLittleEndian(data, fast, 3, true);
          writeLittleEndian(data, slow, 3, false);
          expect(slow).toEqual(fast);
          const make = (n: number) => new (data.constructor as new (n: number) => typeof data)(n);
          expect(readLittleEndian(fast, 3, data.length, make, false)).toEqual(readLittleEndian(fast, 3, data.length, make, true));
        }
      }),
    );
  });
});
