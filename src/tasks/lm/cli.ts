/** `fastweights lm train | eval | generate`: language modelling on real text. */
import { createProgress, type ProgressMode } from '../../train/progress.js';
import { carryRefusal, checkCorpusUnchanged, trainLanguageModel, loadLanguageModel, prepareLmData, type LmData, type LmTrainingConfig } from './training.js';
import { evaluatePerplexity, unigramPerplexity, PERPLEXITY_MODES, type PerplexityMode } from './perplexity.js';
import { generate, generatedText, samplePrompt } from './generate.js';
import { isFlaModelDirectory, isHuggingFaceDirectory, runPretrainedEval, runPretrainedExport, runPretrainedGenerate } from './pretrainedCli.js';
import { FLA_HELP, FLA_TRAIN_OPTIONS, lmTrainFla, refuseFlaFlags, runTrainingRunExport, wantsFla } from './flaCli.js';
import { resolveLanguageModelConfig, type LanguageModel } from './model.js';
import { modelChoices, withLmPreset } from './modelChoices.js';
import { availableMemory, checkFits, estimateLanguageModel } from '../../train/resources.js';
import { defaultFeedForward } from '../../nn/stackShape.js';
import { Rng } from '../../tensor/rng.js';
import { compareLanguageModels, markdownTable } from './compare.js';
import { MAX_SEEDS } from '../../report/stats.js';
import { withInterrupt } from '../../cli/interrupt.js';
import { TRAINING_HELP_FOOTER, attentionOption, comparisonMistakes, headSizeOption, modelList, resumeMistakes, seedCount, trainRunOptions, trainingLog, warmupOption } from '../../cli/trainCommand.js';
import { describeRunSpeed, describeStop, timeBudgetNote } from '../../train/stopReason.js';
import { ensureOutDir } from '../../cli/outDir.js';
import { UsageError, choiceOption, intOption, numberOption, optionalInt, optionalNumber, parseCommand, runSubcommand } from '../../cli/args.js';

