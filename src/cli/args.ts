/**
 * Argument parsing for the CLI on top of node:util parseArgs (strict: an unknown flag is an error
 * naming it), plus number checks that name the flag.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export type ParsedCommand<T extends OptionSpec> = ReturnType<typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: true }>>;

export function parseCommand<T extends OptionSpec>(argv: string[], options: T, command: string, allowPositionals = false): ParsedCommand<T> {
  const name = command.replace(/^fastweights /, '');
  try {
    return parseArgs({ args: attachNegativeNumbers(argv, options), options, strict: true as const, allowPositionals: allowPositionals as true });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // main() prefixes "fastweights: ", so the command is named without the program name here.
    throw new UsageError(`${name}: ${message.replace(/\. To specify a positional argument.*$/s, '')} (see 'fastweights ${name} --help')`);
  }
}

/** "-1", "-0.5", "-1e3", "-.5", "-Infinity": a value, not a short option. */
const NEGATIVE_NUMBER = /^-(\d|\.\d|Infinity$)/;

/**
 * parseArgs reads `--lr -1` as an option followed by the unknown option "-1" ("argument is
 * ambiguous"). A negative number after a string option is its value: written `--lr=-1` here, so
 * that the number checks below report the real problem (e.g. that --lr must be ≥ 0).
 */
export function attachNegativeNumbers(argv: readonly string[], options: OptionSpec): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    const flag = arg.startsWith('--') && !arg.includes('=') ? arg.slice(2) : undefined;
    if (flag !== undefined && options[flag]?.type === 'string' && next !== undefined && NEGATIVE_NUMBER.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

/** A mistake in how the command was called: printed without a stack trace, exit code 2. */
export class UsageError extends Error {}

export function intOption(value: string | undefined, flag: string, fallback: number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(n) || n < min) throw new UsageError(`--${flag} must be an integer ≥ ${min}, got '${value}'`);
  if (n > max) throw new UsageError(`--${flag} must be at most ${max}, got '${value}'`);
  return n;
}

export function optionalInt(value: string | undefined, flag: string, min = 1): number | undefined {
  return value === undefined ? undefined : intOption(value, flag, 0, min);
}

export function numberOption(value: string | undefined, flag: string, fallback: number, range: [number, number] = [0, Infinity]): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < range[0] || n > range[1]) {
    throw new UsageError(`--${flag} must be a number in [${range[0]}, ${range[1]}], got '${value}'`);
  }
  return n;
}

export function optionalNumber(value: string | undefined, flag: string, range: [number, number] = [0, Infinity]): number | undefined {
  return value === undefined ? undefined : numberOption(value, flag, 0, range);
}

export function choiceOption<T extends string>(value: string | undefined, flag: string, choices: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(choices as readonly string[]).includes(value)) throw new UsageError(`--${flag} must be one of ${choices.join(', ')}, got '${value}'`);
  return value as T;
}
