/**
 * Loading fla's DeltaNet from the files of a Hugging Face directory (docs/pretrained.md), wherever
 * the files are: on disk (huggingFace.ts reads them with node:fs) or picked in a browser page
 * (`hfFilesFromBytes`). config.json, then model.safetensors or the shards that
 * model.safetensors.index.json lists, and tokenizer.json when there is one. Everything that can be
 * checked without the weights is checked first, each fault a one-line error naming the file: the
 * config (src/nn/fla/config.ts), missing shards, every tensor's name, dtype and shape against the
 * config, truncated files (their headers against their sizes). Only then are the weights read, one
 * tensor at a time straight into the model's parameters (F16 and BF16 widened to float32), so that
 * loading needs the model's memory and one tensor's bytes besides; for inference (`resident`) the
 * matrices keep their file's format instead, in WebAssembly memory.
 *
 * Browser-safe: no Node imports.
 */
import type { DType } from '../tensor/tensor.js';
import { parseDeltaNetConfig, type DeltaNetConfig } from '../nn/fla/config.js';
import { deltaNetParameterShapes } from '../nn/fla/parameters.js';
import { DeltaNetForCausalLM } from '../nn/fla/model.js';
import { parseHfTokenizer, type HfTokenizer } from '../data/hfTokenizer/index.js';
import { readSafetensorsHeader, type SafetensorsDType, type SafetensorsHeader } from './safetensors.js';
import { HOST_IS_LITTLE_ENDIAN, readLittleEndian } from './endian.js';
import { bf16BytesToFloat32, f16BytesToFloat32 } from './halfFloat.js';
import type { CompactDType } from '../../kernels/index.js';

export class HfDirectoryError extends Error {
  override name = 'HfDirectoryError';
}

const fail = (why: string): never => {
  throw new HfDirectoryError(why);
};

/** The files of one Hugging Face directory, read by name ('config.json', 'model.safetensors', …). */
export interface HfFiles {
  /** The directory, as errors name it. */
  readonly name: string;
  /** A file, as errors name it (its path on disk, or its name). */
  where(file: string): string;
  has(file: string): boolean;
  /** The file's size in bytes. */
  size(file: string): number;
  /** Bytes [offset, offset + length) of the file; fewer when the file ends before. */
  read(file: string, offset: number, length: number): Uint8Array;
  /**
   * Optional: bytes from `offset` of the file straight into `into` (as many as it holds, fewer when the
   * file ends before); returns how many were read. A 16-bit matrix kept as it is stored then goes from
   * the file to its place in WebAssembly memory without a copy in between (which would add a tensor's
   * bytes, up to the embedding's, to the peak of loading).
   */
  readInto?(file: string, offset: number, into: Uint8Array): number;
}

/** Files held in memory, by name (e.g. the files a person picked in a page, read into ArrayBuffers). */
export function hfFilesFromBytes(files: ReadonlyMap<string, Uint8Array>, name = 'the picked files'): HfFiles {
  const bytesOf = (file: string): Uint8Array => files.get(file) ?? fail(`${file}: not among ${name}`);
  return {
    name,
    where: (file) => file,
    has: (file) => files.has(file),
    size: (file) => bytesOf(file).byteLength,
    read: (file, offset, length) => bytesOf(file).subarray(offset, offset + length),
  };
}

