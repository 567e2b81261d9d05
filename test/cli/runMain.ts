/** `fastweights ARGV` run in this process: its exit code and what it wrote to stderr, line by line (stdout kept apart). */
import { vi } from 'vitest';
import { main } from '../../src/cli/main.js';

export async function runMain(argv: string[]): Promise<{ code: number; stdout: string[]; stderr: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const error = vi.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => void err.push(parts.join(' ')));
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
