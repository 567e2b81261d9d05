/**
 * The command-line side of training fla's DeltaNet (docs/pretrained.md): `lm train --arch fla` (a new
 * model, our BPE), `lm train --init DIR` (a Hugging Face directory continued, its tokenizer.json), their
 * `--resume`, and `lm export --checkpoint RUN` of a training run. Every flag that has no meaning for
 * fla's architecture is refused by name before any work.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError, choiceOption, intOption } from '../../cli/args.js';
import { withInterrupt } from '../../cli/interrupt.js';
import { resumeMistakes, trainRunOptions } from '../../cli/trainCommand.js';
import { BOS_ID, EOS_ID } from '../../data/bpe.js';
import { readCheckpointConfig } from '../../io/checkpoint.js';
import { describeStop } from '../../train/stopReason.js';
import { Rng } from '../../tensor/rng.js';
import { generatedText, samplePrompt } from './generate.js';
import { unigramPerplexity } from './perplexity.js';
import { continuationDecoder, evaluatePretrained, generatePretrained } from './pretrained.js';
import { flaConfigOf } from './flaReplica.js';
import { FLA_LM_CHECKPOINT_FORMAT, checkpointFormat, exportFlaRun, trainFlaLanguageModel, type FlaLmData } from './flaTraining.js';
import { LM_CHECKPOINT_FORMAT, type LmTrainingConfig } from './training.js';
import type { DeltaNetForCausalLM } from '../../nn/fla/index.js';
import type { HfTokenizer } from '../../data/hfTokenizer/index.js';

/** The flags only an fla run reads (added to lm train's). */
export const FLA_TRAIN_OPTIONS = {
  arch: { type: 'string' },
  init: { type: 'string' },
  'qk-activation': { type: 'string' },
  'qk-norm': { type: 'string' },
  'conv-size': { type: 'string' },
  gate: { type: 'boolean' },
  'no-beta': { type: 'boolean' },
  tie: { type: 'boolean' },
} as const;

export const FLA_HELP = `train fla's DeltaNet (docs/pretrained.md):
  --arch fla          a new model of flash-linear-attention's DeltaNet (what Hugging Face's delta_net
                      directories hold) on the corpus, with our BPE (--vocab); lm export writes it as
                      such a directory. --layers (2) --dim (64: hidden_size) --heads (4) --context (64),
                      --ff N (intermediate_size; default fla's rule, 256 at dim 64),
                      --qk-activation silu|relu|elu|identity (silu)  --qk-norm l2|sum (l2)
                      --conv-size N (4; 0: no short convolutions)  --gate  --no-beta  --tie (embeddings)
  --init DIR          continue the model of a Hugging Face directory of fla's DeltaNet on --corpus,
                      read with DIR's tokenizer.json; the model's shape is DIR's`;

/** The flags of lm train as given (strings and booleans by name). */
export type TrainValues = Record<string, string | boolean | undefined>;

/** lm train's flags that mean nothing for fla's DeltaNet, and why. */
const NOT_FOR_FLA: Record<string, string> = {
  model: "names this project's own models (fla's DeltaNet is --arch fla)",
  dropout: 'has no counterpart: fla\'s DeltaNet has no dropout',
  'no-pos': "has no counterpart: fla's DeltaNet has no positional encoding to switch off",
  positions: "has no counterpart: fla's DeltaNet has no positional encoding",
  embedding: "has no counterpart: fla's DeltaNet draws its embeddings at initializer_range (0.02)",
  'attention-normalise': "has no counterpart: fla's DeltaNet normalises keys and queries by --qk-norm",
  'scale-output': "has no counterpart: fla's DeltaNet always scales queries by d_k^-1/2",
  preset: "sets this project's own model's choices (fla's DeltaNet has its own flags, above)",
  'ff-activation': "has no counterpart: fla's DeltaNet has a gated (SwiGLU) feed-forward",
  'bias-init': "has no counterpart: fla's DeltaNet initialises its weights by its own rule (initializer_range)",
  'phi-eps': "has no counterpart: fla's DeltaNet normalises keys and queries by --qk-norm",
  'weight-decay-on': 'is not offered for fla models',
  'block-size': "has no counterpart: fla's DeltaNet runs its scan chunkwise",
  carry: 'is not offered for fla models yet',
  streams: 'is not offered for fla models yet',
};

