/**
 * The language-model panel's loader for Hugging Face directories of fla's DeltaNet (docs/pretrained.md):
 * the picked files (config.json, model.safetensors or the shards and model.safetensors.index.json,
 * tokenizer.json when there is one) go through the library's own loading and checks
 * (fastweights/pretrained), and generation decodes one token at a time on a state of constant size.
 * A chunk of its own (demo/lmPanel.ts imports it only when such files are picked), so the page's
 * first load does not carry it.
 */
import { Rng, inference } from '../src/index.js';
import { continuationDecoder, generatePretrained, hfFilesFromBytes, loadHfLanguageModelFiles, type DeltaNetForCausalLM, type HfTokenizer } from '../src/pretrained.js';
import type { GenerateRequest, PanelModel } from './panelModel.js';

/** Numbers the model carries from token to token: each layer's fast weights and convolution caches. */
function stateNumbers(model: DeltaNetForCausalLM): number {
  const { states } = inference(model, () => model.forward([0], 1, 1, { lastOnly: true }));
  return states.reduce((sum, s) => sum + s.W.size + (s.conv === null ? 0 : s.conv.q.size + s.conv.k.size + s.conv.v.size), 0);
}

/** '1, 42 7' → [1, 42, 7]; a clear error for anything that is not a token id of the vocabulary. */
export function parsePromptIds(text: string, vocabSize: number): number[] {
  const parts = text.split(/[\s,]+/).filter((part) => part !== '');
  if (parts.length === 0) throw new Error('the prompt needs at least one token id (this directory has no tokenizer.json)');
  return parts.map((part) => {
    const id = /^\d+$/.test(part) ? Number(part) : NaN;
    if (!(id < vocabSize)) throw new Error(`'${part}' is not a token id of the vocabulary [0, ${vocabSize}) (this directory has no tokenizer.json, so the prompt is token ids)`);
    return id;
  });
}

function* stream(model: DeltaNetForCausalLM, tokenizer: HfTokenizer | null, eos: number | null, request: GenerateRequest): Generator<string> {
  const prompt = tokenizer ? tokenizer.encode(request.prompt) : parsePromptIds(request.prompt, model.config.vocabSize);
  if (prompt.length === 0) throw new Error('the prompt is empty');
  const decoder = tokenizer ? continuationDecoder(tokenizer, prompt) : null;
  yield decoder ? request.prompt : prompt.join(' ');
  const options = { tokens: request.tokens, temperature: request.temperature, topK: 40, rng: new Rng(request.seed), stopTokens: eos === null ? [] : [eos] };
  let first = true;
  for (const id of generatePretrained(model, prompt, options)) {
    yield decoder ? decoder.push(id) : `${first ? ' |' : ''} ${id}`;
    first = false;
  }
  if (decoder) yield decoder.flush();
}

/** Loads the picked files (by name); throws the library's one-line error naming the file at fault. */
export function loadHfPanelModel(files: ReadonlyMap<string, Uint8Array>): PanelModel {
  // Inference only: the matrices go where the decoding kernel reads them in place.
  const { model, config, tokenizer, storedDTypes } = loadHfLanguageModelFiles(hfFilesFromBytes(files), { resident: true });
  const shape = `fla DeltaNet: ${config.numHiddenLayers} layers, hidden ${config.hiddenSize}, ${config.numHeads} heads, vocabulary ${config.vocabSize}`;
  const size = `${model.parameterCount().toLocaleString('en')} parameters (${[...storedDTypes].join(', ')} weights)`;
  const state = `Recurrent state: ${stateNumbers(model).toLocaleString('en')} numbers of fast weights${config.useShortConv ? ' and convolution caches' : ''}, the same size after any number of tokens.`;
  const prompt = tokenizer ? '' : ' No tokenizer.json: type the prompt as token ids (e.g. 1, 42, 7); the output is ids.';
  return {
    summary: `${shape}, ${size}. ${state}${prompt}`,
    promptHint: tokenizer ? 'a prompt' : 'token ids, e.g. 1, 42, 7',
    generate: (request) => stream(model, tokenizer, config.eosTokenId, request),
  };
}