const HELP = `fastweights lm — language modelling with fast weight programmers

  fastweights lm train    [--corpus sotu|brown|FILE] [--model NAME] [--out DIR] [budget] [model] [training]
  fastweights lm train    --arch fla [--corpus C] [--out DIR (runs/lm-fla)] [fla model] [budget] [training]
  fastweights lm train    --init DIR --corpus FILE [--out DIR2] [budget] [training]   (fine-tune, below)
  fastweights lm eval     --checkpoint DIR [--split valid|test] [--mode segments|sliding|carry] [--max-tokens N] [--json]
                          [--warmup-segments N]: carry mode starts from the state left by N segments per
                          stream of the training split's start (unscored), instead of empty fast weights
  fastweights lm generate --checkpoint DIR --prompt TEXT [--tokens N] [--temperature T] [--top-k K] [--top-p P] [--seed S]
                          DIR may also be a Hugging Face directory of an fla DeltaNet (docs/pretrained.md),
                          or a run of lm train --arch fla or --init:
                          the text streams to stdout, the speed to stderr; without its tokenizer.json,
                          --prompt-ids 1,2,3 instead of --prompt, and ids stream out
  fastweights lm eval     --checkpoint DIR --corpus FILE [--max-tokens N] [--json]   (DIR: a Hugging Face
                          directory as above): perplexity on a UTF-8 text file
  fastweights lm export   --checkpoint DIR --out DIR2 [--dtype f32|bf16|f16]   (DIR: a Hugging Face directory
                          or an fla run as above): DIR2 gets config.json, one model.safetensors in that
                          precision, tokenizer.json (an --arch fla run's: our BPE in Hugging Face's format);
                          lm train's own models do not map onto fla's DeltaNet and are refused
  fastweights lm compare  [--models a,b,c] [--steps N (600)] [--seeds N (1)] [--out DIR (runs/lm-compare)] [model] [training]
                          trains each model in turn at equal steps, then a valid/test perplexity table,
                          CSV, JSON and loss curves in DIR (checkpoints in DIR/<model>-seed<S>); rerun
                          to continue an interrupted comparison
                          --seeds N: each model with seeds S, S+1, …, S+N−1 (S = --seed, at most ${MAX_SEEDS}
                          seeds); the table gives mean ± sample standard deviation, results.json and
                          results.csv one row per seed; a rerun with more seeds trains only the new ones

train (defaults: a Delta Network of 2 layers, d_model 64, on SOTU for 3 minutes, lr 0.003, dropout 0.1;
       \`npm start\` in a clone of the repository runs it with --dropout 0 --lr 6e-3 --out runs/demo-delta --overwrite):
  --corpus C          sotu (default), brown, or a UTF-8 text file (its SHA-256 is kept: eval and
                      --resume refuse the file once changed)
  --model NAME        softmax, linear, performer[-m], dpfp[-nu], delta (default), performer-delta[-m], dpfp-delta[-nu]
  --out DIR           checkpoint directory (default runs/lm-<model>)
  --resume            continue from the checkpoint in --out exactly where it stopped
  --overwrite         start afresh even if --out already holds a checkpoint
  --steps N | --minutes M   budget (default --minutes 3); cosine decay to lr/10 at the end of the budget
  --layers N (2)  --dim D (64)  --heads H (4)  --context L (64)  --ff N (4·dim)  --dropout P (0.1)
  --vocab N (1024)  --positions sinusoidal|learned|none (sinusoidal; learned: a trained table of --context
                      rows)  --no-pos (= --positions none)  --attention-normalise  --scale-output
  --embedding scaled|unscaled (scaled: drawn at std 1/√dim, times √dim on the way in; unscaled: drawn
                      N(0, 1), added as they are); either way the output layer is tied to it
  --block-size N      fast weight models but performer: run segments longer than N through the attention
                      in blocks of N steps, recomputed in backward (less memory for a long --context, the
                      same values to float rounding; docs/kernels.md, "Long sequences")
  --ff-activation gelu|relu (gelu)  --bias-init zero|uniform (zero; uniform: ±1/√fan_in, as PyTorch's
                      nn.Linear)  --phi-eps X (1e-6: φ / (Σφ + X))  --weight-decay-on matrices|all
                      (matrices: not biases, gains or other vectors)
  --preset replica    the model of the PyTorch replica in docs/experiments.md (Table 4): --positions
                      learned --embedding unscaled --ff-activation relu --bias-init uniform --phi-eps 0
                      --weight-decay-on all --dropout 0; flags given beside it override it
  --batch B (8)  --lr X (0.003)  --warmup N (100, ending by a tenth of --steps or --minutes)  --weight-decay X (0.01)  --clip X (1)
  --eval-every N (100)  --eval-tokens N (20000)  --save-every N (200)  --seed S (1)
  --carry             carry-over training (the paper's Table 4): the batch's rows are B parallel streams
                      through the corpus, one segment per step, each layer's fast weights carried
                      (detached: gradients stop at segment boundaries) into the next step; fast weight
                      models except performer; score it with eval --mode carry
  --streams           the data order of --carry without carrying: the same streams, the fast weights
                      reset every segment (the control that separates the two)
  --json              progress as JSON lines on stderr, the summary as JSON on stdout

${FLA_HELP}

${TRAINING_HELP_FOOTER}`;

export async function runLm(argv: string[]): Promise<number> {
  return runSubcommand('lm', argv, HELP, { train: lmTrain, eval: lmEval, generate: lmGenerate, compare: lmCompare, export: lmExport });
}

async function lmExport(argv: string[]): Promise<number> {
  const { values } = parseCommand(argv, { checkpoint: { type: 'string' }, out: { type: 'string' }, dtype: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, 'fastweights lm export');
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.checkpoint || !values.out) throw new UsageError('lm export: --checkpoint DIR and --out DIR are required');
  const dtype = choiceOption(values.dtype, 'dtype', ['f32', 'bf16', 'f16'] as const, 'f32');
  const precision = ({ f32: 'F32', bf16: 'BF16', f16: 'F16' } as const)[dtype];
  if (!isHuggingFaceDirectory(values.checkpoint)) return runTrainingRunExport({ checkpoint: values.checkpoint, out: values.out, dtype: precision });
  return runPretrainedExport({ checkpoint: values.checkpoint, out: values.out, dtype: ({ f32: 'F32', bf16: 'BF16', f16: 'F16' } as const)[dtype] });
}

