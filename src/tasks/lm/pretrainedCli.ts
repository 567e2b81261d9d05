/**
 * `fastweights lm generate --checkpoint DIR` for a Hugging Face directory of fla's DeltaNet
 * (docs/pretrained.md): the ids stream to stdout as they are drawn, the speed goes to stderr.
 * The prompt is given as token ids (--prompt-ids 1,415,2936).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadHfDeltaNet } from '../../io/huggingFace.js';
import { Rng } from '../../tensor/rng.js';
import { UsageError } from '../../cli/args.js';
import { generatePretrained } from './pretrained.js';

/** A Hugging Face model directory (config.json) rather than a fastweights training checkpoint. */
export function isHuggingFaceDirectory(dir: string): boolean {
  return existsSync(join(dir, 'config.json'));
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

export function runPretrainedGenerate(command: PretrainedGenerateCommand, out: (text: string) => void = (t) => process.stdout.write(t), log: (line: string) => void = (l) => console.error(l)): number {
  if (command.promptIds === undefined) {
    throw new UsageError(`lm generate: ${command.checkpoint} is a Hugging Face model directory; give the prompt as token ids with --prompt-ids 1,2,3${command.prompt !== undefined ? ' (text prompts need its tokenizer.json, which is not read yet)' : ''}`);
  }
  const prompt = parsePromptIds(command.promptIds);
  const loadStart = performance.now();
  let loaded;
  try {
    loaded = loadHfDeltaNet(command.checkpoint);
  } catch (err) {
    throw new UsageError(`lm generate: cannot load ${command.checkpoint}: ${(err as Error).message}`);
  }
  const { model, config } = loaded;
  const loadSeconds = (performance.now() - loadStart) / 1000;
  const stopTokens = config.eosTokenId === null ? [] : [config.eosTokenId];
  const start = performance.now();
  let first = 0;
  let count = 0;
  for (const id of generatePretrained(model, prompt, { tokens: command.tokens, temperature: command.temperature, topK: command.topK, topP: command.topP, rng: new Rng(command.seed), stopTokens })) {
    if (count === 0) first = performance.now();
    out(`${count === 0 ? '' : ' '}${id}`);
    count++;
  }
  out('\n');
  const end = performance.now();
  // The first id comes after the prefill; the rest are decoding steps.
  const decodeRate = count > 1 ? ((count - 1) * 1000) / (end - first) : 0;
  log(
    `loaded in ${loadSeconds.toFixed(1)} s; prompt of ${prompt.length} tokens in ${((first - start) / 1000).toFixed(2)} s; ` +
      `${count} tokens generated, ${decodeRate.toFixed(1)} tokens/s decoding`,
  );
  return 0;
}
