/**
 * Loading a Hugging Face directory of fla's DeltaNet (docs/pretrained.md): config.json, then
 * model.safetensors or the shards that model.safetensors.index.json lists. Everything that can be
 * checked without the weights is checked first, each fault a one-line error naming the file: the
 * config (src/nn/fla/config.ts), missing shards, every tensor's name, dtype and shape against the
 * config, truncated files (their headers against their sizes). Only then are the weights read, one
 * tensor at a time straight into the model's parameters (F16 and BF16 widened to float32), so that
 * loading needs the model's memory and one tensor's bytes besides; for inference (`resident`) the
 * matrices keep their file's format instead, read straight into WebAssembly memory. `saveHfDeltaNet`
 * writes the same layout back.
 */
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { DType } from '../tensor/tensor.js';
import { deltaNetConfigToJson, parseDeltaNetConfig, type DeltaNetConfig } from '../nn/fla/config.js';
import { deltaNetParameterShapes } from '../nn/fla/parameters.js';
import { DeltaNetForCausalLM } from '../nn/fla/model.js';
import { encodeSafetensors, readSafetensorsHeader, type SafetensorsDType, type SafetensorsHeader, type SafetensorsTensor } from './safetensors.js';
import { HOST_IS_LITTLE_ENDIAN, readLittleEndian } from './endian.js';
import { bf16BytesToFloat32, f16BytesToFloat32 } from './halfFloat.js';
import { writeFileAtomic } from './atomic.js';
import { widenRows, type CompactDType, type CompactMatrix } from '../../kernels/index.js';

export class HfDirectoryError extends Error {
  override name = 'HfDirectoryError';
}

const fail = (why: string): never => {
  throw new HfDirectoryError(why);
};

export interface LoadedHfDeltaNet {
  model: DeltaNetForCausalLM;
  config: DeltaNetConfig;
  /** The weight files read, in order. */
  files: string[];
  /** The dtypes the weights were stored in (they are float32 or float64 in the model). */
  storedDTypes: Set<SafetensorsDType>;
}

function readJson(path: string): unknown {
  if (!existsSync(path)) fail(`${path}: not found`);
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    return fail(`${path}: not valid JSON (${(e as Error).message})`);
  }
}

/** The file each tensor is in, from model.safetensors.index.json's weight_map. */
export function parseWeightIndex(json: unknown, source: string): Map<string, string> {
  const map = (json as { weight_map?: unknown } | null)?.weight_map;
  if (map === null || typeof map !== 'object' || Array.isArray(map)) return fail(`${source}: has no "weight_map" object`);
  const files = new Map<string, string>();
  for (const [name, file] of Object.entries(map as Record<string, unknown>)) {
    if (typeof file !== 'string' || file === '' || file.includes('/') || file.includes('\\') || file.startsWith('.')) {
      fail(`${source}: weight_map entry '${name}' must name a file in the directory, got ${JSON.stringify(file)}`);
    }
    files.set(name, file as string);
  }
  return files;
}

/** Reads a safetensors file's header only (its first bytes), checked against the file's size. */
function readHeader(path: string) {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const head = new Uint8Array(Math.min(size, 8));
    readSync(fd, head, 0, head.length, 0);
    const headerLength = head.length === 8 ? Number(new DataView(head.buffer).getBigUint64(0, true)) : 0;
    // Only what the header says it is (up to the file's end); readSafetensorsHeader judges the rest.
    const bytes = new Uint8Array(Math.min(size, 8 + Math.min(headerLength, 100_000_001)));
    readSync(fd, bytes, 0, bytes.length, 0);
    return readSafetensorsHeader(bytes, size, path);
  } finally {
    closeSync(fd);
  }
}

const FLOAT_DTYPES = new Set<SafetensorsDType>(['F32', 'F16', 'BF16', 'F64']);

/**
 * Loads fla's DeltaNetForCausalLM from a Hugging Face directory into a model of `dtype`
 * (float32 by default). `resident` (float32 models; inference only: these weights have no gradient):
 * the matrices go to WebAssembly memory in their file's format, BF16 and F16 at two bytes a weight
 * (float32 when the files mix formats), for fast decoding (kernels/matmul/resident.ts).
 * Throws HfDirectoryError, FlaConfigError or SafetensorsError, one line each.
 */