const TRAIN_OPTIONS = {
      models: { type: 'string' }, seeds: { type: 'string' }, overwrite: { type: 'boolean' },
      corpus: { type: 'string' }, model: { type: 'string' }, out: { type: 'string' }, resume: { type: 'boolean' },
      steps: { type: 'string' }, minutes: { type: 'string' }, layers: { type: 'string' }, dim: { type: 'string' },
      heads: { type: 'string' }, context: { type: 'string' }, ff: { type: 'string' }, dropout: { type: 'string' },
      vocab: { type: 'string' }, positions: { type: 'string' }, embedding: { type: 'string' }, 'no-pos': { type: 'boolean' }, 'attention-normalise': { type: 'boolean' },
      preset: { type: 'string' }, 'ff-activation': { type: 'string' }, 'bias-init': { type: 'string' }, 'phi-eps': { type: 'string' }, 'weight-decay-on': { type: 'string' },
      'scale-output': { type: 'boolean' }, 'block-size': { type: 'string' }, batch: { type: 'string' }, lr: { type: 'string' }, warmup: { type: 'string' },
      'weight-decay': { type: 'string' }, clip: { type: 'string' }, 'eval-every': { type: 'string' },
      'eval-tokens': { type: 'string' }, 'save-every': { type: 'string' }, seed: { type: 'string' }, json: { type: 'boolean' },
      carry: { type: 'boolean' }, streams: { type: 'boolean' },
      ...FLA_TRAIN_OPTIONS,
      help: { type: 'boolean', short: 'h' },
    } as const;

async function lmTrain(argv: string[]): Promise<number> {
  const { values } = parseCommand(argv, TRAIN_OPTIONS, 'fastweights lm train');
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (values.models !== undefined) throw new UsageError("lm train: --models is for 'lm compare'; train takes one --model");
  if (values.seeds !== undefined) throw new UsageError("lm train: --seeds is for 'lm compare'; train takes one --seed");
  if (values.resume && values.overwrite) throw new UsageError('lm train: --resume continues the checkpoint in --out and --overwrite replaces it; give one of them');
  const modelName = values.model ?? 'delta';
  if (wantsFla(values, values.out ?? `runs/lm-${modelName}`)) return lmTrainFla(values, lmTrainSettings(values, 'delta').training);
  refuseFlaFlags(values, 'lm train');
  const { training, model: modelConfig, attention } = lmTrainSettings(values, modelName);
  if (values['phi-eps'] !== undefined && !attention.fastWeights) throw new UsageError(`lm train: --phi-eps is the ε of φ's sum normalisation; '${attention.name}' is softmax attention, which has no φ`);
  if (values['block-size'] !== undefined && (!attention.fastWeights || attention.stochastic)) {
    throw new UsageError(`lm train: --block-size runs fast weight attention in blocks recomputed in backward; '${attention.name}' ${attention.fastWeights ? 'draws new random features at every forward, so a block run again would see other ones' : 'is softmax attention'}`);
  }
  const refusal = values.carry ? carryRefusal(attention) : null;
  if (refusal) throw new UsageError(`lm train: ${refusal}`);
  if (!values.resume) checkLmFits(modelConfig, training, 'lm train');
  const { out, resume, json, log, progress, release } = trainRunOptions('lm train', values, `runs/lm-${modelName}`, `train ${modelName}`);
  return withInterrupt(log, async (shouldStop, stop) => {
    const result = await trainLanguageModel({ out, resume, model: modelConfig, training, log, progress, shouldStop }).catch(resumeMistakes('lm train', resume, /checkpoint|config|tokenizer|state/));
    const { model, data } = result;
    log(`${describeStop(result.step, result.stoppedBy, training, stop.signal)}; checkpoint in ${out}`);
    if (stop.urgent) return stop.exitCode;
    const carried = result.config.training.carry === true;
    // The final figure is on the whole valid split (periodic evaluation may score only its start), with
    // the run's own settings: a resumed run's are the checkpoint's, whatever defaults this command line has.
    const valid = finalPerplexity(model, data, result.config.training, carried, log);
    const baseline = unigramPerplexity(data.train, data.valid, model.config.vocabSize);
    if (valid !== null && valid.perplexity > PLATEAU_FRACTION * baseline) {
      const where = valid.perplexity > baseline ? 'above' : 'at';
      log(`warning: valid perplexity ${valid.perplexity.toFixed(1)} is ${where} the unigram baseline (${baseline.toFixed(1)}, token frequencies alone): the model has not learned to use context yet; train longer (--minutes, --steps) or raise --lr`);
    }
    const rng = new Rng(result.config.training.seed);
    const prompt = samplePrompt(data.split.valid);
    const sample = generatedText(data.tokenizer, generate(model, data.tokenizer.encode(prompt), { tokens: 60, temperature: 0.8, topK: 40, rng }));
    if (json) {
      const speed = { runSteps: result.runSteps, runSeconds: result.runSeconds, tokensPerSecond: result.runSeconds > 0 ? result.runTokens / result.runSeconds : null };
      console.log(JSON.stringify({ checkpoint: out, model: model.name, step: result.step, stoppedBy: result.stoppedBy, ...speed, validPerplexity: valid?.perplexity ?? null, validTokens: valid?.tokens ?? 0, unigramPerplexity: baseline, prompt, sample }));
    } else {
      const scored = valid === null ? 'valid perplexity not computed' : `valid perplexity ${valid.perplexity.toFixed(2)} on the whole valid split (${carried ? 'carried across ' : ''}segments of ${model.config.context}, ${valid.tokens.toLocaleString('en-US')} tokens)`;
      const resumedFrom = result.step > result.runSteps ? ` (step ${result.step.toLocaleString('en-US')} with the runs it resumed)` : '';
      console.log(`\n${model.name}: ${describeRunSpeed(result)}${resumedFrom}; ${scored}; unigram baseline ${baseline.toFixed(2)} on the same split`);
      if (result.stoppedBy === 'minutes' && training.minutes !== undefined) console.log(timeBudgetNote(result.step, training.minutes));
      console.log(`sample: ${prompt}${sample}`);
    }
    return 0;
  }).finally(release);
}


