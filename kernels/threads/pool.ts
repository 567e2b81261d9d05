/**
 * The one pool of worker threads: every thread the library starts belongs to it, and the process (or
 * page) has one, `threadPool()`. It starts empty and grows when work asks for more threads. Its
 * threads take two kinds of work (./workerProgram.ts):
 * * kernel jobs, synchronous: the wasm runtime (kernels/wasm/runtime.ts) attaches its modules and
 *   shared memory, then splits a kernel call between this thread and the idle pool threads;
 * * requests, asynchronous: tasks (./tasks.ts), modules run on a thread by URL, one request at a
 *   time, with progress messages (data-parallel training steps, whole retrieval runs).
 * A thread busy with a task takes no kernel job meanwhile: the kernel calls made here then use the
 * threads left idle, or this thread alone, which gives the same bits (every kernel's split does).
 *
 * Idle threads never keep a Node process alive; a thread that fails fails its request and every
 * later one with a one-line error. A pool thread starts no threads of its own.
 */
import type { KernelThreadPool } from '../wasm/runtime.js';
import { spawnThread, type Thread } from './spawn.js';
import { ARGC, CONTROL_INTS, FAILED, FINISHED, KERNEL, LISTEN, MAX_ARGS, POSTED, SENT, SPIN, STOP, WORKER_SOURCE } from './workerProgram.js';
import { insidePoolThread } from './poolThread.js';

/**
 * How long this thread waits for a pool thread before it reports it stuck. Long: on a machine loaded
 * many times over (a nice'd run among others) one kernel call has taken over a minute, and a training
 * run must not die of slowness; a thread that is really gone hangs no longer than this.
 */
const TIMEOUT_MS = 600_000;

/** One kernel call for one pool thread: an export of the attached module and its numeric arguments. */
export interface KernelJob {
  name: string;
  args: number[];
}

interface Pending {
  resolve(reply: unknown): void;
  reject(error: Error): void;
  onProgress: ((message: unknown) => void) | undefined;
}

interface Slot {
  thread: Thread;
  control: Int32Array;
  args: Float64Array;
  /** The last number posted in its control block. */
  posted: number;
  /** It serves the attached kernels: whenever it handles no message, it waits on its control block. */
  serving: boolean;
  /** It has said so (a page's main thread, which may not block, posts kernel jobs only to such threads). */
  started: boolean;
  /** The request it is answering. */
  pending: Pending | null;
  failure: Error | null;
}

/** Whether this thread may block in Atomics.wait (a page's main thread may not: it polls instead). */
let blocking: boolean | undefined;
function canBlock(): boolean {
  if (blocking === undefined) {
    try {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
      blocking = true;
    } catch {
      blocking = false;
    }
  }
  return blocking;
}

export class ThreadPool implements KernelThreadPool {
  private slots: Slot[] = [];
  private closed = false;
  /** The attached modules' functions by name (a job's kernel is an index into them). */
  private kernelNames: string[] = [];
  /** The slots running the current kernel jobs (start → finish). */
  private active: Slot[] = [];
  /** Kernel jobs handed to pool threads so far (tests check that work was really split). */
  jobsPosted = 0;
  /** Requests handed to pool threads so far (tests check that tasks, such as a step's micro-batches, ran there). */
  requestsSent = 0;

  /** Threads started (a failed one included). */
  get size(): number {
    return this.slots.length;
  }

  /** Starts threads until there are at least n. */
  grow(n: number): void {
    if (this.closed) throw new Error('worker threads: the pool is closed');
    if (n > this.slots.length && insidePoolThread()) throw new Error('worker threads: a pool thread starts no threads of its own (one pool per process)');
    while (this.slots.length < n) {
      const slot: Slot = {
        thread: null as unknown as Thread,
        control: new Int32Array(new SharedArrayBuffer(CONTROL_INTS * 4)),
        args: new Float64Array(new SharedArrayBuffer(MAX_ARGS * 8)),
        posted: 0,
        serving: false,
        started: false,
        pending: null,
        failure: null,
      };
      slot.thread = spawnThread(WORKER_SOURCE, { message: (m) => this.received(slot, m), failed: (e) => this.failed(slot, e) });
      this.slots.push(slot);
    }
  }

  // ---- Kernel jobs --------------------------------------------------------------------------

  /**
   * The first `threads` pool threads (started if need be) serve these modules' kernels over `memory`
   * from now on, and the others none; no module: no thread serves kernels.
   */
  attachKernels(modules: readonly WebAssembly.Module[], memory: WebAssembly.Memory | null, threads: number): void {
    const some = modules.length > 0;
    if (some) this.grow(threads);
    this.kernelNames = modules.flatMap((module) => WebAssembly.Module.exports(module).filter((e) => e.kind === 'function').map((e) => e.name));
    this.slots.forEach((slot, i) => {
      const serve = some && i < threads && slot.failure === null;
      if (!serve && !slot.serving) return;
      this.send(slot, serve ? { kind: 'kernels', modules, memory, names: this.kernelNames, control: slot.control, args: slot.args } : { kind: 'kernels', modules: [] });
      slot.serving = serve;
    });
  }

  /** Pool threads ready for a kernel job now (serving the kernels, not busy with a task). */
  kernelThreads(): number {
    return this.slots.filter(ready).length;
  }

