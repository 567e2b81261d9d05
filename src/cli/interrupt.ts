/**
 * One stop policy for every training command: Ctrl-C (SIGINT), a second Ctrl-C, SIGTERM and SIGHUP
 * all end the run with a consistent checkpoint.
 *
 * - The first Ctrl-C asks the job to stop after its current step: it saves a checkpoint, then
 *   finishes normally (final evaluation and summary).
 * - A second signal of any kind, or a first SIGTERM or SIGHUP, asks for an urgent stop: the job
 *   still saves after its current step, then skips the final evaluation and exits with
 *   128 + the signal's number.
 *
 * No handler exits the process itself: it only records the request, and the loop acts on it at the
 * next step boundary, where the weights, the optimiser and the data order agree, and saves. (Two SIGINTs often arrive together:
 * `npx` forwards the terminal's Ctrl-C to a child that already received it, and `timeout -s INT`
 * adds its own; exiting on the second one used to lose every step since the last save.)
 */
export type StopSignalName = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

const SIGNAL_NUMBERS: Record<StopSignalName, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };
const HANDLED: StopSignalName[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

export interface StopRequest {
  /** The first signal received, or null while none has arrived. */
  signal: StopSignalName | null;
  /** Skip everything after the checkpoint (final evaluation, samples). */
  urgent: boolean;
  /** The process exit code for this stop: 128 + the signal's number (0 before any signal). */
  readonly exitCode: number;
}

export class StopState implements StopRequest {
  signal: StopSignalName | null = null;
  urgent = false;

  get requested(): boolean {
    return this.signal !== null;
  }

  get exitCode(): number {
    return this.signal === null ? 0 : 128 + SIGNAL_NUMBERS[this.signal];
  }

  /** Records a signal and returns the line to tell the user. */
  receive(signal: StopSignalName): string {
    const first = this.signal === null;
    if (first) this.signal = signal;
    if (first && signal === 'SIGINT') return 'interrupted: saving a checkpoint after this step (Ctrl-C again to skip the final evaluation)';
    this.urgent = true;
    const what = signal === 'SIGINT' ? 'interrupted again' : `${signal} received`;
    return `${what}: saving a checkpoint after this step, then exiting`;
  }
}

export async function withInterrupt<T>(log: (line: string) => void, job: (shouldStop: () => boolean, stop: StopState) => Promise<T>): Promise<T> {
  const stop = new StopState();
  const handlers = HANDLED.map((signal) => {
    const handler = () => {
      // A closed terminal (SIGHUP) turns every later write into an EIO/EPIPE error event; without
      // a listener that event would crash the process before it saves.
      if (signal === 'SIGHUP') ignoreOutputErrors();
      try {
        log(stop.receive(signal));
      } catch {
        // The message is a courtesy; the stop request is recorded either way.
      }
    };
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  try {
    return await job(() => stop.requested, stop);
  } finally {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  }
}

function ignoreOutputErrors(): void {
  for (const stream of [process.stdout, process.stderr]) if (stream.listenerCount('error') === 0) stream.on('error', () => {});
}
