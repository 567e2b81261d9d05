/** `fastweights mt ARGV` run in this process: its exit code, what it printed with console.log, and its console.error lines (warnings, logs). */
import { runMt } from '../../../src/tasks/mt/cli.js';
import { run as runCommand } from '../../runCommand.js';

export const run = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => runCommand(runMt, args);