/** A file a person picked in a page (a DOM File has both). */
export interface PickedFile {
  name: string;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** The picked files, read into memory, by their names (a folder's files picked together keep their plain names). */
export async function hfFilesFromPicked(picked: Iterable<PickedFile> | ArrayLike<PickedFile>): Promise<HfFiles> {
  const files = new Map<string, Uint8Array>();
  for (const file of Array.from(picked)) files.set(file.name, new Uint8Array(await file.arrayBuffer()));
  return hfFilesFromBytes(files);
}

export interface LoadedHfDeltaNet {
  model: DeltaNetForCausalLM;
  config: DeltaNetConfig;
  /** The weight files read, in order. */
  files: string[];
  /** The dtypes the weights were stored in (they are float32 or float64 in the model). */
  storedDTypes: Set<SafetensorsDType>;
}

export interface HfLoadOptions {
  /** The model's dtype; float32 by default. */
  dtype?: DType;
  /**
   * Inference only (these weights have no gradient; float32 models): the matrices go to WebAssembly
   * memory in their file's format, BF16 and F16 at two bytes a weight (float32 when the files mix
   * formats), for fast decoding (kernels/matmul/resident.ts).
   */
  resident?: boolean;
}

function readJson(files: HfFiles, file: string): unknown {
  if (!files.has(file)) fail(`${files.where(file)}: not found`);
  try {
    return JSON.parse(new TextDecoder().decode(files.read(file, 0, files.size(file))));
  } catch (e) {
    return fail(`${files.where(file)}: not valid JSON (${(e as Error).message})`);
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
function readHeader(files: HfFiles, file: string): SafetensorsHeader {
  const size = files.size(file);
  const head = files.read(file, 0, Math.min(size, 8));
  const headerLength = head.length === 8 ? Number(new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true)) : 0;
  // Only what the header says it is (up to the file's end); readSafetensorsHeader judges the rest.
  const bytes = files.read(file, 0, Math.min(size, 8 + Math.min(headerLength, 100_000_001)));
  return readSafetensorsHeader(bytes, size, files.where(file));
}

const FLOAT_DTYPES = new Set<SafetensorsDType>(['F32', 'F16', 'BF16', 'F64']);

/**
 * Loads fla's DeltaNetForCausalLM from the files of a Hugging Face directory into a model of
 * `dtype` (float32 by default). Throws HfDirectoryError, FlaConfigError or SafetensorsError, one
 * line each.
 */
export function loadHfDeltaNetFiles(source: HfFiles, options: HfLoadOptions = {}): LoadedHfDeltaNet {
  const configPath = source.where('config.json');
  const config = parseDeltaNetConfig(readJson(source, 'config.json'), configPath);
  const expected = deltaNetParameterShapes(config);

  const indexPath = source.where('model.safetensors.index.json');
  let files: string[];
  let index: Map<string, string> | null = null;
  if (source.has('model.safetensors.index.json')) {
    index = parseWeightIndex(readJson(source, 'model.safetensors.index.json'), indexPath);
    files = [...new Set(index.values())];
    for (const file of files) if (!source.has(file)) fail(`${indexPath}: shard '${file}' is missing (${source.where(file)})`);
  } else {
    if (!source.has('model.safetensors')) fail(`${source.name}: has neither model.safetensors nor model.safetensors.index.json`);
    files = ['model.safetensors'];
  }

  // Every header before any weight: names, dtypes and shapes against the config.
  const found = new Map<string, string>();
  const storedDTypes = new Set<SafetensorsDType>();
  const matrixDTypes = new Set<SafetensorsDType>();
  const headers = new Map<string, SafetensorsHeader>();
  for (const file of files) {
    const path = source.where(file);
    const header = readHeader(source, file);
    headers.set(file, header);
    for (const t of header.tensors) {
      const where = `${path}: tensor '${t.name}'`;
      if (found.has(t.name)) fail(`${where} is also in ${source.where(found.get(t.name)!)}`);
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
  for (const [name, shape] of expected) if (!found.has(name)) fail(`${source.name}: tensor '${name}' [${shape.join(', ')}] is in none of the weight files (${files.join(', ')})`);

  const compact = options.resident && (options.dtype ?? 'float32') === 'float32' ? compactDTypeFor(matrixDTypes) : undefined;
  const model = new DeltaNetForCausalLM(config, { empty: true, ...(compact ? { compact } : {}), ...(options.dtype ? { dtype: options.dtype } : {}) });
  const parameters = model.stateDict();
  const compactWeights = new Map(model.namedCompactWeights());
  for (const file of files) {
    const { tensors, dataStart } = headers.get(file)!;
    for (const t of tensors) {
      const matrix = compactWeights.get(t.name);
      const target = matrix?.values ?? parameters.get(t.name)?.data;
      if (target === undefined) continue; // a tied model's lm_head copy
      const length = t.end - t.begin;
      const notWhole = () => fail(`${source.where(file)}: tensor '${t.name}' could not be read whole (the file changed while loading?)`);
      // A 16-bit matrix kept as it is stored is copied as it is: straight into place where the files can.
      if (target instanceof Uint16Array && HOST_IS_LITTLE_ENDIAN && source.readInto && matrix!.bytes.length === length) {
        if (source.readInto(file, dataStart + t.begin, matrix!.bytes) !== length) notWhole();
        continue;
      }
      const bytes = source.read(file, dataStart + t.begin, length);
      if (bytes.length !== length) notWhole();
      if (target instanceof Uint16Array && HOST_IS_LITTLE_ENDIAN) matrix!.bytes.set(bytes);
      else if (target instanceof Uint16Array) read16(bytes, target);
      else readInto(bytes, t.dtype, target);
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

export interface LoadedHfLanguageModel extends LoadedHfDeltaNet {
  /** The directory's tokenizer.json, or null when it has none (prompts are then token ids). */
  tokenizer: HfTokenizer | null;
}

/** The model and, when the directory has one, its tokenizer.json, checked to fit the model's vocabulary. */
export function loadHfLanguageModelFiles(source: HfFiles, options: HfLoadOptions = {}): LoadedHfLanguageModel {
  const loaded = loadHfDeltaNetFiles(source, options);
  if (!source.has('tokenizer.json')) return { ...loaded, tokenizer: null };
  const tokenizerPath = source.where('tokenizer.json');
  const tokenizer = parseHfTokenizer(new TextDecoder().decode(source.read('tokenizer.json', 0, source.size('tokenizer.json'))), tokenizerPath);
  if (tokenizer.vocabSize > loaded.config.vocabSize) {
    fail(`${tokenizerPath}: ${tokenizer.vocabSize} tokens, more than the ${loaded.config.vocabSize} of ${source.where('config.json')}`);
  }
  return { ...loaded, tokenizer };
}
