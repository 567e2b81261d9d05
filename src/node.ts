/**
 * fastweights/node: the parts that need Node (files, corpora, checkpoints, progress bars, whole
 * training runs). The main entry point ('fastweights') stays free of Node imports so it bundles for
 * a browser page.
 */
export { loadCorpus, loadTextFile, BUILTIN_CORPORA, type Corpus, type CorpusDocument } from './data/corpora.js';
export { splitCorpus, type CorpusSplit, type SplitFractions } from './data/split.js';
// Hugging Face tokenizer.json files. The reader itself is browser-safe (src/data/hfTokenizer/), but
// at about 7 kB gzip it does not fit the core bundle's budget, so it is exported here.
export { loadHfTokenizer, writeHfTokenizer } from './data/hfTokenizerFile.js';
export { parseHfTokenizer, HfTokenizerError, type HfTokenizer, type EncodeOptions, type DecodeOptions, type StreamDecoder, type AddedToken } from './data/hfTokenizer/index.js';
export { bpeToHfTokenizerJson } from './data/hfTokenizer/export.js';
export { loadEnDePairs, splitEnDe, defaultEnDePath, packageRoot, type EnDePair, type EnDeSplit } from './tasks/mt/ende.js';
export { saveCheckpoint, loadCheckpoint, type CheckpointContents, type LoadedCheckpoint } from './io/checkpoint.js';
export { writeFileAtomic } from './io/atomic.js';
export { createProgress, type Progress, type ProgressOptions, type ProgressMode } from './train/progress.js';
export { trainLanguageModel, loadLanguageModel, prepareLmData, type LmTrainingConfig, type TrainLanguageModelOptions } from './tasks/lm/training.js';
export { trainFlaLanguageModel, loadFlaRun, exportFlaRun, type FlaLmTrainingConfig, type TrainFlaLanguageModelOptions } from './tasks/lm/flaTraining.js';
export { compareLanguageModels, summariseRows, type CompareOptions, type CompareRow, type CompareSummary } from './tasks/lm/compare.js';
export { trainTranslationModel, loadTranslationModel, prepareMtData, type MtTrainingConfig, type TrainTranslationOptions } from './tasks/mt/training.js';
export { loadHfDeltaNet, saveHfDeltaNet, directoryFiles, parseWeightIndex, HfDirectoryError, type LoadedHfDeltaNet } from './io/huggingFace.js';
// The same loading from bytes (the fastweights/pretrained entry, for browsers).
export { hfFilesFromBytes, hfFilesFromPicked, loadHfDeltaNetFiles, loadHfLanguageModelFiles, type HfFiles, type HfLoadOptions, type LoadedHfLanguageModel } from './io/huggingFaceFiles.js';
// fla's DeltaNet (Hugging Face `delta_net` models) and its ops: outside the core entry's size budget for now.
export * from './nn/fla/index.js';
export { rmsNorm, l2Normalise } from './ops/norms.js';
export { causalConv1d, causalConv1dCache } from './ops/shortConv.js';
export { linearOutIn } from './ops/projection.js';
export { generatePretrained, evaluatePretrained, sampleTopP, continuationDecoder, type PretrainedGenerateOptions, type PretrainedEvaluation } from './tasks/lm/pretrained.js';