/** A run whose valid perplexity is above this fraction of the unigram baseline gets a warning. */
const PLATEAU_FRACTION = 0.9;

/**
 * The end-of-run perplexity on the whole valid split, or null (reported) when it cannot be scored. A
 * carry-trained model is scored as it was trained, with memory carried across segments.
 */
function finalPerplexity(model: LanguageModel, data: LmData, training: LmTrainingConfig, carried: boolean, log: (line: string) => void) {
  try {
    return evaluatePerplexity(model, data.valid, { mode: carried ? 'carry' : 'segments', batchSize: training.batchSize });
  } catch (err) {
    log(`valid perplexity not computed: ${(err as Error).message} (the whole valid split)`);
    return null;
  }
}


/** Refuses model sizes whose training would not fit in memory, naming the figure. */
function checkLmFits(model: ReturnType<typeof lmTrainSettings>['model'], training: LmTrainingConfig, command: string): void {
  const estimate = estimateLanguageModel(resolveLanguageModelConfig({ ...model, vocabSize: training.vocabSize }), training.vocabSize, training.batchSize);
  checkFits(estimate, availableMemory(), (message) => {
    throw new UsageError(`${command}: ${message}`);
  });
}

type TrainValues = ReturnType<typeof parseCommand<typeof TRAIN_OPTIONS>>['values'];

/**
 * Model and training settings from the flags shared by train and compare; `lmTrainSettings({}, 'delta')`
 * is the default model of `lm train` (the benchmark measures exactly that).
 */
