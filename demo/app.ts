/**
 * The demo page's working part (demo/index.html), loaded by demo/main.ts once the page's static
 * shell has painted: wires the backend picker, the retrieval panel and the language-model panel to
 * the page's elements, and publishes the page's status for its test.
 */
import { getBackend, type BackendName } from '../src/index.js';
import { selectBackend } from './backendPicker.js';
import { RetrievalPanel } from './retrievalPanel.js';
import { setUpLmPanel } from './lmPanel.js';
import { publishStatus, type DemoStatus } from './status.js';
import { nextTask } from './scheduling.js';

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`demo: the page has no element #${id}`);
  return found as T;
}

/**
 * Threads the training uses: on 2 cores or more, each of the two models on a pool worker of its own
 * (demo/workerSlices.ts), where the page is cross-origin isolated and runs wasm. Not data-parallel
 * steps: a step of one of these models (about 1 ms) is too small to split (docs/browser.md,
 * "Training on two threads in a page").
 */
const TRAINING_THREADS = Math.min(2, navigator.hardwareConcurrency || 1);

/**
 * Starts the page, each heavy step in a task of its own so that none holds the main thread long:
 * the retrieval panel (both models built; its chart, the first canvas, and each heatmap follow in
 * tasks of their own), then the backend (for wasm, compiling the kernels' module) and the
 * language-model panel. The status is published last: the page is ready.
 */
export async function startDemo(): Promise<void> {
  const status: DemoStatus = {
    backend: getBackend().name,
    backendDetail: '',
    steps: { delta: 0, sum: 0 },
    losses: { delta: [], sum: [] },
    stepMs: { delta: NaN, sum: NaN },
    threads: 1,
    heatmapDraws: 0,
    shownStep: 0,
    error: '',
  };

  await nextTask();
  const retrieval = new RetrievalPanel(
    {
      train: element('train'),
      reset: element('reset'),
      feed: element('feed'),
      chart: element('loss-chart'),
      stepInfo: element('step-info'),
      sequence: element('sequence'),
      heatmaps: { delta: element('heatmap-delta'), sum: element('heatmap-sum') },
      captions: { delta: element('caption-delta'), sum: element('caption-sum') },
    },
    status,
    TRAINING_THREADS,
  );

  const picker = element<HTMLSelectElement>('backend');
  const backendDetail = element('backend-detail');
  async function pick(name: BackendName): Promise<void> {
    retrieval.setPaused(true);
    backendDetail.textContent = name === 'gpu' ? 'loading gpu.js…' : '';
    try {
      status.backendDetail = await selectBackend(name);
      status.backend = name;
    } catch (e) {
      status.backendDetail = `${name} failed: ${(e as Error).message}; staying on ${status.backend}`;
      picker.value = status.backend;
    } finally {
      backendDetail.textContent = status.backendDetail;
      retrieval.setPaused(false);
    }
  }
  picker.value = status.backend;
  picker.addEventListener('change', () => void pick(picker.value as BackendName));
  await nextTask();
  await pick(status.backend as BackendName);

  setUpLmPanel({
    files: element('checkpoint-files'),
    status: element('lm-status'),
    prompt: element('prompt'),
    tokens: element('tokens'),
    temperature: element('temperature'),
    generate: element('generate'),
    output: element('generated'),
  });
  publishStatus(status);
}
