/**
 * Hugging Face directories of fla's DeltaNet on disk (docs/pretrained.md): `loadHfDeltaNet` reads
 * one through node:fs with the checks and the one-tensor-at-a-time reading of huggingFaceFiles.ts (16-bit matrices kept for inference read
 * straight into their place in WebAssembly memory)
 * (which a browser page uses on picked files), and `saveHfDeltaNet` writes the same layout back.
 */
import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { deltaNetConfigToJson } from '../nn/fla/config.js';
import type { DeltaNetForCausalLM } from '../nn/fla/model.js';
import { encodeSafetensors, type SafetensorsTensor } from './safetensors.js';
import { writeFileAtomic } from './atomic.js';
import { HfDirectoryError, loadHfDeltaNetFiles, type HfFiles, type HfLoadOptions, type LoadedHfDeltaNet } from './huggingFaceFiles.js';
import { widenRows, type CompactMatrix } from '../../kernels/index.js';

export { HfDirectoryError, parseWeightIndex, type LoadedHfDeltaNet } from './huggingFaceFiles.js';

const fail = (why: string): never => {
  throw new HfDirectoryError(why);
};

/** The files of `directory` on disk, each read in parts (a weight file is never read whole at once). */
export function directoryFiles(directory: string): HfFiles {
  return {
    name: directory,
    where: (file) => join(directory, file),
    has: (file) => existsSync(join(directory, file)),
    size: (file) => statSync(join(directory, file)).size,
    read: (file, offset, length) => {
      const bytes = new Uint8Array(length);
      return bytes.subarray(0, readFileInto(join(directory, file), offset, bytes));
    },
    readInto: (file, offset, into) => readFileInto(join(directory, file), offset, into),
  };
}

/** Bytes of the file at `path` from `offset` into `into` until it is full or the file ends; how many were read. */
function readFileInto(path: string, offset: number, into: Uint8Array): number {
  const fd = openSync(path, 'r');
  try {
    let done = 0;
    while (done < into.length) {
      const n = readSync(fd, into, done, into.length - done, offset + done);
      if (n === 0) break;
      done += n;
    }
    return done;
  } finally {
    closeSync(fd);
  }
}

/**
 * Loads fla's DeltaNetForCausalLM from a Hugging Face directory into a model of `dtype`
 * (float32 by default); `resident` as in huggingFaceFiles.ts. Throws HfDirectoryError,
 * FlaConfigError or SafetensorsError, one line each.
 */
export function loadHfDeltaNet(directory: string, options: HfLoadOptions = {}): LoadedHfDeltaNet {
  return loadHfDeltaNetFiles(directoryFiles(directory), options);
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
