/**
 * `fastweights lm generate | eval --checkpoint DIR` for a Hugging Face directory of fla's DeltaNet
 * (docs/pretrained.md), or a training run of one (`lm train --arch fla`, `--init`). With the directory's tokenizer.json the prompt and the corpus are text and the
 * output streams as text; without one, the prompt is token ids (--prompt-ids 1,415,2936) and the ids
 * stream out. The speed goes to stderr. `lm export` writes such a directory again, as one file in the
 * chosen precision.
 */
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { directoryFiles, saveHfDeltaNet } from '../../io/huggingFace.js';
import { loadHfLanguageModelFiles } from '../../io/huggingFaceFiles.js';
import type { HfTokenizer } from '../../data/hfTokenizer/index.js';
import type { DeltaNetConfig, DeltaNetForCausalLM } from '../../nn/fla/index.js';
import { Rng } from '../../tensor/rng.js';
import { UsageError } from '../../cli/args.js';
import { continuationDecoder, evaluatePretrained, generatePretrained } from './pretrained.js';
import { FLA_LM_CHECKPOINT_FORMAT, checkpointFormat, loadFlaRun } from './flaTraining.js';

/** A Hugging Face model directory (config.json) rather than a fastweights training checkpoint. */
export function isHuggingFaceDirectory(dir: string): boolean {
  return existsSync(join(dir, 'config.json'));
}

/** A directory these commands read: a Hugging Face one, or a training run of fla's DeltaNet (`lm train --arch fla`). */
export function isFlaModelDirectory(dir: string): boolean {
  return isHuggingFaceDirectory(dir) || checkpointFormat(dir) === FLA_LM_CHECKPOINT_FORMAT;
}

interface Pretrained {
  model: DeltaNetForCausalLM;
  config: DeltaNetConfig;
  tokenizer: HfTokenizer | null;
  loadSeconds: number;
}

/**
 * The model and, when the directory has one, its tokenizer; any fault is a usage error naming it.
 * `resident` for inference: the matrices stay in their file's format where the decoding kernels read them.
 */
function openPretrained(dir: string, command: string, resident = true): Pretrained {
  const start = performance.now();
  try {
    if (!isHuggingFaceDirectory(dir)) {
      const run = loadFlaRun(dir);
      return { model: run.model, config: run.model.config, tokenizer: run.tokenizer.hf, loadSeconds: (performance.now() - start) / 1000 };
    }
    const { model, config, tokenizer } = loadHfLanguageModelFiles(directoryFiles(dir), { resident });
    return { model, config, tokenizer, loadSeconds: (performance.now() - start) / 1000 };
  } catch (err) {
    throw new UsageError(`${command}: cannot load ${dir}: ${(err as Error).message}`);
  }
}


export interface PretrainedGenerateCommand {
  checkpoint: string;
  prompt: string | undefined;
  promptIds: string | undefined;
  tokens: number;
  temperature: number;
  topK: number;
  topP: number;
  seed: number;
}

/** Parses "1,415,2936" (commas or spaces) into ids. */
export function parsePromptIds(text: string): number[] {
  const parts = text.split(/[\s,]+/).filter((p) => p !== '');
  if (parts.length === 0) throw new UsageError('lm generate: --prompt-ids needs at least one token id');
  return parts.map((p) => {
    if (!/^\d+$/.test(p)) throw new UsageError(`lm generate: --prompt-ids: '${p}' is not a token id (non-negative integer)`);
    return Number(p);
  });
}

