/**
 * The safetensors file format (https://github.com/huggingface/safetensors), pure: bytes in, bytes out.
 *
 *   [8 bytes]  N, the header length, unsigned 64-bit little-endian
 *   [N bytes]  UTF-8 JSON: { "<name>": { "dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end] }, ...,
 *                            "__metadata__": { "<key>": "<string value>" } }   (metadata optional)
 *              padded at the end with spaces so that 8 + N is a multiple of 8
 *   [rest]     the tensors' little-endian bytes; data_offsets count from the start of this buffer,
 *              and the tensors tile it exactly: no gaps, no overlaps, nothing after the last one.
 *
 * Python's `safetensors` (0.8.0, checked) reads what `encodeSafetensors` writes. Wider dtypes come
 * first (8-byte, then 4-byte elements; the caller's order within each), as the Python library
 * lays them out, so every tensor starts on a multiple of its element size and memory-mapping
 * readers can view it in place. Given names in sorted order, the bytes equal the Python library's.
 *
 * F16 and BF16 (PyTorch's half precisions) are widened to float32 on reading, exactly, and rounded to
 * nearest even on writing (src/io/halfFloat.ts): their `data` is a Float32Array.
 *
 * `decodeSafetensors` trusts nothing: every structural rule is checked and each error names the
 * source (a file path, given by the caller) and what was wrong.
 */
import { readLittleEndian, writeLittleEndian, type NumericArray } from './endian.js';
import { bf16BytesToFloat32, f16BytesToFloat32, float32ToBf16Bits, float32ToF16Bits } from './halfFloat.js';

export type SafetensorsDType = 'F32' | 'F64' | 'I32' | 'I64' | 'F16' | 'BF16';

export interface SafetensorsTensor {
  dtype: SafetensorsDType;
  shape: number[];
  /** Float32Array for F32, F16 and BF16, Float64Array for F64, Int32Array for I32, BigInt64Array for I64. */
  data: NumericArray;
}

export interface SafetensorsFile {
  tensors: Map<string, SafetensorsTensor>;
  metadata: Record<string, string>;
}

const METADATA_KEY = '__metadata__';
/** The Python library refuses headers over 100 MB; so do we, before allocating anything. */
const MAX_HEADER_BYTES = 100_000_000;

const ELEMENT_BYTES: Record<SafetensorsDType, number> = { F32: 4, F64: 8, I32: 4, I64: 8, F16: 2, BF16: 2 };

/** The typed array each dtype's values live in (F16 and BF16 are widened to float32). */
const ARRAY_TYPE = {
  F32: Float32Array,
  F16: Float32Array,
  BF16: Float32Array,
  F64: Float64Array,
  I32: Int32Array,
  I64: BigInt64Array,
} satisfies Record<SafetensorsDType, new (n: number) => NumericArray>;

function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

// ---------------------------------------------------------------------------------------------
// Encoding