export function loadHfDeltaNet(directory: string, options: { dtype?: DType; resident?: boolean } = {}): LoadedHfDeltaNet {
  const configPath = join(directory, 'config.json');
  const config = parseDeltaNetConfig(readJson(configPath), configPath);
  const expected = deltaNetParameterShapes(config);

  const indexPath = join(directory, 'model.safetensors.index.json');
  let files: string[];
  let index: Map<string, string> | null = null;
  if (existsSync(indexPath)) {
    index = parseWeightIndex(readJson(indexPath), indexPath);
    files = [...new Set(index.values())];
    for (const file of files) if (!existsSync(join(directory, file))) fail(`${indexPath}: shard '${file}' is missing (${join(directory, file)})`);
  } else {
    if (!existsSync(join(directory, 'model.safetensors'))) fail(`${directory}: has neither model.safetensors nor model.safetensors.index.json`);
    files = ['model.safetensors'];
  }

  // Every header before any weight: names, dtypes and shapes against the config.
  const found = new Map<string, string>();
  const storedDTypes = new Set<SafetensorsDType>();
  const matrixDTypes = new Set<SafetensorsDType>();
  const headers = new Map<string, SafetensorsHeader>();
  for (const file of files) {
    const path = join(directory, file);
    const header = readHeader(path);
    headers.set(file, header);
    for (const t of header.tensors) {
      const where = `${path}: tensor '${t.name}'`;
      if (found.has(t.name)) fail(`${where} is also in ${join(directory, found.get(t.name)!)}`);
      if (index && index.get(t.name) !== file) fail(`${where} is not where ${indexPath} puts it (${index.get(t.name) ?? 'not listed'})`);
      found.set(t.name, file);
      // A tied model may still carry lm_head.weight (a copy of the embeddings): it is not read.
      if (config.tieWordEmbeddings && t.name === 'lm_head.weight') continue;
      const want = expected.get(t.name);
      if (want === undefined) fail(`${where} is not a parameter of fla's DeltaNetForCausalLM with ${configPath}`);
      if (!FLOAT_DTYPES.has(t.dtype)) fail(`${where} is ${t.dtype}; weights must be F32, F16, BF16 or F64`);
      if (t.shape.length !== want!.length || t.shape.some((d, i) => d !== want![i])) {
        fail(`${where} has shape [${t.shape.join(', ')}] but ${configPath} gives [${want!.join(', ')}]`);
      }
      storedDTypes.add(t.dtype);
      if (want!.length === 2) matrixDTypes.add(t.dtype);
    }
  }
  if (index) for (const [name, file] of index) if (!found.has(name)) fail(`${indexPath}: tensor '${name}' is listed in '${file}' but that file does not hold it`);
  for (const [name, shape] of expected) if (!found.has(name)) fail(`${directory}: tensor '${name}' [${shape.join(', ')}] is in none of the weight files (${files.join(', ')})`);

  const compact = options.resident && (options.dtype ?? 'float32') === 'float32' ? compactDTypeFor(matrixDTypes) : undefined;
  const model = new DeltaNetForCausalLM(config, { empty: true, ...(compact ? { compact } : {}), ...(options.dtype ? { dtype: options.dtype } : {}) });
  const parameters = model.stateDict();
  const compactWeights = new Map(model.namedCompactWeights());
  for (const file of files) {
    const path = join(directory, file);
    const { tensors, dataStart } = headers.get(file)!;
    const fd = openSync(path, 'r');
    try {
      for (const t of tensors) {
        const matrix = compactWeights.get(t.name);
        const target = matrix?.values ?? parameters.get(t.name)?.data;
        if (target === undefined) continue; // a tied model's lm_head copy
        const read = (bytes: Uint8Array) => {
          if (readSync(fd, bytes, 0, bytes.length, dataStart + t.begin) !== bytes.length) fail(`${path}: tensor '${t.name}' could not be read whole (the file changed while loading?)`);
          return bytes;
        };
        // A 16-bit matrix kept as it is stored goes straight from the file into its place.
        if (target instanceof Uint16Array && HOST_IS_LITTLE_ENDIAN) read(matrix!.bytes);
        else if (target instanceof Uint16Array) read16(read(new Uint8Array(t.end - t.begin)), target);
        else readInto(read(new Uint8Array(t.end - t.begin)), t.dtype, target);
      }
    } finally {
      closeSync(fd);
    }
  }
  return { model, config, files, storedDTypes };
}

