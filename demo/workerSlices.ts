/**
 * The demo's models trained side by side, each on a pool worker of its own. For each slice the
 * page's thread sends every model's training state to its worker with a number of milliseconds;
 * the workers train at the same time (./trainerTask.ts) and send the new states back, and the
 * page takes them and draws. The page's thread runs no training meanwhile, and the results are
 * the bits the page's thread would get.
 *
 * Why whole models: a step of one of the demo's models (about 1 ms) is too small to split between
 * two threads, since the messages of a data-parallel step cost more than the half step they save
 * (docs/browser.md, "Training on two threads in a page"); the two models are two independent
 * pieces of work, and a slice of 40 ms carries its two messages easily.
 */
import { getBackend } from '../src/index.js';
import { PoolTask, threadPool, threadsUnavailableReason } from '../src/threads.js';
import type { RetrievalTrainer } from './retrievalTrainer.js';
import type { SliceReply, SliceRequest } from './trainerTask.js';

/**
 * The name of the bundle entry (./trainerWorker.ts) the pool's workers load, served beside the
 * page's other scripts: demo/files.ts and the threads test page build it under this name.
 */
export const TRAINER_WORKER = 'trainerWorker';

/**
 * Milliseconds of training per slice: on the page's thread short, since the page cannot paint
 * meanwhile; on the workers longer, since the page stays free, and each slice costs a message to
 * each worker and back and waits for the slower model's last step (`npm run demo:threads`, alone on
 * 2 cores: slices of 100 ms gave 1.24–1.55 times the page's speed, slices of 40 ms 1.07–1.08).
 */
export const PAGE_SLICE_MS = 40;
export const WORKER_SLICE_MS = 100;

/** Why the models cannot train on workers now: '' when they can. */
export function workersUnavailableReason(): string {
  const reason = threadsUnavailableReason();
  if (reason !== '') return reason;
  const backend = getBackend().name;
  return backend === 'wasm' ? '' : `the workers run the wasm kernels, and the page has picked ${backend}`;
}

export class WorkerSlices {
  private readonly task = new PoolTask(new URL(`./${TRAINER_WORKER}.js`, import.meta.url).href);

  /** Starts `threads` pool workers (if the pool has fewer): trainer i of a slice trains on worker i. */
  constructor(readonly threads: number) {
    threadPool().grow(threads);
  }

  /**
   * Trains each of `trainers` for `forMs` milliseconds (at least one step, at most `maxSteps`) on a
   * worker of its own, all at once; resolves when every one is back with its new state.
   */
  async slice(trainers: readonly RetrievalTrainer[], forMs: number, maxSteps?: number): Promise<void> {
    if (trainers.length > this.threads) throw new Error(`WorkerSlices: ${trainers.length} models for ${this.threads} workers`);
    await Promise.all(
      trainers.map(async (trainer, i) => {
        const request: SliceRequest = { rule: trainer.rule, state: trainer.state(), forMs, ...(maxSteps === undefined ? {} : { maxSteps }) };
        const reply = await this.task.run<SliceReply>(i, request);
        trainer.takeState(reply.state, reply);
      }),
    );
  }

  /** Frees the trainers on the workers (the workers stay in the pool). */
  close(): void {
    this.task.close();
  }
}
