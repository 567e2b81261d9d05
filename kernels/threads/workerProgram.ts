/**
 * What every pool thread runs (./pool.ts), as source text: ./spawn.ts starts it with Node's `eval`
 * or as a Web Worker's module, so it uses no import statement and runs the same in both.
 *
 * A thread serves two kinds of work, one at a time:
 * * kernel jobs: once given WebAssembly modules and the shared memory they run over, it waits on its
 *   control block (below) and runs each kernel call posted there, synchronously;
 * * tasks: a message names a module (by URL) and a request; the thread imports the module once per
 *   task, calls its `open(data)`, then answers each request with the function `open` returned.
 * While it waits for kernel jobs its event loop is blocked, so the pool counts the messages it sends
 * in the control block (SENT) and posts a LISTEN to wake it: the thread leaves its wait when a message
 * is on its way, reads it, and goes back to waiting for jobs only once it has read every message sent.
 * A job posted meanwhile waits for it, so no job overtakes a message (such as new kernels).
 */
import { POOL_THREAD } from './poolThread.js';

// Control block slots (Int32Array over a SharedArrayBuffer): the number of the last thing posted, the
// number of the last one taken, which kernel it is (or LISTEN, STOP), how many arguments, 1 when the
// job threw, and how many messages were sent to the thread.
export const POSTED = 0, FINISHED = 1, KERNEL = 2, ARGC = 3, FAILED = 4, SENT = 5;
export const CONTROL_INTS = 8;
export const MAX_ARGS = 32;
/** KERNEL values that are not kernels: read your messages; stop for good. */
export const LISTEN = -1, STOP = -2;
/**
 * Polls before sleeping, on both sides. Waking a thread from Atomics.wait costs 0.1–0.3 ms here,
 * more than a whole 512 × 64 × 64 product; kernel calls come in quick succession during a training
 * step, so a thread that polls briefly after each job usually sees the next one without sleeping.
 */
export const SPIN = 20_000;

/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * The thread's program. It runs in the thread from its source text (the function's own, so a bundler
 * minifies it like the rest), so it refers to nothing outside itself but its arguments and globals.
 * `load` is the thread's import(), written in the source text around it: a tool that rewrites
 * import() in this file (vitest does) must not reach the copy that runs in the thread.
 */
function poolThread(load: (url: string) => Promise<any>, c: { POSTED: number; FINISHED: number; KERNEL: number; ARGC: number; FAILED: number; SENT: number; LISTEN: number; STOP: number; SPIN: number; POOL_THREAD: string }): void {
  const g = globalThis as any;
  const nodePort = g.process?.getBuiltinModule?.('node:worker_threads')?.parentPort ?? null;
  const send = (message: unknown) => (nodePort ?? g).postMessage(message);
  g[Symbol.for(c.POOL_THREAD)] = true;

  let kernels: { control: Int32Array; args: Float64Array; calls: ((...args: number[]) => void)[] } | null = null;
  let seen = 0; // the number of the last thing taken from the control block
  let received = 0; // messages received
  const serveKernels = () => {
    const { control, args, calls } = kernels!;
    for (;;) {
      const posted = Atomics.load(control, c.POSTED);
      if (posted === seen) {
        for (let i = 0; i < c.SPIN && Atomics.load(control, c.POSTED) === seen; i++);
        Atomics.wait(control, c.POSTED, seen);
        continue;
      }
      seen = posted;
      const kernel = control[c.KERNEL]!;
      if (kernel === c.STOP) return;
      if (kernel >= 0) {
        try {
          calls[kernel]!(...args.subarray(0, control[c.ARGC]));
          control[c.FAILED] = 0;
        } catch {
          control[c.FAILED] = 1;
        }
      }
      Atomics.store(control, c.FINISHED, seen);
      Atomics.notify(control, c.FINISHED);
      if (Atomics.load(control, c.SENT) !== received) return; // a message is on its way: read it
    }
  };

  const tasks = new Map<string, (request: unknown, progress: (message: unknown) => void) => unknown>();
  const handle = async (m: any) => {
    if (m.kind === 'kernels') {
      if (m.modules.length === 0) kernels = null;
      else {
        const exports = Object.assign({}, ...m.modules.map((module: WebAssembly.Module) => new WebAssembly.Instance(module, { env: { memory: m.memory } }).exports));
        kernels = { control: m.control, args: m.args, calls: m.names.map((name: string) => exports[name]) };
      }
    } else if (m.kind === 'drop') {
      tasks.delete(m.key);
    } else if (m.kind === 'run') {
      try {
        let answer = tasks.get(m.key);
        if (answer === undefined) {
          const module = await load(m.url);
          if (typeof module.open !== 'function') throw new Error(`${m.url} exports no open() function`);
          answer = await module.open(m.data);
          tasks.set(m.key, answer!);
        }
        send({ kind: 'reply', value: await answer!(m.request, (message) => send({ kind: 'progress', message })) });
      } catch (e) {
        send({ kind: 'failed', error: e instanceof Error ? e.message : String(e) });
      }
    }
  };

  // One message at a time; back to the kernel jobs once every message sent has been read.
  const queue: unknown[] = [];
  let busy = false;
  const receive = async (message: unknown) => {
    received++;
    queue.push(message);
    if (busy) return;
    busy = true;
    while (queue.length > 0) await handle(queue.shift());
    busy = false;
    if (kernels !== null && Atomics.load(kernels.control, c.SENT) === received) serveKernels();
  };
  if (nodePort !== null) nodePort.on('message', receive);
  else g.onmessage = (event: { data: unknown }) => receive(event.data);
  send({ kind: 'started' });
}

export const WORKER_SOURCE = `(${poolThread.toString()})((url) => import(url), ${JSON.stringify({ POSTED, FINISHED, KERNEL, ARGC, FAILED, SENT, LISTEN, STOP, SPIN, POOL_THREAD })})`;