export function encodeSafetensors(tensors: Map<string, SafetensorsTensor>, metadata: Record<string, string> = {}): Uint8Array {
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') throw new Error(`encodeSafetensors: metadata '${key}' must be a string, got ${typeof value}`);
  }
  for (const [name, t] of tensors) {
    if (name === METADATA_KEY) throw new Error(`encodeSafetensors: '${METADATA_KEY}' is reserved and cannot name a tensor`);
    if (!(t.dtype in ELEMENT_BYTES)) throw new Error(`encodeSafetensors: tensor '${name}' has unknown dtype '${String(t.dtype)}'`);
    if (!(t.data instanceof ARRAY_TYPE[t.dtype])) throw new Error(`encodeSafetensors: tensor '${name}' is declared ${t.dtype} but its data is a ${t.data.constructor.name}`);
    if (!t.shape.every((d) => Number.isInteger(d) && d >= 0)) throw new Error(`encodeSafetensors: tensor '${name}' has invalid shape [${t.shape.join(', ')}]`);
    if (elementCount(t.shape) !== t.data.length) {
      throw new Error(`encodeSafetensors: tensor '${name}' has shape [${t.shape.join(', ')}] but ${t.data.length} elements`);
    }
  }

  // Stable sort: 8-byte dtypes first keeps every tensor aligned to its element size.
  const ordered = [...tensors].sort((a, b) => ELEMENT_BYTES[b[1].dtype] - ELEMENT_BYTES[a[1].dtype]);
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header[METADATA_KEY] = metadata;
  let offset = 0;
  for (const [name, t] of ordered) {
    const end = offset + t.data.length * ELEMENT_BYTES[t.dtype];
    header[name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, end] };
    offset = end;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const paddedLength = Math.ceil(json.length / 8) * 8;

  const out = new Uint8Array(8 + paddedLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(paddedLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + paddedLength);
  const dataStart = 8 + paddedLength;
  for (const [name, t] of ordered) {
    const [begin] = (header[name] as { data_offsets: [number, number] }).data_offsets;
    if (t.dtype === 'F16' || t.dtype === 'BF16') writeHalf(t.data as Float32Array, t.dtype, out, dataStart + begin);
    else writeLittleEndian(t.data, out, dataStart + begin);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Decoding

export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

export interface HeaderEntry {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  begin: number;
  end: number;
}

/** The 8-byte header length and the header after it: how many bytes of a file hold the header. */
export function safetensorsHeaderBytes(start: Uint8Array): number {
  if (start.byteLength < 8) return 8;
  const length = new DataView(start.buffer, start.byteOffset, 8).getBigUint64(0, true);
  return length > BigInt(MAX_HEADER_BYTES) ? 8 : 8 + Number(length);
}

/** What a safetensors header says: the tensors (without their data), the metadata, where the data starts. */
export interface SafetensorsHeader {
  tensors: { name: string; dtype: SafetensorsDType; shape: number[]; begin: number; end: number }[];
  metadata: Record<string, string>;
  /** Byte offset of the data buffer in the file (8 + the header length). */
  dataStart: number;
}

/**
 * Reads and checks the header of a safetensors file of `fileBytes` bytes in all, from `bytes` (the
 * file's start: at least its first 8 bytes and the header). Checks everything decodeSafetensors does
 * except the data itself, so a loader can refuse a truncated or misshapen file before reading it.
 */
export function readSafetensorsHeader(bytes: Uint8Array, fileBytes: number, source = '<bytes>'): SafetensorsHeader {
  const fail = (why: string): never => {
    throw new SafetensorsError(`${source}: not a valid safetensors file: ${why}`);
  };

  if (fileBytes < 8 || bytes.byteLength < 8) fail(`only ${Math.min(fileBytes, bytes.byteLength)} bytes, too short for the 8-byte header length`);
  const headerLength64 = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (headerLength64 > BigInt(MAX_HEADER_BYTES)) fail(`header length ${headerLength64} is over the ${MAX_HEADER_BYTES}-byte limit`);
  const headerLength = Number(headerLength64);
  if (8 + headerLength > fileBytes || 8 + headerLength > bytes.byteLength) {
    fail(`header length ${headerLength} runs past the end of the file (${fileBytes} bytes; truncated?)`);
  }

  let headerText: string;
  try {
    headerText = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength));
  } catch {
    return fail('header is not valid UTF-8');
  }
  if (!headerText.startsWith('{')) fail(`header must start with '{'`);
  let header: unknown;
  try {
    header = JSON.parse(headerText);
  } catch (e) {
    return fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) fail('header is not a JSON object');

  const metadata = parseMetadata((header as Record<string, unknown>)[METADATA_KEY], fail);
  const entries: HeaderEntry[] = [];
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === METADATA_KEY) continue;
    entries.push(parseEntry(name, info, fail));
  }

  // The tensors must tile the byte buffer exactly, in offset order.
  const bufferLength = fileBytes - 8 - headerLength;
  const byOffset = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expectedBegin = 0;
  for (const e of byOffset) {
    if (e.begin > expectedBegin) fail(`gap in the data: tensor '${e.name}' starts at byte ${e.begin} but the previous data ends at ${expectedBegin}`);
    if (e.begin < expectedBegin) fail(`tensor '${e.name}' at bytes [${e.begin}, ${e.end}) overlaps the previous tensor (ends at ${expectedBegin})`);
    expectedBegin = e.end;
  }
  if (expectedBegin > bufferLength) fail(`tensor data needs ${expectedBegin} bytes but only ${bufferLength} follow the header (truncated?)`);
  if (expectedBegin < bufferLength) fail(`${bufferLength - expectedBegin} unexplained bytes after the last tensor`);
  return { tensors: entries, metadata, dataStart: 8 + headerLength };
}

