/**
 * Argument parsing for the CLI on top of node:util parseArgs (strict: an unknown flag is an error
 * naming it), plus number checks that name the flag.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export type ParsedCommand<T extends OptionSpec> = ReturnType<typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: true }>>;

export function parseCommand<T extends OptionSpec>(argv: string[], options: T, command: string, allowPositionals = false): ParsedCommand<T> {
  try {
    return parseArgs({ args: argv, options, strict: true as const, allowPositionals: allowPositionals as true });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new UsageError(`${command}: ${message.replace(/\. To specify a positional argument.*$/s, '')} (see '${command} --help')`);
  }
}

/** A mistake in how the command was called: printed without a stack trace, exit code 2. */
export class UsageError extends Error {}

export function intOption(value: string | undefined, flag: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${flag} must be an integer ≥ ${min}, got '${value}'`);
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
