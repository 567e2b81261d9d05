/** The FASTWEIGHTS_* environment variables: one module reads them all (kernels/settings.ts), and the CLI's help lists every one. */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BACKEND_NAMES, SETTINGS, checkSettings, debugChecksSetting, scratchSetting, threadsSetting } from '../../kernels/settings.js';
import { main } from '../../src/cli/main.js';

const root = join(import.meta.dirname, '../..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'generated' ? [] : sources(path);
    return /\.(ts|js|mjs)$/.test(name) ? [path] : [];
  });
}

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe('FASTWEIGHTS_* settings', () => {
  const files = [...sources(join(root, 'src')), ...sources(join(root, 'kernels')), join(root, 'bin/fastweights.js')];

  it('every variable named in the library, the kernels or the CLI is one of the settings', () => {
    const texts = files.map((f) => readFileSync(f, 'utf8'));
    // A constant of the code that happens to be spelt so (const FASTWEIGHTS_SPLIT_PATTERN) is not a variable.
    const constants = new Set(texts.flatMap((t) => [...t.matchAll(/\bconst\s+(FASTWEIGHTS_[A-Z_]+)/g)].map((m) => m[1]!)));
    const named = new Set(texts.flatMap((t) => t.match(/FASTWEIGHTS_[A-Z][A-Z_]*/g) ?? []).filter((n) => !constants.has(n)));
    expect([...named].sort()).toEqual(SETTINGS.map((s) => s.name).sort());
  });

  it('the help names the backends there are', () => {
    expect(SETTINGS.find((s) => s.name === 'FASTWEIGHTS_BACKEND')!.values).toBe(BACKEND_NAMES.join('|'));
  });

  it('no file but kernels/settings.ts reads the environment', () => {
    const readers = files.filter((f) => /process(\?)?\.env/.test(readFileSync(f, 'utf8'))).map((f) => f.slice(root.length + 1));
    expect(readers).toEqual(['kernels/settings.ts']);
  });

  it('fastweights --help lists every variable', async () => {
    const out: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: string) => void out.push(line));
    expect(await main(['--help'])).toBe(0);
    for (const { name } of SETTINGS) expect(out.join('\n')).toContain(`${name}=`);
  });

  it('reads each variable when asked, and refuses a value outside what it takes, naming it', () => {
    expect(scratchSetting()).toBe(true);
    vi.stubEnv('FASTWEIGHTS_SCRATCH', '0');
    expect(scratchSetting()).toBe(false);
    vi.stubEnv('FASTWEIGHTS_DEBUG_CHECKS', 'true');
    expect(debugChecksSetting()).toBe(true);
    vi.stubEnv('FASTWEIGHTS_THREADS', '3');
    expect(threadsSetting()).toBe(3);
    expect(() => checkSettings()).not.toThrow();
    vi.stubEnv('FASTWEIGHTS_THREADS', '65');
    expect(() => checkSettings()).toThrow("FASTWEIGHTS_THREADS must be an integer from 1 to 64, got '65'");
    vi.stubEnv('FASTWEIGHTS_THREADS', '');
    vi.stubEnv('FASTWEIGHTS_SCRATCH', 'banana');
    expect(() => checkSettings()).toThrow("FASTWEIGHTS_SCRATCH must be 0 or 1, got 'banana'");
  });
});
