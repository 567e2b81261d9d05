/** `fastweights mt ARGV` run in this process: its exit code, what it printed with console.log, and its console.error lines (warnings, logs). */
import { vi } from 'vitest';
import { runMt } from '../../../src/tasks/mt/cli.js';

export async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const lines: string[] = [];
  const errors: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void lines.push(parts.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => void errors.push(parts.join(' ')));
  const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    const code = await runMt(args);
    return { code, stdout: lines.join('\n'), stderr: errors.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
    write.mockRestore();
  }
}