/** Flags that shape a new model: an --init run's shape is its directory's. */
const SHAPE_FLAGS = ['layers', 'dim', 'heads', 'ff', 'vocab', 'qk-activation', 'qk-norm', 'conv-size', 'gate', 'no-beta', 'tie'];

/** The fla-only flags, refused in a run of this project's own models. */
export function refuseFlaFlags(values: TrainValues, command: string): void {
  for (const flag of Object.keys(FLA_TRAIN_OPTIONS)) {
    if (flag !== 'arch' && values[flag] !== undefined) throw new UsageError(`${command}: --${flag} is for fla models (--arch fla${flag === 'init' ? '' : ' or --init DIR'})`);
  }
}

/** Whether lm train's flags ask for an fla run: --arch fla, --init, or --resume of an fla run's --out. */
export function wantsFla(values: TrainValues, out: string): boolean {
  const arch = choiceOption(values.arch as string | undefined, 'arch', ['fastweights', 'fla'] as const, values.init !== undefined ? 'fla' : 'fastweights');
  if (arch === 'fastweights' && values.init !== undefined) throw new UsageError('lm train: --init DIR continues an fla model; it cannot take --arch fastweights');
  if (arch === 'fla') return true;
  return values.arch === undefined && values.resume === true && checkpointFormat(out) === FLA_LM_CHECKPOINT_FORMAT;
}

/** config.json keys of a new model from the flags; ids 1 and 2 are our BPE's <bos> and <eos>. */
function newFlaConfig(values: TrainValues): Record<string, unknown> {
  const text = (flag: string) => values[flag] as string | undefined;
  const convSize = intOption(text('conv-size'), 'conv-size', 4, 0);
  return {
    model_type: 'delta_net',
    hidden_size: intOption(text('dim'), 'dim', 64),
    num_hidden_layers: intOption(text('layers'), 'layers', 2),
    num_heads: intOption(text('heads'), 'heads', 4),
    // Absent: fla's rule from hidden_ratio (⌊hidden · 4 · 2/3⌋ up to a multiple of 256).
    ...(values.ff !== undefined ? { intermediate_size: intOption(text('ff'), 'ff', 1) } : {}),
    qk_activation: choiceOption(text('qk-activation'), 'qk-activation', ['silu', 'relu', 'elu', 'identity'] as const, 'silu'),
    qk_norm: choiceOption(text('qk-norm'), 'qk-norm', ['l2', 'sum'] as const, 'l2'),
    use_short_conv: convSize > 0,
    conv_size: convSize > 0 ? convSize : 4,
    use_gate: values.gate === true,
    use_beta: values['no-beta'] !== true,
    tie_word_embeddings: values.tie === true,
    bos_token_id: BOS_ID,
    eos_token_id: EOS_ID,
    pad_token_id: null,
  };
}

