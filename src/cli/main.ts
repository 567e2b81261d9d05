/** The command-line entry: `fastweights <command>`; each command lives in its task's folder (src/tasks/<task>/cli.ts). Node-only. */
import { readFileSync } from 'node:fs';
import { packageRoot } from '../io/packageRoot.js';
import { UsageError } from './args.js';
import { InputFileError } from '../io/fsErrors.js';
import { runLm } from '../tasks/lm/cli.js';
import { SETTINGS, checkSettings } from '../../kernels/index.js';
import '../../kernels/backends/gpu.js'; // --backend gpu / FASTWEIGHTS_BACKEND=gpu: the gpu backend registered (gpu.js loads only if chosen)
import '../../kernels/threads/index.js'; // the wasm kernels on every core (FASTWEIGHTS_THREADS)

const HELP = `fastweights — Fast Weight Programmers (linear attention, the delta rule, DPFP) in TypeScript

usage: fastweights <command> [options]

commands:
  lm          language modelling: train, eval (perplexity), generate, compare (models side by side)
  mt          English→German translation: train, translate, eval (BLEU), compare (models side by side)
  retrieval   the paper's synthetic associative retrieval experiments (settings 1 and 2)

  fastweights <command> --help    options of a command
  fastweights --version

models: softmax, linear, performer, dpfp, delta, performer-delta, dpfp-delta

environment (a value outside what a variable takes is refused, naming it):
${SETTINGS.map((s) => `  ${`${s.name}=${s.values}`.padEnd(42)} ${s.what}`).join('\n')}`;

type Command = (argv: string[]) => Promise<number>;

const commands: Record<string, () => Promise<Command>> = {
  lm: async () => runLm,
  mt: async () => (await import('../tasks/mt/cli.js')).runMt,
  retrieval: async () => (await import('../tasks/retrieval/cli.js')).runRetrieval,
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    console.log(HELP);
    return 0;
  }
  if (command === '--version' || command === '-v') {
    const pkg = JSON.parse(readFileSync(`${packageRoot()}/package.json`, 'utf8')) as { version: string };
    console.log(pkg.version);
    return 0;
  }
  try {
    // A bad FASTWEIGHTS_* value is refused before any work, not after the data is ready.
    checkSettings();
  } catch (err) {
    console.error(`fastweights: ${(err as Error).message}`);
    return 2;
  }
  const load = commands[command];
  if (!load) {
    console.error(`fastweights: unknown command '${command}' (valid: ${Object.keys(commands).join(', ')}; see 'fastweights --help')`);
    return 2;
  }
  try {
    return await (await load())(rest);
  } catch (err) {
    if (err instanceof UsageError || err instanceof InputFileError) {
      console.error(`fastweights: ${err.message}`);
      return 2;
    }
    throw err;
  }
}
