/** The one argument parser of the CLI (src/cli/args.ts), as every command uses it. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { UsageError, parseCommand, runSubcommand, type ParseWording } from '../../src/cli/args.js';

const OPTIONS = { lr: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const;

const WORDING: ParseWording = {
  unknownOption: (flag) => `unknown ${flag}`,
  missingValue: (flag) => `${flag} wants a value`,
  unexpectedArgument: (arg) => `stray ${arg}`,
  repeated: (flag) => `${flag} twice`,
};

afterEach(() => {
  vi.restoreAllMocks();
});

describe('parseCommand', () => {
  it('reads values, switches, short flags and negative numbers as values', () => {
    expect(parseCommand(['--lr', '-1', '--json', '-h'], OPTIONS, 'fastweights x').values).toEqual({ lr: '-1', json: true, help: true });
  });

  it("words mistakes after node's messages by default, naming the command and its help", () => {
    expect(() => parseCommand(['--bogus'], OPTIONS, 'fastweights x y')).toThrow(/^x y: Unknown option '--bogus' \(see 'fastweights x y --help'\)$/);
    expect(() => parseCommand(['--bogus'], OPTIONS, 'fastweights x y')).toThrow(UsageError);
  });

  it("words them the command's own way when it gives a wording, and refuses a repeated value", () => {
    expect(() => parseCommand(['--bogus'], OPTIONS, 'x', false, WORDING)).toThrow(/^unknown --bogus$/);
    expect(() => parseCommand(['--lr'], OPTIONS, 'x', false, WORDING)).toThrow(/^--lr wants a value$/);
    expect(() => parseCommand(['stray'], OPTIONS, 'x', false, WORDING)).toThrow(/^stray stray$/);
    expect(() => parseCommand(['--lr', '1', '--lr=2'], OPTIONS, 'x', false, WORDING)).toThrow(/^--lr twice$/);
    // Without `repeated` the last value wins, as node's parseArgs does.
    expect(parseCommand(['--lr', '1', '--lr', '2'], OPTIONS, 'x').values.lr).toBe('2');
  });
});

describe('runSubcommand', () => {
  const subcommands = { train: async (argv: string[]) => argv.length, eval: async () => 7 };

  it('runs the subcommand with the rest of the arguments', async () => {
    expect(await runSubcommand('lm', ['train', 'a', 'b'], 'HELP', subcommands)).toBe(2);
    expect(await runSubcommand('lm', ['eval'], 'HELP', subcommands)).toBe(7);
  });

  it('prints the help without a subcommand, and refuses an unknown one listing the valid ones', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    for (const argv of [[], ['--help'], ['-h'], ['help']]) expect(await runSubcommand('lm', argv, 'HELP', subcommands)).toBe(0);
    expect(log).toHaveBeenCalledTimes(4);
    await expect(runSubcommand('lm', ['fly'], 'HELP', subcommands)).rejects.toThrow(/^lm: unknown subcommand 'fly' \(valid: train, eval; see 'fastweights lm --help'\)$/);
    await expect(runSubcommand('lm', ['toString'], 'HELP', subcommands)).rejects.toThrow(/unknown subcommand 'toString'/);
  });
});
