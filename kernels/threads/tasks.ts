/**
 * Tasks: a module run on the pool's threads (./pool.ts) by URL. A thread imports it on the task's
 * first request there, calls its `open(data)` once, and answers each request with the function
 * `open` returned (./workerProgram.ts); close() frees that state on every thread that holds it.
 */
import { threadPool, type ThreadPool } from './pool.js';

/**
 * What a module run as a task exports: `open(data)` builds the thread's state for the task once, and
 * the function it returns answers each request (its result is the reply; `progress` sends a message
 * before it).
 */
export type OpenTask<Data, Request, Reply> = (data: Data) => TaskAnswer<Request, Reply> | Promise<TaskAnswer<Request, Reply>>;
export type TaskAnswer<Request, Reply> = (request: Request, progress: (message: unknown) => void) => Reply | Promise<Reply>;

let tasks = 0;

export class PoolTask {
  private readonly key = `task ${++tasks}`;
  /** The threads that hold the task's state. */
  private readonly opened = new Set<number>();

  /** The module at `url` on the pool's threads, thread i opened with data(i) on its first request. */
  constructor(readonly url: string, private readonly data: (thread: number) => unknown = () => undefined, private readonly pool: ThreadPool = threadPool()) {}

  /**
   * Sends `request` to pool thread i (idle; the first request opens the task there) and resolves
   * with the reply; messages sent before it go to onProgress. An error thrown by the task rejects
   * with its message.
   */
  run<Reply>(i: number, request: unknown, onProgress?: (message: unknown) => void): Promise<Reply> {
    const opening = !this.opened.has(i);
    this.opened.add(i);
    const message = opening ? { kind: 'run', key: this.key, request, url: this.url, data: this.data(i) } : { kind: 'run', key: this.key, request };
    return this.pool.request<Reply>(i, message, onProgress).catch((e: Error) => {
      if (opening) this.opened.delete(i); // opened again by the next request
      throw e;
    });
  }

  /** Frees the task's state on the threads (the threads stay in the pool). */
  close(): void {
    for (const i of this.opened) this.pool.tell(i, { kind: 'drop', key: this.key });
    this.opened.clear();
  }
}
