/**
 * Checkpoints: a directory that a crash at any moment leaves holding a whole, loadable checkpoint.
 *
 *   checkpoint.json                 the manifest, the single source of truth: which files make up
 *                                   the checkpoint, with their byte sizes and SHA-256 hashes
 *   model-<gen>.safetensors         weights (F32/F64 tensors with their shapes)
 *   optimizer-<gen>.safetensors     optimiser buffers (flat arrays, e.g. `m.<param>`)
 *   config-<gen>.json, tokenizer-<gen>.json, state-<gen>.json
 *
 * Saving writes every data file under a new generation number (each file atomically), then
 * atomically replaces the manifest, and only then deletes files no longer referenced. Until the
 * manifest is replaced, it points at the previous generation's untouched files; after, at the new
 * ones. Loading checks every file's size and hash against the manifest, so a truncated or altered
 * file is refused by name instead of resuming from garbage.
 *
 * One writer per directory at a time: two processes saving into the same directory can clean up
 * each other's files.
 */
import { constants as bufferLimits } from 'node:buffer';
import { createHash } from 'node:crypto';
import { closeSync, constants, existsSync, fstatSync, mkdirSync, openSync, readdirSync, readSync, statSync, unlinkSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { Tensor, type FloatArray } from '../tensor/tensor.js';
import { TEMPORARY_SUFFIX, syncDirectory, writeFileAtomic } from './atomic.js';
import { stringifyJson } from './json.js';
import { decodeSafetensors, encodeSafetensors, readSafetensorsHeader, safetensorsHeaderBytes, type SafetensorsFile, type SafetensorsTensor } from './safetensors.js';
import { availableMemory, formatBytes } from '../train/resources.js';

export const MANIFEST_NAME = 'checkpoint.json';
const FORMAT = 'fastweights-checkpoint';
const VERSION = 1;

/** The files of one checkpoint, by role, with the extension each is saved under. */
const ROLES = { model: 'safetensors', optimizer: 'safetensors', config: 'json', tokenizer: 'json', state: 'json' } as const;
type Role = keyof typeof ROLES;
const ROLE_NAMES = Object.keys(ROLES) as Role[];
/** Files this module writes (and may therefore delete): `<role>-<generation>.<ext>`, and their temporaries. */
const OWN_FILE = /^(model|optimizer)-\d+\.safetensors$|^(config|tokenizer|state)-\d+\.json$/;

export interface CheckpointContents {
  weights: Map<string, Tensor> | Record<string, Tensor>;
  optimizer: Record<string, FloatArray>;
  /** Plain JSON values (see io/json.ts: NaN, Infinity, Maps and class instances are refused). */
  config: unknown;
  tokenizer: unknown;
  /** Step, optimiser scalars, RNG states, anything else the trainer needs to resume. */
  state: unknown;
}

export interface LoadedCheckpoint {
  weights: Map<string, Tensor>;
  optimizer: Record<string, FloatArray>;
  config: unknown;
  tokenizer: unknown;
  state: unknown;
  /** Increases by one with every save into the directory. */
  generation: number;
}

interface ManifestFile {
  path: string;
  bytes: number;
  sha256: string;
}

interface Manifest {
  format: typeof FORMAT;
  version: number;
  generation: number;
  savedAt: string;
  files: Record<Role, ManifestFile>;
}

/** Points at which tests can simulate a crash by throwing. */
export interface SaveHooks {
  afterFile?: (fileName: string) => void;
  beforeManifest?: () => void;
  beforeCleanup?: () => void;
}

export interface SaveResult {
  generation: number;
  files: Record<Role, ManifestFile>;
  /** Old files that could not be deleted; the checkpoint itself is saved. */
  cleanupErrors: string[];
}

export function saveCheckpoint(dir: string, contents: CheckpointContents, options: { hooks?: SaveHooks } = {}): SaveResult {
  const hooks = options.hooks ?? {};
  // Serialise everything first, so a bad value fails before anything on disk changes.
  const config = new TextEncoder().encode(stringifyJson(contents.config, 'config'));
  const tokenizer = new TextEncoder().encode(stringifyJson(contents.tokenizer, 'tokenizer'));
  const payloads: Record<Role, Uint8Array> = {
    // The weights record which config and tokenizer they were trained with (see checkBinding).
    model: encodeWeights(contents.weights, { [BINDING_KEYS.config]: sha256Hex(config), [BINDING_KEYS.tokenizer]: sha256Hex(tokenizer) }),
    optimizer: encodeOptimizer(contents.optimizer),
    config,
    tokenizer,
    state: new TextEncoder().encode(stringifyJson(contents.state, 'state')),
  };

  mkdirSync(dir, { recursive: true });
  const generation = nextGeneration(dir);
  const files = {} as Record<Role, ManifestFile>;
  for (const role of ROLE_NAMES) {
    const path = `${role}-${String(generation).padStart(8, '0')}.${ROLES[role]}`;
    writeFileAtomic(join(dir, path), payloads[role]);
    files[role] = { path, bytes: payloads[role].byteLength, sha256: sha256Hex(payloads[role]) };
    hooks.afterFile?.(path);
  }

  hooks.beforeManifest?.();
  const manifest: Manifest = { format: FORMAT, version: VERSION, generation, savedAt: new Date().toISOString(), files };
  writeFileAtomic(join(dir, MANIFEST_NAME), stringifyJson(manifest, 'manifest'));

  hooks.beforeCleanup?.();
  return { generation, files, cleanupErrors: removeUnreferenced(dir, files) };
}

export function loadCheckpoint(dir: string): LoadedCheckpoint {
  if (!existsSync(dir)) throw new Error(`loadCheckpoint: checkpoint directory ${dir} does not exist`);
  if (!statSync(dir).isDirectory()) throw new Error(`loadCheckpoint: ${dir} is not a directory`);
  const manifestPath = join(dir, MANIFEST_NAME);
  if (!existsSync(manifestPath)) {
    throw new Error(`loadCheckpoint: no ${MANIFEST_NAME} in ${dir} (not a checkpoint, or its first save never finished)`);
  }
  const manifestBytes = readRegularFile(manifestPath, { atMost: MAX_MANIFEST_BYTES });
  const manifest = parseManifest(new TextDecoder().decode(manifestBytes), manifestPath);
  checkManifestSizes(dir, manifest);

  const files = new Map<Role, Uint8Array>();
  const read = (role: Role): Uint8Array => {
    const cached = files.get(role);
    if (cached) return cached;
    const entry = manifest.files[role];
    const path = join(dir, entry.path);
    // A weights file must agree with its own header before its data is read (a 3 GB file whose header lists 1 kB of tensors).
    const beforeReading = ROLES[role] === 'safetensors' ? (fd: number) => readSafetensorsHeader(readStart(fd, entry.bytes), entry.bytes, path) : undefined;
    const bytes = readRegularFile(path, { exactly: entry.bytes }, beforeReading);
    if (sha256Hex(bytes) !== entry.sha256) throw new Error(`loadCheckpoint: ${path} is corrupt (its SHA-256 does not match ${MANIFEST_NAME})`);
    files.set(role, bytes);
    return bytes;
  };
  const readJson = (role: Role): unknown => {
    const path = join(dir, manifest.files[role].path);
    try {
      return JSON.parse(new TextDecoder().decode(read(role)));
    } catch (error) {
      if (error instanceof SyntaxError) throw new Error(`loadCheckpoint: ${path} is not valid JSON: ${error.message}`);
      throw error;
    }
  };

  const modelPath = join(dir, manifest.files.model.path);
  const model = decodeSafetensors(read('model'), modelPath);
  checkBinding(model.metadata, 'config', read('config'), modelPath, join(dir, manifest.files.config.path));
  checkBinding(model.metadata, 'tokenizer', read('tokenizer'), modelPath, join(dir, manifest.files.tokenizer.path));
  return {
    weights: decodeWeights(model, modelPath),
    optimizer: decodeOptimizer(read('optimizer'), join(dir, manifest.files.optimizer.path)),
    config: readJson('config'),
    tokenizer: readJson('tokenizer'),
    state: readJson('state'),
    generation: manifest.generation,
  };
}

/**
 * A checkpoint's config alone (checked against the manifest's hash), without reading the weights:
 * what a command needs to know which kind of run a directory holds. Throws as loadCheckpoint does.
 */
export function readCheckpointConfig(dir: string): unknown {
  const manifestPath = join(dir, MANIFEST_NAME);
  if (!existsSync(manifestPath)) throw new Error(`loadCheckpoint: no ${MANIFEST_NAME} in ${dir} (not a checkpoint, or its first save never finished)`);
  const manifest = parseManifest(new TextDecoder().decode(readRegularFile(manifestPath, { atMost: MAX_MANIFEST_BYTES })), manifestPath);
  const entry = manifest.files.config;
  const path = join(dir, entry.path);
  const bytes = readRegularFile(path, { exactly: entry.bytes });
  if (sha256Hex(bytes) !== entry.sha256) throw new Error(`loadCheckpoint: ${path} is corrupt (its SHA-256 does not match ${MANIFEST_NAME})`);
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new Error(`loadCheckpoint: ${path} is not valid JSON: ${(error as Error).message}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Tensors in and out of safetensors

function encodeWeights(weights: Map<string, Tensor> | Record<string, Tensor>, bindings: Record<string, string> = {}): Uint8Array {
  const entries = weights instanceof Map ? [...weights] : Object.entries(weights);
  const tensors = new Map<string, SafetensorsTensor>();
  for (const [name, t] of entries) {
    if (!(t instanceof Tensor)) throw new Error(`saveCheckpoint: weight '${name}' is not a Tensor`);
    tensors.set(name, { dtype: t.dtype === 'float64' ? 'F64' : 'F32', shape: [...t.shape], data: t.data });
  }
  return encodeSafetensors(tensors, { producer: 'fastweights', content: 'weights', ...bindings });
}

function decodeWeights(file: SafetensorsFile, source: string): Map<string, Tensor> {
  const weights = new Map<string, Tensor>();
  for (const [name, t] of file.tensors) {
    if (!(t.data instanceof Float32Array || t.data instanceof Float64Array)) {
      throw new Error(`loadCheckpoint: ${source}: weight '${name}' has dtype ${t.dtype}; weights must be F32 or F64`);
    }
    weights.set(name, new Tensor(t.data, t.shape, { name }));
  }
  return weights;
}

function encodeOptimizer(buffers: Record<string, FloatArray>): Uint8Array {
  const tensors = new Map<string, SafetensorsTensor>();
  for (const [name, data] of Object.entries(buffers)) {
    if (!(data instanceof Float32Array || data instanceof Float64Array)) {
      throw new Error(`saveCheckpoint: optimizer buffer '${name}' must be a Float32Array or Float64Array`);
    }
    tensors.set(name, { dtype: data instanceof Float64Array ? 'F64' : 'F32', shape: [data.length], data });
  }
  return encodeSafetensors(tensors, { producer: 'fastweights', content: 'optimizer' });
}

function decodeOptimizer(bytes: Uint8Array, source: string): Record<string, FloatArray> {
  const buffers: Record<string, FloatArray> = {};
  for (const [name, t] of decodeSafetensors(bytes, source).tensors) {
    if (!(t.data instanceof Float32Array || t.data instanceof Float64Array)) {
      throw new Error(`loadCheckpoint: ${source}: optimizer buffer '${name}' has dtype ${t.dtype}; expected F32 or F64`);
    }
    // defineProperty, not assignment: a buffer named "__proto__" must stay a plain entry.
    Object.defineProperty(buffers, name, { value: t.data, enumerable: true, writable: true, configurable: true });
  }
  return buffers;
}

// ---------------------------------------------------------------------------------------------
// Reading files, bounded

/** A manifest is a few hundred bytes; anything this large is not one. */
const MAX_MANIFEST_BYTES = 1_000_000;

/**
 * The sizes the manifest lists, checked before any file is opened: a JSON file must fit in one
 * string, a weights file in one array, and all of them together in memory. A manifest claiming a
 * 64 GB model file is refused by name instead of failing inside the allocator.
 */
function checkManifestSizes(dir: string, manifest: Manifest): void {
  let total = 0;
  for (const role of ROLE_NAMES) {
    const { path, bytes } = manifest.files[role];
    const limit = ROLES[role] === 'json' ? bufferLimits.MAX_STRING_LENGTH : bufferLimits.MAX_LENGTH;
    if (bytes > limit) {
      throw new Error(`loadCheckpoint: ${join(dir, path)} is ${formatBytes(bytes)} by ${MANIFEST_NAME}, more than the ${formatBytes(limit)} one ${ROLES[role] === 'json' ? 'JSON file' : 'weights file'} can be read into`);
    }
    total += bytes;
  }
  const memory = availableMemory();
  if (total > memory) {
    const largest = ROLE_NAMES.map((r) => manifest.files[r]).reduce((a, b) => (b.bytes > a.bytes ? b : a));
    throw new Error(`loadCheckpoint: ${MANIFEST_NAME} in ${dir} lists ${formatBytes(total)} of files (${largest.path}: ${formatBytes(largest.bytes)}), more than the ${formatBytes(memory)} of memory this machine can give`);
  }
}

/** The first bytes of an open file: enough for a safetensors header (bounded by its limit). */
function readStart(fd: number, size: number): Uint8Array {
  const read = (n: number) => {
    const bytes = new Uint8Array(Math.min(n, size));
    return bytes.subarray(0, readSync(fd, bytes, 0, bytes.byteLength, 0));
  };
  return read(safetensorsHeaderBytes(read(8)));
}

/** One readSync call reads at most this many bytes (its length argument is a 32-bit integer). */
const READ_CHUNK_BYTES = 1 << 30;

/**
 * The bytes of a regular file, read only after fstat has shown what it is: a symlink to /dev/zero,
 * a FIFO or a device is refused (reading one would never end, or block), and so is a file whose
 * size is not the one expected, before a byte is read. O_NONBLOCK keeps opening a FIFO from
 * waiting for a writer.
 */
export function readRegularFile(path: string, limit: { exactly: number } | { atMost: number }, beforeReading?: (fd: number) => void): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`loadCheckpoint: ${path} is listed in ${MANIFEST_NAME} but missing`);
    throw new Error(`loadCheckpoint: cannot open ${path}: ${(error as Error).message}`);
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new Error(`loadCheckpoint: ${path} is ${fileKind(stats)}, not a regular file; a checkpoint is made of regular files only`);
    if ('exactly' in limit && stats.size !== limit.exactly) {
      throw new Error(`loadCheckpoint: ${path} has ${stats.size} bytes, ${MANIFEST_NAME} says ${limit.exactly} (truncated or replaced)`);
    }
    if ('atMost' in limit && stats.size > limit.atMost) throw new Error(`loadCheckpoint: ${path} has ${stats.size} bytes, more than the ${limit.atMost} a manifest can have`);
    beforeReading?.(fd);
    const bytes = new Uint8Array(stats.size);
    let filled = 0;
    while (filled < bytes.byteLength) {
      const n = readSync(fd, bytes, filled, Math.min(bytes.byteLength - filled, READ_CHUNK_BYTES), filled);
      if (n === 0) throw new Error(`loadCheckpoint: ${path} shrank to ${filled} bytes while it was read`);
      filled += n;
    }
    return bytes;
  } finally {
    closeSync(fd);
  }
}

function fileKind(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

// ---------------------------------------------------------------------------------------------
// Config and tokenizer bound to the weights

/** Metadata keys of the model file holding the SHA-256 of the config and tokenizer saved with it. */
const BINDING_KEYS = { config: 'config_sha256', tokenizer: 'tokenizer_sha256' } as const;

/**
 * The manifest proves each file is the one it lists; this proves the config and the tokenizer are
 * the ones the weights were saved with. A config edited after the fact (attention changed from
 * delta to dpfp-delta, positions toggled: the same parameter names and shapes, different numbers)
 * or another checkpoint's tokenizer is refused instead of loading and running. Checkpoints written
 * before the binding existed have no such metadata and are checked by names and shapes only.
 */
function checkBinding(metadata: Record<string, string>, role: 'config' | 'tokenizer', bytes: Uint8Array, modelPath: string, path: string): void {
  const recorded = metadata[BINDING_KEYS[role]];
  if (recorded === undefined) return;
  if (recorded !== sha256Hex(bytes)) {
    throw new Error(`loadCheckpoint: ${path} is not the ${role} the weights in ${modelPath} were saved with (edited, or copied from another checkpoint)`);
  }
}

// ---------------------------------------------------------------------------------------------
// The manifest and the directory

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** One past the highest generation in the manifest or in any file name, so no save reuses a name in use. */
function nextGeneration(dir: string): number {
  let highest = 0;
  for (const name of readdirSync(dir)) {
    const match = /^[a-z]+-(\d+)\./.exec(name);
    if (match !== null && OWN_FILE.test(name.replace(TEMPORARY_SUFFIX, ''))) highest = Math.max(highest, Number(match[1]));
  }
  const manifestPath = join(dir, MANIFEST_NAME);
  if (existsSync(manifestPath)) {
    try {
      const text = new TextDecoder().decode(readRegularFile(manifestPath, { atMost: MAX_MANIFEST_BYTES }));
      highest = Math.max(highest, parseManifest(text, manifestPath).generation);
    } catch {
      // An unreadable manifest means there is no loadable checkpoint to protect; the new save replaces it.
    }
  }
  return highest + 1;
}

function removeUnreferenced(dir: string, files: Record<Role, ManifestFile>): string[] {
  const keep = new Set(Object.values(files).map((f) => f.path));
  const errors: string[] = [];
  for (const name of readdirSync(dir)) {
    const ours = OWN_FILE.test(name) || (TEMPORARY_SUFFIX.test(name) && (OWN_FILE.test(name.replace(TEMPORARY_SUFFIX, '')) || name.startsWith(`${MANIFEST_NAME}.tmp-`)));
    if (!ours || keep.has(name)) continue;
    try {
      unlinkSync(join(dir, name));
    } catch (error) {
      errors.push(`${join(dir, name)}: ${(error as Error).message}`);
    }
  }
  syncDirectory(dir);
  return errors;
}

function parseManifest(text: string, source: string): Manifest {
  const fail = (why: string): never => {
    throw new Error(`loadCheckpoint: ${source} is not a valid checkpoint manifest: ${why}`);
  };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return fail(`invalid JSON (${(error as Error).message})`);
  }
  const m = raw as Partial<Manifest> | null;
  if (m === null || typeof m !== 'object') return fail('not a JSON object');
  if (m.format !== FORMAT) fail(`format is ${JSON.stringify(m.format)}, expected "${FORMAT}"`);
  if (m.version !== VERSION) fail(`version ${JSON.stringify(m.version)} is not supported (this code reads version ${VERSION})`);
  if (!Number.isInteger(m.generation) || m.generation! < 1) fail('generation must be a positive integer');
  if (m.files === null || typeof m.files !== 'object') fail('missing "files"');
  for (const role of ROLE_NAMES) {
    const f = (m.files as Record<string, Partial<ManifestFile> | undefined>)[role];
    if (f === undefined || f === null || typeof f !== 'object') fail(`no entry for the ${role} file`);
    // Plain names only: a manifest must never point outside its directory.
    if (typeof f!.path !== 'string' || !OWN_FILE.test(f!.path)) fail(`the ${role} file's path ${JSON.stringify(f!.path)} is not a checkpoint file name`);
    if (!Number.isSafeInteger(f!.bytes) || f!.bytes! < 0) fail(`the ${role} file's byte size is invalid`);
    if (typeof f!.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(f!.sha256)) fail(`the ${role} file's sha256 is invalid`);
  }
  return m as Manifest;
}
