/**
 * The language-model panel: the person picks the files of a checkpoint directory written by
 * `fastweights lm train` (demo/lmCheckpoint.ts reads them), types a prompt, and the model generates
 * on its recurrent state, whose size is shown: for the fast weight models it does not grow with the
 * text (O(1) memory per token).
 */
import { BOS_ID, Rng, generate, inference, type AttentionState } from '../src/index.js';
import { loadLmFromFiles, type LoadedLm } from './lmCheckpoint.js';

export interface LmPanelElements {
  files: HTMLInputElement;
  status: HTMLElement;
  prompt: HTMLInputElement;
  tokens: HTMLInputElement;
  temperature: HTMLInputElement;
  generate: HTMLButtonElement;
  output: HTMLElement;
}

/** Numbers in the recurrent state after one token: fast weights (and z) or a key/value cache. */
function stateSize(lm: LoadedLm): { numbers: number; kind: string } {
  const { states } = inference(lm.model, () => lm.model.forward([BOS_ID], 1, 1));
  const numbers = states.reduce((sum: number, s: AttentionState) => sum + (s.kind === 'fast-weights' ? s.W.size + (s.z?.size ?? 0) : s.keys.size + s.values.size), 0);
  return { numbers, kind: states[0]?.kind ?? 'none' };
}

async function readPicked(list: FileList): Promise<Map<string, Uint8Array<ArrayBuffer>>> {
  const files = new Map<string, Uint8Array<ArrayBuffer>>();
  for (const file of Array.from(list)) files.set(file.name, new Uint8Array(await file.arrayBuffer()));
  return files;
}

export function setUpLmPanel(elements: LmPanelElements): void {
  let loaded: LoadedLm | null = null;
  elements.generate.disabled = true;

  elements.files.addEventListener('change', async () => {
    loaded = null;
    elements.generate.disabled = true;
    elements.status.textContent = 'reading…';
    try {
      loaded = await loadLmFromFiles(await readPicked(elements.files.files!));
      const { config } = loaded;
      const state = stateSize(loaded);
      const memory = state.kind === 'fast-weights' ? 'fast weights, the same size after any number of tokens' : 'a key/value cache that grows with the text, up to the context';
      elements.status.textContent = `${config.attention}: ${config.layers} layers, d_model ${config.dModel}, ${config.heads} heads, vocabulary ${config.vocabSize}, ${loaded.parameters.toLocaleString('en')} parameters (save ${loaded.generation}). Recurrent state: ${state.numbers.toLocaleString('en')} numbers of ${memory}.`;
      elements.generate.disabled = false;
    } catch (e) {
      elements.status.textContent = `could not load: ${(e as Error).message}`;
    }
  });

  elements.generate.addEventListener('click', () => {
    if (loaded === null) return;
    const lm = loaded;
    const tokens = Math.max(1, Math.min(1000, Number(elements.tokens.value) || 60));
    const temperature = Math.max(0, Number(elements.temperature.value) || 0);
    elements.output.textContent = 'generating…';
    // Let the page paint the message before the (synchronous) generation runs.
    setTimeout(() => {
      try {
        const prompt = lm.tokenizer.encode(elements.prompt.value);
        const started = performance.now();
        const ids = generate(lm.model, prompt.length > 0 ? prompt : [BOS_ID], { tokens, temperature, topK: 40, rng: new Rng(Date.now() >>> 0) });
        const ms = performance.now() - started;
        elements.output.textContent = `${elements.prompt.value}${lm.tokenizer.decode(ids)}`;
        elements.output.title = `${ids.length} tokens in ${ms.toFixed(0)} ms`;
      } catch (e) {
        elements.output.textContent = `could not generate: ${(e as Error).message}`;
      }
    }, 20);
  });
}