export function lmTrainSettings(values: TrainValues, modelName: string, defaultSteps?: number) {
  const attention = attentionOption(modelName); // unknown names fail here, listing the valid ones
  const steps = optionalInt(values.steps, 'steps');
  const minutes = optionalNumber(values.minutes, 'minutes', [0.01, 1e6]);
  if (steps !== undefined && minutes !== undefined) throw new UsageError('give either --steps or --minutes, not both');
  const dim = intOption(values.dim, 'dim', 64);
  const heads = intOption(values.heads, 'heads', 4);
  headSizeOption(dim, heads);
  const choices = modelChoices(withLmPreset(values));
  const training: LmTrainingConfig = {
    corpus: values.corpus ?? 'sotu',
    vocabSize: intOption(values.vocab, 'vocab', 1024, 259, MAX_VOCAB),
    batchSize: intOption(values.batch, 'batch', 8),
    lr: numberOption(values.lr, 'lr', 3e-3, [0, 10]),
    warmupSteps: warmupOption(values.warmup, steps, 100),
    weightDecay: numberOption(values['weight-decay'], 'weight-decay', 0.01, [0, 10]),
    ...choices.training,
    clip: numberOption(values.clip, 'clip', 1, [0, 1e9]),
    ...(steps !== undefined ? { steps } : defaultSteps !== undefined && minutes === undefined ? { steps: defaultSteps } : { minutes: minutes ?? 3 }),
    evalEvery: intOption(values['eval-every'], 'eval-every', 100),
    evalTokens: intOption(values['eval-tokens'], 'eval-tokens', 20000),
    saveEvery: intOption(values['save-every'], 'save-every', 200),
    seed: intOption(values.seed, 'seed', 1, 0),
    ...(values.carry ? { carry: true } : {}),
    ...(values.streams && !values.carry ? { streams: true } : {}),
  };
  const model = {
        attention: modelName,
        dModel: dim,
        layers: intOption(values.layers, 'layers', 2),
        heads,
        context: intOption(values.context, 'context', 64),
        ffHidden: intOption(values.ff, 'ff', defaultFeedForward(dim)),
        ...choices.model,
        seed: intOption(values.seed, 'seed', 1, 0),
        ...(values['attention-normalise'] ? { attentionNormalise: true } : {}),
        ...(values['scale-output'] ? { scaleOutput: true } : {}),
        ...(values['block-size'] !== undefined ? { blockSize: intOption(values['block-size'], 'block-size', 0) } : {}),
      };
  return { training, model, attention };
}

async function lmCompare(argv: string[]): Promise<number> {
  const { values } = parseCommand(argv, TRAIN_OPTIONS, 'fastweights lm compare');
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (values.model !== undefined || values.resume !== undefined) throw new UsageError('lm compare: use --models a,b,c (finished models are skipped on a rerun; no --model or --resume)');
  if (values.carry || values.streams) throw new UsageError(`lm compare: --${values.carry ? 'carry' : 'streams'} is for lm train (train each model with lm train --carry, then lm eval --mode carry)`);
  if (values.arch !== undefined) throw new UsageError('lm compare: --arch is for lm train (lm compare trains the models of --models)');
  if (values['block-size'] !== undefined) throw new UsageError('lm compare: --block-size is for lm train');
  refuseFlaFlags(values, 'lm compare');
  const models = modelList(values.models, ['softmax', 'linear', 'delta', 'dpfp', 'dpfp-delta'], 'lm compare');
  for (const name of models) attentionOption(name);
  const { training, model } = lmTrainSettings(values, models[0]!, 600);
  const seeds = seedCount(values.seeds, training.seed, 'lm compare');
  for (const name of models) checkLmFits({ ...model, attention: name }, training, 'lm compare');
  const out = values.out ?? 'runs/lm-compare';
  ensureOutDir('lm compare', out);
  const json = values.json ?? false;
  const log = trainingLog(json);
  return withInterrupt(log, async (shouldStop, stop) => {
    const rows = await compareLanguageModels({
      models,
      out,
      overwrite: values.overwrite ?? false,
      base: { model, training },
      seeds,
      evalTokens: intOption(values['eval-tokens'], 'eval-tokens', 50000),
      log,
      progress: (total, unit, initial) => createProgress({ total, initial, label: 'train', unit, mode: json ? 'json' : 'auto' }),
      shouldStop,
    }).catch(comparisonMistakes('lm compare'));
    console.log(json ? JSON.stringify(rows) : `\n${markdownTable(rows)}\nresults, CSV and loss curves in ${out}`);
    return stop.urgent ? stop.exitCode : 0;
  });
}