/** `lm train --arch fla | --init DIR` (or --resume of such a run), given lm train's parsed training settings. */
export async function lmTrainFla(values: TrainValues, training: LmTrainingConfig): Promise<number> {
  const init = values.init as string | undefined;
  const command = init !== undefined ? 'lm train --init' : 'lm train --arch fla';
  for (const [flag, why] of Object.entries(NOT_FOR_FLA)) if (values[flag] !== undefined) throw new UsageError(`${command}: --${flag} ${why}`);
  if (init !== undefined) {
    if (values.resume) throw new UsageError(`lm train: --resume continues the run in --out, which keeps where it started; drop --init ${init}`);
    const shape = SHAPE_FLAGS.find((flag) => values[flag] !== undefined);
    if (shape) throw new UsageError(`lm train --init: --${shape} is set by ${join(init, 'config.json')} (the model goes on as it is)`);
    if (!existsSync(init)) throw new UsageError(`lm train --init: ${init}: no such directory`);
  }
  const fla = init !== undefined ? {} : newFlaConfig(values);
  const seed = training.seed;
  const model = { context: intOption(values.context as string | undefined, 'context', 64), seed, fla };
  if (init === undefined) {
    try {
      flaConfigOf({ ...model, vocabSize: training.vocabSize }, 'lm train --arch fla');
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }
  const { carry: _carry, streams: _streams, ...flaTraining } = training;
  const { out, resume, json, log, progress, release } = trainRunOptions('lm train', values, 'runs/lm-fla', 'train fla');
  return withInterrupt(log, async (shouldStop, stop) => {
    const result = await trainFlaLanguageModel({ out, resume, model, training: { ...flaTraining, ...(init !== undefined ? { init } : {}) }, log, progress, shouldStop }).catch(resumeMistakes('lm train', resume, /checkpoint|config|tokenizer|state/));
    log(`${describeStop(result.step, result.stoppedBy, result.config.training, stop.signal)}; checkpoint in ${out} (lm export --checkpoint ${out} --out DIR writes it as a Hugging Face directory)`);
    if (stop.urgent) return stop.exitCode;
    report(result.model, result.data, out, result.step, result.stoppedBy, result.config.model.context, json);
    return 0;
  }).finally(release);
}

/** The end of a run: perplexity on the whole valid split (read as one text), the unigram baseline, a sample. */
function report(model: DeltaNetForCausalLM, data: FlaLmData, out: string, step: number, stoppedBy: string, context: number, json: boolean): void {
  const valid = evaluatePretrained(model, Array.from(data.valid), { segment: context });
  const baseline = unigramPerplexity(data.train, data.valid, model.config.vocabSize);
  const prompt = samplePrompt(data.split.valid);
  const promptIds = data.tokenizer.encode(prompt);
  const ids = [...generatePretrained(model, promptIds, { tokens: 60, temperature: 0.8, topK: 40, rng: new Rng(1) })];
  // Our BPE's tokens are bytes: only whole characters are shown, as lm train's own sample does.
  const sample = data.tokenizer.bpe ? generatedText(data.tokenizer.bpe, ids) : continuationText(data.tokenizer.hf, promptIds, ids);
  if (json) {
    console.log(JSON.stringify({ checkpoint: out, model: 'fla', step, stoppedBy, validPerplexity: valid.perplexity, validTokens: valid.tokens, unigramPerplexity: baseline, prompt, sample }));
  } else {
    console.log(`\nfla DeltaNet: step ${step}, valid perplexity ${valid.perplexity.toFixed(2)} on the whole valid split (${valid.tokens.toLocaleString('en-US')} tokens read as one text, ${context} at a time); unigram baseline ${baseline.toFixed(2)} on the same split`);
    console.log(`sample: ${prompt}${sample}`);
  }
}

/** What a Hugging Face tokenizer decodes `ids` to after `promptIds`. */
function continuationText(tokenizer: HfTokenizer, promptIds: number[], ids: number[]): string {
  const stream = continuationDecoder(tokenizer, promptIds);
  return ids.map((id) => stream.push(id)).join('') + stream.flush();
}

export interface RunExportCommand {
  checkpoint: string;
  out: string;
  dtype: 'F32' | 'BF16' | 'F16';
}

/**
 * `lm export --checkpoint RUN --out DIR` for a training run: an fla run is written as a Hugging Face
 * directory; a run of this project's own models is refused (none maps exactly onto fla's DeltaNet).
 */
export function runTrainingRunExport(command: RunExportCommand, print: (line: string) => void = (l) => console.log(l)): number {
  const format = checkpointFormat(command.checkpoint);
  if (format === undefined) throw new UsageError(`lm export: ${command.checkpoint} is neither a Hugging Face directory (config.json) nor a training run (checkpoint.json)`);
  if (format === LM_CHECKPOINT_FORMAT) {
    const name = (readCheckpointConfig(command.checkpoint) as { model?: { attention?: unknown } }).model?.attention;
    throw new UsageError(`lm export: ${command.checkpoint} holds a '${String(name)}' model of lm train, which does not map onto fla's DeltaNet (LayerNorm with biases, a GELU feed-forward, no value SiLU or output norm; docs/pretrained.md lists the differences); train with lm train --arch fla to export`);
  }
  if (format !== FLA_LM_CHECKPOINT_FORMAT) throw new UsageError(`lm export: ${command.checkpoint} holds a '${format}' checkpoint, not a language model`);
  if (existsSync(join(command.out, 'config.json'))) throw new UsageError(`lm export: ${command.out} already holds a model (config.json); choose an empty directory`);
  let model: DeltaNetForCausalLM;
  try {
    model = exportFlaRun(command.checkpoint, command.out, command.dtype);
  } catch (err) {
    throw new UsageError(`lm export: ${(err as Error).message}`);
  }
  print(`${command.out}: config.json, model.safetensors (${command.dtype}, ${model.parameterCount().toLocaleString('en-US')} parameters), tokenizer.json`);
  return 0;
}