/** `source` names where the bytes came from (usually a file path) in every error message. */
export function decodeSafetensors(bytes: Uint8Array, source = '<bytes>'): SafetensorsFile {
  const { tensors: entries, metadata, dataStart } = readSafetensorsHeader(bytes, bytes.byteLength, source);
  const tensors = new Map<string, SafetensorsTensor>();
  for (const e of entries) {
    const n = elementCount(e.shape);
    const at = dataStart + e.begin;
    const data =
      e.dtype === 'BF16' ? bf16BytesToFloat32(bytes, at, n)
      : e.dtype === 'F16' ? f16BytesToFloat32(bytes, at, n)
      : readLittleEndian<NumericArray>(bytes, at, n, (k) => new ARRAY_TYPE[e.dtype](k));
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data });
  }
  return { tensors, metadata };
}

/** float32 values as little-endian 16-bit floats at byte `offset` of `out`. */
function writeHalf(data: Float32Array, dtype: 'F16' | 'BF16', out: Uint8Array, offset: number): void {
  const toBits = dtype === 'BF16' ? float32ToBf16Bits : float32ToF16Bits;
  for (let i = 0, p = offset; i < data.length; i++, p += 2) {
    const bits = toBits(data[i]!);
    out[p] = bits & 0xff;
    out[p + 1] = bits >>> 8;
  }
}

function parseMetadata(value: unknown, fail: (why: string) => never): Record<string, string> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(`'${METADATA_KEY}' must be an object of strings`);
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v !== 'string') fail(`metadata '${key}' is a ${v === null ? 'null' : typeof v}, not a string`);
    // defineProperty, not assignment: a key named "__proto__" must stay a plain entry.
    Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function parseEntry(name: string, info: unknown, fail: (why: string) => never): HeaderEntry {
  const where = `tensor '${name}'`;
  if (info === null || typeof info !== 'object' || Array.isArray(info)) fail(`${where}: entry is not an object`);
  const { dtype, shape, data_offsets: offsets, ...rest } = info as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length > 0) fail(`${where}: unexpected field '${extra[0]}'`);
  if (typeof dtype !== 'string') fail(`${where}: missing dtype`);
  if (!Object.hasOwn(ELEMENT_BYTES, dtype as string)) fail(`${where}: unsupported dtype '${dtype}' (supported: F32, F64, F16, BF16, I32, I64)`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    fail(`${where}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
    fail(`${where}: data_offsets must be two non-negative integers, got ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) fail(`${where}: data_offsets [${begin}, ${end}] end before they begin`);
  const n = elementCount(shape as number[]);
  const width = ELEMENT_BYTES[dtype as SafetensorsDType];
  if (!Number.isSafeInteger(n * width)) fail(`${where}: shape [${(shape as number[]).join(', ')}] is too large`);
  if (end - begin !== n * width) {
    fail(`${where}: shape [${(shape as number[]).join(', ')}] of ${dtype} needs ${n * width} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}`);
  }
  return { name, dtype: dtype as SafetensorsDType, shape: shape as number[], begin, end };
}