async function lmEval(argv: string[]): Promise<number> {
  const { values } = parseCommand(
    argv,
    { checkpoint: { type: 'string' }, corpus: { type: 'string' }, split: { type: 'string' }, mode: { type: 'string' }, 'max-tokens': { type: 'string' }, batch: { type: 'string' }, context: { type: 'string' }, 'warmup-segments': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    'fastweights lm eval',
  );
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.checkpoint) throw new UsageError('lm eval: --checkpoint DIR is required');
  if (isFlaModelDirectory(values.checkpoint)) {
    return runPretrainedEval({ checkpoint: values.checkpoint, corpus: values.corpus, maxTokens: optionalInt(values['max-tokens'], 'max-tokens'), json: values.json === true });
  }
  if (values.corpus !== undefined) throw new UsageError('lm eval: --corpus is for Hugging Face model directories (a training checkpoint is scored on its own corpus)');
  const split = choiceOption(values.split, 'split', ['valid', 'test'] as const, 'valid');
  const mode = choiceOption<PerplexityMode>(values.mode, 'mode', PERPLEXITY_MODES, 'segments');
  // Checked before the corpus is read: a usage mistake costs no work.
  const warmupSegments = optionalInt(values['warmup-segments'], 'warmup-segments');
  if (warmupSegments !== undefined && mode !== 'carry') throw new UsageError(`lm eval: --warmup-segments needs --mode carry (the state it builds is what carry mode starts from)`);
  const { model, tokenizer, config } = openLanguageModel(values.checkpoint, 'lm eval');
  try {
    checkCorpusUnchanged(config.training);
  } catch (err) {
    throw new UsageError(`lm eval: ${(err as Error).message}`);
  }
  const data = prepareLmData(config.training.corpus, config.training.vocabSize, tokenizer, (l) => console.error(l));
  const maxTokens = optionalInt(values['max-tokens'], 'max-tokens');
  const tokens = split === 'valid' ? data.valid : data.test;
  const batchSize = intOption(values.batch, 'batch', 8);
  const context = values.context ? intOption(values.context, 'context', 1) : model.config.context;
  if (warmupSegments !== undefined && warmupSegments * batchSize * context + 1 > data.train.length) {
    throw new UsageError(`lm eval: --warmup-segments ${warmupSegments} needs ${warmupSegments * batchSize * context + 1} training tokens; the training split has ${data.train.length}`);
  }
  // The start of the training split, as B streams of N segments each.
  const warmup = warmupSegments ? data.train.subarray(0, warmupSegments * batchSize * context + 1) : undefined;
  const progress = createProgress({ total: Math.min(tokens.length, maxTokens ?? Infinity), label: `${split} ${mode}`, unit: 'tokens', mode: values.json ? 'silent' : 'auto' });
  const result = evaluatePerplexity(model, tokens, {
    mode,
    batchSize,
    context,
    ...(warmup ? { warmup } : {}),
    ...(maxTokens !== undefined ? { maxTokens } : {}),
    onProgress: (done) => progress.update(done),
  });
  progress.finish();
  const trainedWithCarry = config.training.carry === true;
  // The whole split unless --max-tokens N: then its first N tokens, for the model and the baseline alike.
  const scored = maxTokens !== undefined ? tokens.subarray(0, Math.min(tokens.length, maxTokens + 1)) : tokens;
  const baseline = unigramPerplexity(data.train, scored, model.config.vocabSize);
  const extent = maxTokens !== undefined && scored.length < tokens.length ? `the first ${scored.length.toLocaleString('en-US')} of ${tokens.length.toLocaleString('en-US')}` : `the whole split's ${tokens.length.toLocaleString('en-US')}`;
  if (values.json) console.log(JSON.stringify({ checkpoint: values.checkpoint, model: model.name, split, trainedWithCarry, warmupSegments: warmupSegments ?? 0, ...result, splitTokens: tokens.length, unigramPerplexity: baseline }));
  else console.log(`${model.name} ${split} perplexity ${result.perplexity.toFixed(2)} (mode ${mode}, ${result.tokens.toLocaleString('en-US')} tokens scored of ${extent}, loss ${result.loss.toFixed(4)} nats/token${warmupSegments ? `, after ${warmupSegments} warm-up segments` : ''}${trainedWithCarry ? '; trained with --carry' : ''}); unigram baseline ${baseline.toFixed(2)} on the same tokens`);
  return 0;
}

