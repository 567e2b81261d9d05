/**
 * fastweights/pretrained: pretrained fla DeltaNet models (Hugging Face `delta_net` directories,
 * docs/pretrained.md) from bytes, for browser pages: the files a person picked (config.json,
 * model.safetensors or the shards and model.safetensors.index.json, tokenizer.json) in, the model
 * and its tokenizer out, and constant-memory generation. No Node imports; it sits outside the core
 * entry, whose bundle budget it would not fit. In Node, `loadHfDeltaNet(directory)` of
 * fastweights/node reads a directory through the same checks.
 *
 *   const files = await hfFilesFromPicked(input.files);
 *   const { model, tokenizer } = loadHfLanguageModelFiles(files, { resident: true });
 *   for (const id of generatePretrained(model, tokenizer.encode('Hello'), { tokens: 20, temperature: 0, rng: new Rng(1) })) …
 */
// First, so that a bundle opens with the WebAssembly module's bytes (kernels/index.ts says why).
import '../kernels/index.js';

export {
  hfFilesFromBytes,
  hfFilesFromPicked,
  loadHfDeltaNetFiles,
  loadHfLanguageModelFiles,
  parseWeightIndex,
  HfDirectoryError,
  type HfFiles,
  type HfLoadOptions,
  type LoadedHfDeltaNet,
  type LoadedHfLanguageModel,
} from './io/huggingFaceFiles.js';
export { parseHfTokenizer, HfTokenizerError, type HfTokenizer, type EncodeOptions, type DecodeOptions, type StreamDecoder, type AddedToken } from './data/hfTokenizer/index.js';
export * from './nn/fla/index.js';
export { generatePretrained, evaluatePretrained, sampleTopP, continuationDecoder, type PretrainedGenerateOptions, type PretrainedEvaluation } from './tasks/lm/pretrained.js';
