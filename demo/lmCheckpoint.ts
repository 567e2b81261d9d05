/**
 * Reads a language-model checkpoint written by `fastweights lm train` from files a person picked in
 * the page (no file system): the manifest checkpoint.json names the model, config and tokenizer
 * files of the current generation with their sizes and SHA-256 hashes (src/io/checkpoint.ts); each
 * is checked the way loadCheckpoint checks it (size, SHA-256, and that the config and tokenizer are
 * the ones the weights were saved with), then the model is built and its weights loaded.
 * The optimizer and state files are not needed to generate, so they may be left out.
 * Pure (bytes in, model out), so the Node tests run it on a checkpoint the trainer wrote.
 */
import { BpeTokenizer, LanguageModel, Tensor, decodeSafetensors, type LanguageModelConfig } from '../src/index.js';

/** The config's format tag, the value of LM_CHECKPOINT_FORMAT in src/tasks/lm/training.ts (a Node module). */
export const LM_FORMAT = 'fastweights-language-model';
const MANIFEST = 'checkpoint.json';
const NEEDED = ['model', 'config', 'tokenizer'] as const;
/** Metadata keys of the model file with the SHA-256 of the config and tokenizer saved with it (src/io/checkpoint.ts). */
const BINDING_KEYS = { config: 'config_sha256', tokenizer: 'tokenizer_sha256' } as const;

export interface LoadedLm {
  model: LanguageModel;
  tokenizer: BpeTokenizer;
  config: LanguageModelConfig;
  /** The checkpoint's generation and the training steps it had, for the page to show. */
  generation: number;
  parameters: number;
}

interface ManifestEntry {
  path: string;
  bytes: number;
  sha256: string;
}

async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

function parseJson(bytes: Uint8Array, name: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new Error(`${name} is not valid JSON: ${(e as Error).message}`);
  }
}

function manifestEntries(value: unknown): { generation: number; files: Record<(typeof NEEDED)[number], ManifestEntry> } {
  const manifest = value as { format?: unknown; generation?: unknown; files?: Record<string, Partial<ManifestEntry>> } | null;
  if (manifest === null || typeof manifest !== 'object' || manifest.format !== 'fastweights-checkpoint') {
    throw new Error(`${MANIFEST} is not a fastweights checkpoint manifest (format ${JSON.stringify(manifest?.format)})`);
  }
  const files = {} as Record<(typeof NEEDED)[number], ManifestEntry>;
  for (const role of NEEDED) {
    const entry = manifest.files?.[role];
    if (typeof entry?.path !== 'string' || typeof entry.bytes !== 'number' || typeof entry.sha256 !== 'string') {
      throw new Error(`${MANIFEST} has no valid entry for the ${role} file`);
    }
    files[role] = entry as ManifestEntry;
  }
  return { generation: Number(manifest.generation), files };
}

/** Loads the model from the picked files, by name (the names `fastweights lm train` gave them). */
export async function loadLmFromFiles(files: ReadonlyMap<string, Uint8Array<ArrayBuffer>>): Promise<LoadedLm> {
  const manifestBytes = files.get(MANIFEST);
  if (manifestBytes === undefined) throw new Error(`pick the files of a checkpoint directory, ${MANIFEST} included (got: ${[...files.keys()].join(', ') || 'no files'})`);
  const { generation, files: entries } = manifestEntries(parseJson(manifestBytes, MANIFEST));
  const read = async (role: (typeof NEEDED)[number]): Promise<Uint8Array<ArrayBuffer>> => {
    const entry = entries[role];
    const bytes = files.get(entry.path);
    if (bytes === undefined) throw new Error(`${MANIFEST} lists ${entry.path} (the ${role}), which was not picked`);
    if (bytes.byteLength !== entry.bytes) throw new Error(`${entry.path} has ${bytes.byteLength} bytes, ${MANIFEST} says ${entry.bytes} (truncated or from another save)`);
    if ((await sha256Hex(bytes)) !== entry.sha256) throw new Error(`${entry.path} is corrupt (its SHA-256 does not match ${MANIFEST})`);
    return bytes;
  };

  const weightsFile = decodeSafetensors(await read('model'), entries.model.path);
  // Checkpoints saved before this binding existed have no such metadata, and are checked by the model's names and shapes only.
  for (const role of ['config', 'tokenizer'] as const) {
    const recorded = weightsFile.metadata[BINDING_KEYS[role]];
    if (recorded !== undefined && recorded !== entries[role].sha256) {
      throw new Error(`${entries[role].path} is not the ${role} the weights in ${entries.model.path} were saved with (edited, or copied from another checkpoint)`);
    }
  }
  const config = parseJson(await read('config'), entries.config.path) as { format?: unknown; model?: LanguageModelConfig };
  if (config?.format !== LM_FORMAT || config.model === undefined) {
    throw new Error(`${entries.config.path}: not a language-model checkpoint (config format ${JSON.stringify(config?.format)}; made by \`fastweights lm train\`?)`);
  }
  const tokenizer = BpeTokenizer.fromJSON(parseJson(await read('tokenizer'), entries.tokenizer.path));
  const weights = new Map<string, Tensor>();
  for (const [name, t] of weightsFile.tensors) {
    if (!(t.data instanceof Float32Array || t.data instanceof Float64Array)) throw new Error(`${entries.model.path}: weight '${name}' has dtype ${t.dtype}; weights must be F32 or F64`);
    weights.set(name, new Tensor(t.data, t.shape));
  }
  const model = new LanguageModel(config.model);
  model.loadStateDict(weights);
  model.eval();
  const parameters = [...weights.values()].reduce((sum, t) => sum + t.size, 0);
  return { model, tokenizer, config: config.model, generation, parameters };
}