  /** Posts one job to each of the first jobs.length ready threads; returns at once. */
  start(jobs: KernelJob[]): void {
    const slots = this.slots.filter(ready).slice(0, jobs.length);
    if (slots.length < jobs.length) throw new Error(`worker threads: ${jobs.length} kernel jobs for ${slots.length} ready threads`);
    jobs.forEach((job) => {
      if (!this.kernelNames.includes(job.name)) throw new Error(`worker threads: no kernel '${job.name}' in the attached modules`);
      if (job.args.length > MAX_ARGS) throw new Error(`worker threads: ${job.name} has ${job.args.length} arguments, at most ${MAX_ARGS} fit`);
    });
    this.active = slots;
    this.jobsPosted += jobs.length;
    jobs.forEach((job, i) => {
      const slot = slots[i]!;
      waitFinished(slot, 'thread did not come back from its messages'); // a LISTEN not taken yet
      slot.args.set(job.args);
      slot.control[ARGC] = job.args.length;
      post(slot, this.kernelNames.indexOf(job.name));
    });
  }

  /** Waits until every job of the last start() has finished; throws if one failed or a thread is stuck. */
  finish(): void {
    let failed = false;
    this.active.forEach((slot) => {
      waitFinished(slot, `thread ${this.slots.indexOf(slot) + 1} did not finish a kernel`);
      failed ||= slot.control[FAILED] === 1;
    });
    this.active = [];
    if (failed) throw new Error('worker threads: a kernel failed in a pool thread (out-of-bounds memory access?)');
  }

  // ---- Requests (./tasks.ts) ------------------------------------------------------------------

  /**
   * Sends `message` to thread i, which must be idle, and resolves with the thread's reply; the
   * thread's progress messages before it go to onProgress.
   */
  request<Reply>(i: number, message: unknown, onProgress?: (message: unknown) => void): Promise<Reply> {
    const slot = this.slots[i];
    if (slot === undefined) return Promise.reject(new Error(`worker threads: no thread ${i} of ${this.slots.length}`));
    if (slot.failure !== null) return Promise.reject(slot.failure);
    if (slot.pending !== null) return Promise.reject(new Error(`worker threads: thread ${i} is busy`));
    try {
      this.send(slot, message);
    } catch (e) {
      return Promise.reject(e as Error);
    }
    slot.thread.keepAlive(true);
    this.requestsSent++;
    return new Promise<Reply>((resolve, reject) => {
      slot.pending = { resolve: resolve as (reply: unknown) => void, reject, onProgress };
    });
  }

  /** Sends `message`, which has no reply, to thread i unless it has failed. */
  tell(i: number, message: unknown): void {
    const slot = this.slots[i];
    if (slot !== undefined && slot.failure === null) this.send(slot, message);
  }

  /** Stops every thread. */
  close(): void {
    this.closed = true;
    for (const slot of this.slots) {
      if (ready(slot)) post(slot, STOP);
      slot.pending?.reject(new Error('worker threads: the pool was closed'));
      slot.thread.terminate();
    }
    this.slots = [];
  }

  /**
   * Posts a message to a thread. The thread counts what it has received against SENT; one that waits
   * for kernel jobs is woken by a LISTEN to read it (./workerProgram.ts).
   */
  private send(slot: Slot, message: unknown): void {
    const waiting = ready(slot);
    Atomics.add(slot.control, SENT, 1); // before the message, so the thread cannot read it uncounted
    slot.thread.post(message);
    // A LISTEN may replace one not taken yet (the thread reads only the last); never a job, which
    // finish() has waited for.
    if (waiting) post(slot, LISTEN);
  }

  private received(slot: Slot, message: unknown): void {
    const m = message as { kind: 'started' } | { kind: 'progress'; message: unknown } | { kind: 'reply'; value: unknown } | { kind: 'failed'; error: string };
    if (m.kind === 'started') return void (slot.started = true);
    const pending = slot.pending;
    if (pending === null) return;
    if (m.kind === 'progress') return pending.onProgress?.(m.message);
    slot.pending = null;
    slot.thread.keepAlive(false);
    if (m.kind === 'reply') pending.resolve(m.value);
    else pending.reject(new Error(m.error));
  }

  private failed(slot: Slot, error: Error): void {
    slot.failure = error;
    slot.serving = false;
    slot.pending?.reject(error);
    slot.pending = null;
  }
}

/**
 * Serving kernels, with no task and no failure: waiting on its control block. A thread that may block
 * can wait for one still starting; a page's main thread, which can only poll, would poll forever if
 * the worker's start needed this thread's turn, so there a thread counts once it has said it started.
 */
function ready(slot: Slot): boolean {
  return slot.serving && slot.pending === null && slot.failure === null && (slot.started || canBlock());
}

function post(slot: Slot, kernel: number): void {
  slot.control[KERNEL] = kernel;
  slot.posted++;
  Atomics.store(slot.control, POSTED, slot.posted);
  Atomics.notify(slot.control, POSTED);
}

/** Waits until the thread has taken the last thing posted to it. */
function waitFinished(slot: Slot, what: string): void {
  const control = slot.control;
  for (let spin = 0; spin < SPIN && Atomics.load(control, FINISHED) !== slot.posted; spin++);
  const deadline = Date.now() + TIMEOUT_MS;
  for (;;) {
    const done = Atomics.load(control, FINISHED);
    if (done === slot.posted) return;
    if (Date.now() > deadline) throw new Error(`worker threads: ${what} in ${TIMEOUT_MS / 1000} s`);
    if (canBlock()) Atomics.wait(control, FINISHED, done, 1000);
  }
}

let processPool: ThreadPool | null = null;

/** The process's (or page's) one pool, started empty on first use. */
export function threadPool(): ThreadPool {
  return (processPool ??= new ThreadPool());
}

/** Stops the pool's threads; the next threadPool() starts a new, empty one. */
export function closeThreadPool(): void {
  processPool?.close();
  processPool = null;
}