async function lmGenerate(argv: string[]): Promise<number> {
  const { values } = parseCommand(
    argv,
    { checkpoint: { type: 'string' }, prompt: { type: 'string' }, 'prompt-ids': { type: 'string' }, tokens: { type: 'string' }, temperature: { type: 'string' }, 'top-k': { type: 'string' }, 'top-p': { type: 'string' }, seed: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    'fastweights lm generate',
  );
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.checkpoint) throw new UsageError('lm generate: --checkpoint DIR is required');
  const tokens = intOption(values.tokens, 'tokens', 100);
  const temperature = numberOption(values.temperature, 'temperature', 0.8, [0, 100]);
  const topK = intOption(values['top-k'], 'top-k', 40, 0);
  const topP = numberOption(values['top-p'], 'top-p', 1, [0, 1]);
  if (topP === 0) throw new UsageError("--top-p must be in (0, 1], got '0'");
  const seed = intOption(values.seed, 'seed', 1, 0);
  if (isFlaModelDirectory(values.checkpoint)) {
    return runPretrainedGenerate({ checkpoint: values.checkpoint, prompt: values.prompt, promptIds: values['prompt-ids'], tokens, temperature, topK, topP, seed });
  }
  if (values['prompt-ids'] !== undefined || topP !== 1) throw new UsageError('lm generate: --prompt-ids and --top-p are for Hugging Face model directories (docs/pretrained.md)');
  if (values.prompt === undefined || values.prompt === '') throw new UsageError('lm generate: --prompt TEXT is required');
  const { model, tokenizer } = openLanguageModel(values.checkpoint, 'lm generate');
  const seconds = generationSeconds(model, tokens);
  if (seconds > MAX_GENERATION_SECONDS) {
    const fit = Math.floor((tokens * MAX_GENERATION_SECONDS) / seconds);
    throw new UsageError(`lm generate: --tokens ${tokens} would take about ${formatDuration(seconds)} with this model; at most about ${fit} tokens fit in ${formatDuration(MAX_GENERATION_SECONDS)}`);
  }
  const ids = generate(model, tokenizer.encode(values.prompt), { tokens, temperature, topK, rng: new Rng(seed) });
  console.log(values.prompt + generatedText(tokenizer, ids));
  return 0;
}

/** Loads a checkpoint; a missing, corrupt, mismatched or foreign one is a usage error naming the problem. */
function openLanguageModel(dir: string, command: string): ReturnType<typeof loadLanguageModel> {
  try {
    return loadLanguageModel(dir);
  } catch (err) {
    throw new UsageError(`${command}: cannot load checkpoint: ${(err as Error).message}`);
  }
}

/** Generation longer than this is refused before it starts. */
const MAX_GENERATION_SECONDS = 30 * 60;

/**
 * A rough guess of the seconds `tokens` sampled tokens take: two flops per weight and token at
 * 1 GFLOP/s, plus a fixed cost per token and per layer for the ops' bookkeeping (measured on 2
 * cores: 0.3 ms a token for a 1-layer d8 model, 1 ms for the default 2-layer d64 one).
 */
function generationSeconds(model: LanguageModel, tokens: number): number {
  const flops = 2 * model.parameterCount() + 2 * model.config.vocabSize * model.config.dModel;
  return tokens * (flops / 1e9 + 1e-4 + model.config.layers * 1.5e-4);
}

function formatDuration(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} minutes`;
  return `${(seconds / 3600).toFixed(1)} hours`;
}

/** A vocabulary larger than this would spend hours learning BPE merges on these corpora. */
const MAX_VOCAB = 65536;

export type { ProgressMode };
export { samplePrompt };
