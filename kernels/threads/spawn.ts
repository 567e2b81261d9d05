/**
 * Starting one worker thread, in Node or in a page: the only place in the library that does. Node's
 * node:worker_threads is reached through the process object's getBuiltinModule (Node ≥ 20.16), never
 * imported, so this file bundles for a browser; a page gets a Web Worker. Either way the thread runs
 * a program given as source text (./workerProgram.ts), so it needs no file of its own beside the
 * bundle, and it reports its failures as one-line errors.
 */

/** One worker thread, seen from the thread that started it. */
export interface Thread {
  post(message: unknown): void;
  /** Node: a busy thread keeps the process alive, an idle one does not (a page has no such notion). */
  keepAlive(busy: boolean): void;
  /** Stops it at once; it reports nothing after. */
  terminate(): void;
}

export interface ThreadEvents {
  message(message: unknown): void;
  /** The thread threw outside any request, or exited on its own. */
  failed(error: Error): void;
}

interface NodeWorker {
  on(event: 'message', listener: (message: unknown) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  on(event: 'exit', listener: (code: number) => void): void;
  postMessage(message: unknown): void;
  ref(): void;
  unref(): void;
  terminate(): Promise<number>;
}
interface NodeWorkerThreads {
  Worker: new (source: string, options: { eval: true }) => NodeWorker;
}

/** node:worker_threads when this is Node with getBuiltinModule, else null. */
function nodeWorkerThreads(): NodeWorkerThreads | null {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const getBuiltin: unknown = (globalThis as any).process?.getBuiltinModule;
  if (typeof getBuiltin !== 'function') return null;
  try {
    return getBuiltin('node:worker_threads') as NodeWorkerThreads;
  } catch {
    return null;
  }
}

/**
 * Why this JavaScript cannot start pool threads ('' when it can): they need a way to start a thread
 * and shared memory to hand kernel jobs over (a page has it only when cross-origin isolated).
 */
export function threadsUnavailableReason(): string {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const g = globalThis as any;
  if (typeof SharedArrayBuffer === 'undefined') {
    return g.crossOriginIsolated === false ? 'the page is not cross-origin isolated (it needs the COOP and COEP headers, docs/browser.md)' : 'this JavaScript has no SharedArrayBuffer';
  }
  if (nodeWorkerThreads() !== null) return '';
  if (typeof g.Worker === 'function' && typeof g.Blob === 'function' && typeof g.URL?.createObjectURL === 'function') return '';
  return 'this JavaScript cannot start worker threads';
}

/** Threads started and not yet stopped or exited, in this thread's copy of the library (tests count them). */
let live = 0;
export function liveThreads(): number {
  return live;
}

/** Starts a thread running `source` (a script that listens for messages). */
export function spawnThread(source: string, events: ThreadEvents): Thread {
  const reason = threadsUnavailableReason();
  if (reason !== '') throw new Error(`worker threads: cannot start one: ${reason}`);
  const node = nodeWorkerThreads();
  let stopped = false;
  const stop = () => {
    if (!stopped) live--;
    stopped = true;
  };
  live++;
  if (node !== null) {
    const worker = new node.Worker(source, { eval: true });
    worker.on('message', (message) => events.message(message));
    worker.on('error', (error) => events.failed(error));
    worker.on('exit', (code) => {
      if (stopped) return;
      stop();
      events.failed(new Error(`worker thread exited with code ${code}`));
    });
    worker.unref(); // an idle worker never keeps the process alive
    return {
      post: (message) => worker.postMessage(message),
      keepAlive: (busy) => (busy ? worker.ref() : worker.unref()),
      terminate: () => {
        stop();
        void worker.terminate();
      },
    };
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const g = globalThis as any;
  const url: string = g.URL.createObjectURL(new g.Blob([source], { type: 'text/javascript' }));
  // The URL is kept: the worker fetches its script after this returns (a few hundred bytes a thread).
  const worker = new g.Worker(url, { type: 'module' });
  worker.onmessage = (event: { data: unknown }) => events.message(event.data);
  worker.onerror = (event: { message?: string; preventDefault(): void }) => {
    event.preventDefault();
    if (!stopped) events.failed(new Error(`worker thread failed: ${event.message ?? 'an error in its script'}`));
  };
  worker.onmessageerror = () => events.failed(new Error('worker thread: a message could not be read'));
  return {
    post: (message) => worker.postMessage(message),
    keepAlive: () => {},
    terminate: () => {
      stop();
      worker.terminate();
    },
  };
}
