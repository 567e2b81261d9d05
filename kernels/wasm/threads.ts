/**
 * Worker threads for the wasm backend (Node only): each worker instantiates the same WebAssembly
 * module over the same shared memory and waits for jobs. A job is a kernel name and its numeric
 * arguments, written into a small shared control block; the worker runs it and signals back.
 * Synchronous on the calling side (Atomics.wait), so the autograd ops stay synchronous.
 *
 * node:worker_threads is reached through the Node process object's getBuiltinModule (Node ≥ 20.16),
 * never imported, so this file bundles for a browser, where the pool is simply not built.
 */

interface WorkerLike {
  unref(): void;
  terminate(): Promise<number>;
}
export interface WorkerThreadsLike {
  Worker: new (code: string, options: { eval: true; workerData: unknown }) => WorkerLike;
}

/** node:worker_threads when this is Node with getBuiltinModule, else null. */
export function workerThreadsModule(): WorkerThreadsLike | null {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const getBuiltin: unknown = (globalThis as any).process?.getBuiltinModule;
  if (typeof getBuiltin !== 'function') return null;
  try {
    return getBuiltin('node:worker_threads') as WorkerThreadsLike;
  } catch {
    return null;
  }
}

// Control block slots (Int32Array): the job number posted, the job number finished, which kernel,
// how many arguments, and 1 when the job threw.
const POSTED = 0, FINISHED = 1, KERNEL = 2, ARGC = 3, FAILED = 4;
const MAX_ARGS = 32;
/** How long the caller waits for a worker before it reports a stuck thread. */
const TIMEOUT_MS = 60_000;
/**
 * Polls before sleeping, on both sides. Waking a thread from Atomics.wait costs 0.1–0.3 ms here,
 * more than a whole 512 × 64 × 64 product; kernel calls come in quick succession during a training
 * step, so a worker that polls briefly after each job usually sees the next one without sleeping.
 */
const SPIN = 20_000;

// The worker's whole program (CommonJS, run with eval). A negative job number asks it to stop.
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, control, args, names } = workerData;
const instance = new WebAssembly.Instance(module, { env: { memory } });
const kernels = names.map((name) => instance.exports[name]);
let seen = 0;
for (;;) {
  for (let i = 0; i < ${SPIN} && Atomics.load(control, ${POSTED}) === seen; i++);
  Atomics.wait(control, ${POSTED}, seen);
  seen = Atomics.load(control, ${POSTED});
  if (seen < 0) break;
  try {
    kernels[control[${KERNEL}]](...args.subarray(0, control[${ARGC}]));
    control[${FAILED}] = 0;
  } catch (e) {
    control[${FAILED}] = 1;
  }
  Atomics.store(control, ${FINISHED}, seen);
  Atomics.notify(control, ${FINISHED});
}
`;

export interface Job {
  name: string;
  args: number[];
}

interface Slot {
  worker: WorkerLike;
  control: Int32Array;
  args: Float64Array;
}

export class ThreadPool {
  private readonly slots: Slot[] = [];
  private readonly names: string[];
  private posted = 0;
  private active = 0;
  /** Jobs handed to workers so far (tests check that work was really split). */
  jobsPosted = 0;

  constructor(threads: WorkerThreadsLike, module: WebAssembly.Module, memory: WebAssembly.Memory, size: number) {
    this.names = WebAssembly.Module.exports(module).filter((e) => e.kind === 'function').map((e) => e.name);
    for (let i = 0; i < size; i++) {
      const control = new Int32Array(new SharedArrayBuffer(8 * 4));
      const args = new Float64Array(new SharedArrayBuffer(MAX_ARGS * 8));
      const worker = new threads.Worker(WORKER_SOURCE, { eval: true, workerData: { module, memory, control, args, names: this.names } });
      worker.unref(); // idle workers never keep the process alive
      this.slots.push({ worker, control, args });
    }
  }

  get size(): number {
    return this.slots.length;
  }

  /** Posts one job to each of the first jobs.length workers; returns at once. */
  start(jobs: Job[]): void {
    if (jobs.length > this.slots.length) throw new Error(`wasm threads: ${jobs.length} jobs for ${this.slots.length} workers`);
    this.posted++;
    this.active = jobs.length;
    this.jobsPosted += jobs.length;
    jobs.forEach((job, i) => {
      const slot = this.slots[i]!;
      const kernel = this.names.indexOf(job.name);
      if (kernel < 0 || job.args.length > MAX_ARGS) throw new Error(`wasm threads: bad job ${job.name}`);
      slot.args.set(job.args);
      slot.control[KERNEL] = kernel;
      slot.control[ARGC] = job.args.length;
      Atomics.store(slot.control, POSTED, this.posted);
      Atomics.notify(slot.control, POSTED);
    });
  }

  /** Waits until every posted job has finished; throws if one failed or a worker is stuck. */
  finish(): void {
    let failed = false;
    for (let i = 0; i < this.active; i++) {
      const { control } = this.slots[i]!;
      for (let spin = 0; spin < SPIN && Atomics.load(control, FINISHED) !== this.posted; spin++);
      const deadline = Date.now() + TIMEOUT_MS;
      for (;;) {
        const done = Atomics.load(control, FINISHED);
        if (done === this.posted) break;
        if (Date.now() > deadline) throw new Error(`wasm threads: worker ${i + 1} did not finish a kernel in ${TIMEOUT_MS / 1000} s`);
        Atomics.wait(control, FINISHED, done, 1000);
      }
      failed ||= control[FAILED] === 1;
    }
    this.active = 0;
    if (failed) throw new Error('wasm threads: a kernel failed in a worker thread (out-of-bounds memory access?)');
  }

  /** Stops the workers. */
  close(): void {
    for (const slot of this.slots) {
      Atomics.store(slot.control, POSTED, -1);
      Atomics.notify(slot.control, POSTED);
      void slot.worker.terminate();
    }
    this.slots.length = 0;
  }
}
