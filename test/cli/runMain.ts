/**
 * `fastweights ARGV` run in this process: its exit code and what it wrote to stderr, line by line
 * (stdout kept apart). `onStderr` sees each stderr line as it is written (e.g. to send a signal then).
 */
import { vi } from 'vitest';
import { main } from '../../src/cli/main.js';

export async function runMain(argv: string[], onStderr: (line: string) => void = () => {}): Promise<{ code: number; stdout: string[]; stderr: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const error = vi.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => {
    err.push(parts.join(' '));
    onStderr(parts.join(' '));
  });
  const log = vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void out.push(parts.join(' ')));
  const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
    err.push(...String(chunk).split('\n').filter((l) => l !== ''));
    return true;
  });
  try {
    return { code: await main(argv), stdout: out, stderr: err };
  } finally {
    error.mockRestore();
    log.mockRestore();
    write.mockRestore();
  }
}