export function runPretrainedGenerate(command: PretrainedGenerateCommand, out: (text: string) => void = (t) => void process.stdout.write(t), log: (line: string) => void = (l) => console.error(l)): number {
  if ((command.prompt === undefined) === (command.promptIds === undefined)) throw new UsageError('lm generate: give the prompt as --prompt TEXT or as --prompt-ids 1,2,3 (one of them)');
  const promptIds = command.promptIds === undefined ? undefined : parsePromptIds(command.promptIds);
  const { model, config, tokenizer, loadSeconds } = openPretrained(command.checkpoint, 'lm generate');
  if (!tokenizer && promptIds === undefined) throw new UsageError(`lm generate: ${command.checkpoint} has no tokenizer.json; give the prompt as token ids with --prompt-ids 1,2,3`);
  const prompt = promptIds ?? tokenizer!.encode(command.prompt!);
  const stopTokens = config.eosTokenId === null ? [] : [config.eosTokenId];
  const stream = tokenizer ? continuationDecoder(tokenizer, prompt) : null;
  if (command.prompt !== undefined) out(command.prompt);
  const start = performance.now();
  let first = start;
  let count = 0;
  for (const id of generatePretrained(model, prompt, { tokens: command.tokens, temperature: command.temperature, topK: command.topK, topP: command.topP, rng: new Rng(command.seed), stopTokens })) {
    if (count === 0) first = performance.now();
    out(stream ? stream.push(id) : `${count === 0 ? '' : ' '}${id}`);
    count++;
  }
  out(`${stream ? stream.flush() : ''}\n`);
  // The first id comes after the prefill; the rest are decoding steps.
  const decodeRate = count > 1 ? ((count - 1) * 1000) / (performance.now() - first) : 0;
  log(`loaded in ${loadSeconds.toFixed(1)} s; prompt of ${prompt.length} tokens in ${((first - start) / 1000).toFixed(2)} s; ${count} tokens generated, ${decodeRate.toFixed(1)} tokens/s decoding`);
  return 0;
}

export interface PretrainedEvalCommand {
  checkpoint: string;
  corpus: string | undefined;
  maxTokens: number | undefined;
  json: boolean;
}

/** Perplexity of the directory's model on a UTF-8 text file, read with its tokenizer.json. */
export function runPretrainedEval(command: PretrainedEvalCommand, print: (line: string) => void = (l) => console.log(l)): number {
  if (command.corpus === undefined) throw new UsageError(`lm eval: ${command.checkpoint} is ${isHuggingFaceDirectory(command.checkpoint) ? 'a Hugging Face model directory' : "a training run of fla's DeltaNet"}; give the text with --corpus FILE`);
  if (!existsSync(command.corpus)) throw new UsageError(`lm eval: --corpus ${command.corpus}: no such file`);
  const { model, tokenizer } = openPretrained(command.checkpoint, 'lm eval');
  if (!tokenizer) throw new UsageError(`lm eval: ${command.checkpoint} has no tokenizer.json to read ${command.corpus} with`);
  let ids = tokenizer.encode(readFileSync(command.corpus, 'utf8'));
  if (command.maxTokens !== undefined) ids = ids.slice(0, command.maxTokens + 1);
  if (ids.length < 2) throw new UsageError(`lm eval: ${command.corpus} holds ${ids.length} token(s), nothing to predict`);
  const result = evaluatePretrained(model, ids);
  if (command.json) print(JSON.stringify({ checkpoint: command.checkpoint, corpus: command.corpus, ...result }));
  else print(`${command.corpus}: perplexity ${result.perplexity.toFixed(2)} (${result.tokens} tokens, loss ${result.loss.toFixed(4)} nats/token)`);
  return 0;
}

export interface PretrainedExportCommand {
  checkpoint: string;
  out: string;
  dtype: 'F32' | 'BF16' | 'F16';
}

/**
 * Writes the directory's model to `out` as config.json + one model.safetensors in `dtype`, with its
 * tokenizer.json when it has one: shards joined, precision changed, readable by fla's from_pretrained.
 */
export function runPretrainedExport(command: PretrainedExportCommand, print: (line: string) => void = (l) => console.log(l)): number {
  if (existsSync(join(command.out, 'config.json')) && command.out !== command.checkpoint) {
    throw new UsageError(`lm export: ${command.out} already holds a model (config.json); choose an empty directory`);
  }
  const { model, tokenizer } = openPretrained(command.checkpoint, 'lm export', false); // float32 parameters, rounded once on writing
  try {
    saveHfDeltaNet(model, command.out, { dtype: command.dtype });
  } catch (err) {
    throw new UsageError(`lm export: ${(err as Error).message}`);
  }
  if (tokenizer && command.out !== command.checkpoint) copyFileSync(join(command.checkpoint, 'tokenizer.json'), join(command.out, 'tokenizer.json'));
  print(`${command.out}: config.json, model.safetensors (${command.dtype}, ${model.parameterCount().toLocaleString('en-US')} parameters)${tokenizer ? ', tokenizer.json' : ''}`);
  return 0;
}
