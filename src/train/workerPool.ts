/**
 * Worker threads that each run one module and answer one request at a time (Node): the pool that
 * data-parallel training (./dataParallel.ts) and the retrieval runs (src/tasks/retrieval/pool.ts)
 * share. A request is one message; the worker may post messages along the way (progress) and ends
 * with the one its caller's `done` recognises. An idle worker never keeps the process alive.
 *
 * The wasm kernels' threads are another kind (kernels/wasm/threads.ts): they wait on shared memory
 * inside a single op, synchronously, so they are the kernels' own; a pool here that keeps every
 * core busy sets them to one thread (`setWasmThreads`) while it runs.
 */
import { Worker } from 'node:worker_threads';

interface Slot {
  worker: Worker;
  pending: { resolve: (reply: unknown) => void; reject: (e: Error) => void; done: (message: unknown) => boolean; onMessage?: ((message: unknown) => void) | undefined } | null;
  /** A worker that failed fails every later request too. */
  failure: Error | null;
}

export class WorkerPool {
  private readonly slots: Slot[] = [];
  /** Set by close(): a worker's exit is then expected, not a failure. */
  private closed = false;

  /** `size` workers running `url`, worker i started with `workerData(i)`. */
  constructor(url: URL, size: number, workerData: (i: number) => unknown = () => undefined) {
    for (let i = 0; i < size; i++) {
      const worker = new Worker(url, { workerData: workerData(i) });
      const slot: Slot = { worker, pending: null, failure: null };
      worker.on('message', (message: unknown) => {
        const pending = slot.pending;
        if (pending === null) return;
        if (!pending.done(message)) return pending.onMessage?.(message);
        slot.pending = null;
        worker.unref();
        pending.resolve(message);
      });
      const fail = (e: Error) => {
        slot.failure = e;
        slot.pending?.reject(e);
        slot.pending = null;
      };
      worker.on('error', fail);
      worker.on('exit', (code) => code !== 0 && !this.closed && fail(new Error(`worker thread exited with code ${code}`)));
      worker.unref(); // an idle worker never keeps the process alive (run() holds it while it works)
      this.slots.push(slot);
    }
  }

  get size(): number {
    return this.slots.length;
  }

  /**
   * Sends `request` to worker `i` (which must be idle) and resolves with the first message `done`
   * recognises; the messages before it go to `onMessage`.
   */
  run<Reply>(i: number, request: unknown, done: (message: unknown) => boolean = () => true, onMessage?: (message: unknown) => void): Promise<Reply> {
    const slot = this.slots[i];
    if (slot === undefined) return Promise.reject(new Error(`WorkerPool: no worker ${i} of ${this.slots.length}`));
    if (slot.failure) return Promise.reject(slot.failure);
    if (slot.pending) return Promise.reject(new Error(`WorkerPool: worker ${i} is busy`));
    return new Promise<Reply>((resolve, reject) => {
      slot.pending = { resolve: resolve as (reply: unknown) => void, reject, done, onMessage };
      slot.worker.ref();
      slot.worker.postMessage(request);
    });
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    this.closed = true;
    const workers = this.slots.map((s) => s.worker);
    this.slots.length = 0;
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
