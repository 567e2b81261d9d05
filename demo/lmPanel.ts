/**
 * The language-model panel: the person picks the files of a model directory, types a prompt, and
 * the model generates on its recurrent state, whose size is shown: for the fast weight models it
 * does not grow with the text (O(1) memory per token). Two kinds of directory: a checkpoint written
 * by `fastweights lm train` (demo/lmCheckpoint.ts reads it), or a Hugging Face directory of fla's
 * DeltaNet (demo/hfLm.ts, a chunk fetched only when such files are picked). The output streams in
 * short slices between paints, so the page stays responsive while a large model decodes.
 */
import { BOS_ID, Rng, generate, inference, type AttentionState } from '../src/index.js';
import { loadLmFromFiles, type LoadedLm } from './lmCheckpoint.js';
import type { GenerateRequest, PanelModel } from './panelModel.js';

export interface LmPanelElements {
  files: HTMLInputElement;
  status: HTMLElement;
  prompt: HTMLInputElement;
  tokens: HTMLInputElement;
  temperature: HTMLInputElement;
  generate: HTMLButtonElement;
  output: HTMLElement;
}

/** Milliseconds of generation per slice before the page repaints. */
const SLICE_MS = 40;

/** Numbers in the recurrent state after one token: fast weights (and z) or a key/value cache. */
function stateSize(lm: LoadedLm): { numbers: number; kind: string } {
  const { states } = inference(lm.model, () => lm.model.forward([BOS_ID], 1, 1));
  const numbers = states.reduce((sum: number, s: AttentionState) => sum + (s.kind === 'fast-weights' ? s.W.size + (s.z?.size ?? 0) : s.keys.size + s.values.size), 0);
  return { numbers, kind: states[0]?.kind ?? 'none' };
}

/** A `fastweights lm train` checkpoint as the panel uses it. */
function checkpointModel(lm: LoadedLm): PanelModel {
  const { config } = lm;
  const state = stateSize(lm);
  const memory = state.kind === 'fast-weights' ? 'fast weights, the same size after any number of tokens' : 'a key/value cache that grows with the text, up to the context';
  return {
    summary: `${config.attention}: ${config.layers} layers, d_model ${config.dModel}, ${config.heads} heads, vocabulary ${config.vocabSize}, ${lm.parameters.toLocaleString('en')} parameters (save ${lm.generation}). Recurrent state: ${state.numbers.toLocaleString('en')} numbers of ${memory}.`,
    promptHint: 'a prompt',
    *generate({ prompt, tokens, temperature, seed }: GenerateRequest) {
      yield prompt;
      const ids = lm.tokenizer.encode(prompt);
      yield lm.tokenizer.decode(generate(lm.model, ids.length > 0 ? ids : [BOS_ID], { tokens, temperature, topK: 40, rng: new Rng(seed) }));
    },
  };
}

async function readPicked(list: FileList): Promise<Map<string, Uint8Array<ArrayBuffer>>> {
  const files = new Map<string, Uint8Array<ArrayBuffer>>();
  for (const file of Array.from(list)) files.set(file.name, new Uint8Array(await file.arrayBuffer()));
  return files;
}

async function loadPicked(files: Map<string, Uint8Array<ArrayBuffer>>): Promise<PanelModel> {
  if (files.has('checkpoint.json')) return checkpointModel(await loadLmFromFiles(files));
  if (files.has('config.json')) return (await import('./hfLm.js')).loadHfPanelModel(files);
  throw new Error(`pick the files of a checkpoint directory (checkpoint.json, …) or of a Hugging Face DeltaNet directory (config.json, …); got ${[...files.keys()].join(', ') || 'no files'}`);
}

export function setUpLmPanel(elements: LmPanelElements): void {
  let loaded: PanelModel | null = null;
  /** Numbers the generations: a newer one stops an older one still streaming. */
  let run = 0;
  elements.generate.disabled = true;

  elements.files.addEventListener('change', async () => {
    loaded = null;
    run++;
    elements.generate.disabled = true;
    elements.status.textContent = 'reading…';
    try {
      loaded = await loadPicked(await readPicked(elements.files.files!));
      elements.status.textContent = loaded.summary;
      elements.prompt.placeholder = loaded.promptHint;
      elements.generate.disabled = false;
    } catch (e) {
      elements.status.textContent = `could not load: ${(e as Error).message}`;
    }
  });

  elements.generate.addEventListener('click', () => {
    if (loaded === null) return;
    const request: GenerateRequest = {
      prompt: elements.prompt.value,
      tokens: Math.max(1, Math.min(1000, Number(elements.tokens.value) || 60)),
      temperature: Math.max(0, Number(elements.temperature.value) || 0),
      seed: Date.now() >>> 0,
    };
    const mine = ++run;
    const output = elements.output;
    output.textContent = 'generating…';
    output.dataset.state = 'generating';
    const started = performance.now();
    let pieces: Iterator<string>;
    let text = '';
    const slice = () => {
      if (mine !== run) return;
      try {
        pieces ??= loaded!.generate(request);
        const sliceStart = performance.now();
        for (;;) {
          const next = pieces.next();
          if (next.done) {
            output.textContent = text;
            output.title = `${(performance.now() - started).toFixed(0)} ms`;
            output.dataset.state = 'done';
            return;
          }
          text += next.value;
          if (performance.now() - sliceStart > SLICE_MS) break;
        }
        output.textContent = text;
        setTimeout(slice, 0);
      } catch (e) {
        output.textContent = `could not generate: ${(e as Error).message}`;
        output.dataset.state = 'failed';
      }
    };
    // Let the page paint the message before the first slice runs.
    setTimeout(slice, 20);
  });
}