/** The format resident matrices are kept in: their files' when all share one 16-bit format, else float32. */
function compactDTypeFor(stored: Set<SafetensorsDType>): CompactDType {
  if (stored.size === 1 && stored.has('BF16')) return 'bfloat16';
  if (stored.size === 1 && stored.has('F16')) return 'float16';
  return 'float32';
}

/** 16-bit little-endian patterns into `target` (a big-endian host's path). */
function read16(bytes: Uint8Array, target: Uint16Array): void {
  for (let i = 0; i < target.length; i++) target[i] = bytes[2 * i]! | (bytes[2 * i + 1]! << 8);
}

/** A tensor's little-endian bytes of `dtype` (a float type) into `target`, widened or narrowed as needed. */
function readInto(bytes: Uint8Array, dtype: SafetensorsDType, target: Float32Array | Float64Array): void {
  const n = target.length;
  const direct = target instanceof Float32Array;
  if (dtype === 'BF16' || dtype === 'F16') {
    const widen = dtype === 'BF16' ? bf16BytesToFloat32 : f16BytesToFloat32;
    if (direct) widen(bytes, 0, n, target);
    else target.set(widen(bytes, 0, n));
  } else if (dtype === 'F32') {
    if (direct) readLittleEndian(bytes, 0, n, () => target);
    else target.set(readLittleEndian(bytes, 0, n, (k) => new Float32Array(k)));
  } else {
    const wide = readLittleEndian(bytes, 0, n, (k) => (direct ? new Float64Array(k) : (target as Float64Array)));
    if (direct) target.set(wide);
  }
}

function widened(w: CompactMatrix): Float32Array {
  const out = new Float32Array(w.rows * w.cols);
  widenRows(w, 0, w.rows, out);
  return out;
}

/**
 * Writes a model as a Hugging Face directory that fla's DeltaNetForCausalLM.from_pretrained and
 * loadHfDeltaNet read: config.json and model.safetensors (F32, or BF16/F16 rounded to nearest even).
 * The directory is created if needed; existing files of those names are replaced atomically.
 */
export function saveHfDeltaNet(model: DeltaNetForCausalLM, directory: string, options: { dtype?: 'F32' | 'BF16' | 'F16' } = {}): void {
  const dtype = options.dtype ?? 'F32';
  const tensors = new Map<string, SafetensorsTensor>();
  for (const [name, p] of model.stateDict()) {
    tensors.set(name, { dtype, shape: [...p.shape], data: p.data instanceof Float32Array ? p.data : Float32Array.from(p.data) });
  }
  // Matrices kept compact (a model loaded with `resident`), widened to float32 to be written.
  for (const [name, w] of model.namedCompactWeights()) tensors.set(name, { dtype, shape: [w.rows, w.cols], data: widened(w) });
  const torchDtype = ({ F32: 'float32', BF16: 'bfloat16', F16: 'float16' } as const)[dtype];
  // A shard index would take precedence over the new model.safetensors when the directory is read.
  const index = join(directory, 'model.safetensors.index.json');
  if (existsSync(index)) fail(`${index}: exists; save into a directory without sharded weights`);
  mkdirSync(directory, { recursive: true });
  writeFileAtomic(join(directory, 'model.safetensors'), encodeSafetensors(tensors, { format: 'pt' }));
  writeFileAtomic(join(directory, 'config.json'), `${JSON.stringify(deltaNetConfigToJson(model.config, torchDtype), null, 2)}\n`);
}
