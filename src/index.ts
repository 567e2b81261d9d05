/** fastweights: the public API, floor by floor (docs/architecture.md). Browser-safe: no Node module is reached from here. */

// First, so that a bundle opens with the WebAssembly module's bytes (kernels/index.ts says why).
import '../kernels/index.js';

// The engine: tensors, the graph and backward, the ops (docs/engine.md).
export * from './tensor/tensor.js';
export * from './tensor/shape.js';
export { Rng, type RngState } from './tensor/rng.js';
export { noGrad, isGradEnabled, record, setDebugChecks, debugChecksEnabled, DebugCheckError, type GraphNode, type BackwardFn } from './autograd/graph.js';
export { checkGradients, describeGradCheck, type GradCheckOptions, type GradCheckResult } from './autograd/gradcheck.js';
export * from './ops/index.js';
export * from './ops/fastweight.js';

// The kernels behind the ops, and how to pick a backend (docs/kernels.md).
export { getBackend, setBackend, backendNames, type BackendName, wasmAvailable, setWasmThreads, withScratch, inScratch, persistent, setScratchEnabled, setScratchPoison } from '../kernels/index.js';
export type { KernelBackend, MatmulArgs } from '../kernels/index.js';

// Layers: modules, the attention family, the Transformer block and positions.
export * from './nn/index.js';
export { sinusoidalPositions } from './nn/positions.js';
export { TransformerBlock, type BlockOptions, type BlockInput } from './nn/transformerBlock.js';
export { DEFAULT_FEATURE_SEED, defaultFeedForward, headSize, resolveStackShape, type StackShape, type ResolvedStackShape } from './nn/stackShape.js';
export { inference } from './nn/module.js';

// Training support shared by the tasks: optimisers, schedules, the training loop.
export * from './train/optim.js';
export * from './train/schedule.js';
export { trainLoop, type TrainLoopOptions, type TrainHistory, type StepRecord, type EvalRecord } from './train/loop.js';

// Shared data and files: the tokenizer and safetensors (charts and CSV: fastweights/report).
export { BpeTokenizer, PAD_ID, BOS_ID, EOS_ID, SPECIAL_TOKENS, type BpeTokenizerJSON, type BpeTrainingOptions } from './data/bpe.js';
export { splitWords } from './data/pretokenize.js';
export { encodeSafetensors, decodeSafetensors, SafetensorsError, type SafetensorsDType, type SafetensorsTensor, type SafetensorsFile } from './io/safetensors.js';

// The tasks' browser-safe parts (their training runs are in fastweights/node): language modelling,
export { LanguageModel, resolveLanguageModelConfig, validateLanguageModelConfig, type LanguageModelConfig, type ResolvedLanguageModelConfig, type LanguageModelOutput } from './tasks/lm/model.js';
export { sampleSegments, sequentialSegments, streamSegment, streamSegmentCount, type LmBatch } from './tasks/lm/batches.js';
export { evaluatePerplexity, PERPLEXITY_MODES, type PerplexityMode, type PerplexityOptions, type PerplexityResult } from './tasks/lm/perplexity.js';
export { generate, sample, type GenerateOptions } from './tasks/lm/generate.js';

// translation,
export { corpusBleu, formatBleu, tokenize13a, bleuFromStatistics, BLEU_SIGNATURE, type BleuResult } from './tasks/mt/bleu.js';
export { TranslationModel, resolveTranslationModelConfig, validateTranslationModelConfig, paddingMask, type TranslationModelConfig, type ResolvedTranslationModelConfig, type EncodedSource, type DecoderOutput } from './tasks/mt/model.js';
export { greedyDecode, beamSearch, translateIds, lengthPenalty, type DecodeOptions, type BeamSearchOptions, type Hypothesis, type TranslateOptions } from './tasks/mt/beamSearch.js';
export { TranslationBatcher, collatePairs, collateSources, packByTokens, evaluationBatches, type TokenizedPair, type TranslationBatch } from './tasks/mt/batches.js';

// and the synthetic retrieval task.
export { RetrievalModel, type RetrievalModelOptions, type FastWeightTrace } from './tasks/retrieval/model.js';
export { retrievalBatch, oneHotTargets, sequenceLength, type RetrievalSetting, type RetrievalBatch } from './tasks/retrieval/batches.js';
