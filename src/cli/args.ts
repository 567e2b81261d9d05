/**
 * Argument parsing for the CLI on top of node:util parseArgs (strict: an unknown flag is an error
 * naming it), plus number checks that name the flag.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export type ParsedCommand<T extends OptionSpec> = ReturnType<typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: true }>>;

/**
 * How the common parse mistakes read. The default is node's own wording after the command's name
 * ("lm train: Unknown option '--bogus' (see 'fastweights lm train --help')"); a command may word them
 * its own way (retrieval has always said "unknown option --bogus (see --help)"), and with `repeated`
 * a value flag given twice is refused instead of the last one winning.
 */
export interface ParseWording {
  unknownOption(flag: string): string;
  missingValue(flag: string): string;
  unexpectedArgument(arg: string): string;
  repeated?(flag: string): string;
}

/** The one argument parser of the CLI: every command parses its argv here. */
export function parseCommand<T extends OptionSpec>(argv: string[], options: T, command: string, allowPositionals = false, wording?: ParseWording): ParsedCommand<T> {
  const name = command.replace(/^fastweights /, '');
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: true; tokens: true }>>;
  try {
    parsed = parseArgs({ args: attachNegativeNumbers(argv, options), options, strict: true as const, allowPositionals: allowPositionals as true, tokens: true as const });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const code = (err as { code?: string }).code;
    // node quotes the offending flag or argument: "Unknown option '--x'", "Option '--x <value>' argument missing".
    const quoted = /'(-{0,2}[^' ]*)/.exec(message)?.[1] ?? '';
    if (wording && code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(wording.unknownOption(quoted));
    if (wording && code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new UsageError(wording.missingValue(quoted));
    if (wording && code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') throw new UsageError(wording.unexpectedArgument(quoted));
    // main() prefixes "fastweights: ", so the command is named without the program name here.
    throw new UsageError(`${name}: ${message.replace(/\. To specify a positional argument.*$/s, '')} (see 'fastweights ${name} --help')`);
  }
  if (wording?.repeated) {
    const seen = new Set<string>();
    for (const token of parsed.tokens) {
      if (token.kind !== 'option' || options[token.name]?.type !== 'string') continue;
      if (seen.has(token.name)) throw new UsageError(wording.repeated(token.rawName));
      seen.add(token.name);
    }
  }
  return { values: parsed.values, positionals: parsed.positionals } as ParsedCommand<T>;
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

/**
 * `fastweights <command> <subcommand> ...`: runs the subcommand, or prints the command's help when
 * there is none (or --help / -h / help). An unknown one is a UsageError listing the valid ones.
 */
export async function runSubcommand(command: string, argv: string[], help: string, subcommands: Record<string, (argv: string[]) => Promise<number>>): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    console.log(help);
    return 0;
  }
  const run = Object.hasOwn(subcommands, sub) ? subcommands[sub] : undefined;
  if (run === undefined) throw new UsageError(`${command}: unknown subcommand '${sub}' (valid: ${Object.keys(subcommands).join(', ')}; see 'fastweights ${command} --help')`);
  return run(rest);
}
