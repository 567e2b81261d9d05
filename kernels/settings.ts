/**
 * Every FASTWEIGHTS_* environment variable, read and checked here and nowhere else. Each reader
 * reads the variable when it is called (tests change the environment between imports), and a value
 * outside what the variable takes is an error naming the variable, never a silent default.
 *
 * The kernels read theirs here, and the rest of the library reads its own through the kernels'
 * front door (kernels/index.ts), so that this file sits on the lowest floor. It reads the
 * environment through globalThis, without importing Node: in a browser page every variable is unset.
 */

/** The kernel backends by name (kernels/index.ts builds or registers each). */
export const BACKEND_NAMES = ['wasm', 'js', 'gpu', 'reference'] as const;

/**
 * What each variable does, for help texts (`fastweights --help` lists them). Plain literals only: a
 * computed value would keep the table in a page's bundle, which never shows it (the test checks the
 * backend names against BACKEND_NAMES).
 */
export const SETTINGS = [
  { name: 'FASTWEIGHTS_BACKEND', values: 'wasm|js|gpu|reference', what: 'kernel backend (default wasm where WebAssembly SIMD loads)' },
  { name: 'FASTWEIGHTS_THREADS', values: 'N', what: 'threads, 1 to 64 (default: the cores, at most 2; 1 = single-threaded; results are the same bits for any N)' },
  { name: 'FASTWEIGHTS_SCRATCH', values: '0|1', what: 'scratch memory: 0 gives every training step fresh arrays (default 1: reuse the last step\'s; same bits)' },
  { name: 'FASTWEIGHTS_SCRATCH_POISON', values: '0|1', what: 'fills released scratch arrays with NaN, so a broken reuse shows (default 0; for tests)' },
  { name: 'FASTWEIGHTS_RELAXED_SIMD', values: '0|1', what: 'fused multiply-add: 0 keeps the wasm matmul to a multiply then an add (default 1: fused where relaxed SIMD is there; last bits differ)' },
  { name: 'FASTWEIGHTS_DEBUG_CHECKS', values: '0|1', what: 'finite checks: 1 names the first op that produces NaN or Infinity (default 0)' },
  { name: 'FASTWEIGHTS_DEBUG', values: '0|1', what: 'an error also prints its stack trace (default 0)' },
  { name: 'FASTWEIGHTS_CACHE_DIR', values: 'DIR', what: 'where computed baselines are cached (default $XDG_CACHE_HOME/fastweights, else ~/.cache/fastweights)' },
] as const;

export type SettingName = (typeof SETTINGS)[number]['name'];

/** The variable's text, or undefined when it is unset or empty. */
function raw(name: SettingName | 'XDG_CACHE_HOME'): string | undefined {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const value: unknown = (globalThis as any).process?.env?.[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A 0/1 switch; `true` and `false` are taken too. */
function flag(name: SettingName, fallback: boolean): boolean {
  const value = raw(name);
  if (value === undefined) return fallback;
  if (value === '1' || value === 'true') return true;
  if (value === '0' || value === 'false') return false;
  throw new Error(`${name} must be 0 or 1, got '${value}'`);
}

/** FASTWEIGHTS_BACKEND, or undefined for the default. */
export function backendSetting(): (typeof BACKEND_NAMES)[number] | undefined {
  const value = raw('FASTWEIGHTS_BACKEND');
  if (value === undefined) return undefined;
  if (!(BACKEND_NAMES as readonly string[]).includes(value)) throw new Error(`FASTWEIGHTS_BACKEND: unknown kernel backend '${value}' (valid: ${BACKEND_NAMES.join(', ')})`);
  return value as (typeof BACKEND_NAMES)[number];
}

/** FASTWEIGHTS_THREADS, or undefined for the default (the cores, at most 2). */
export function threadsSetting(): number | undefined {
  const value = raw('FASTWEIGHTS_THREADS');
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new Error(`FASTWEIGHTS_THREADS must be an integer from 1 to 64, got '${value}'`);
  return n;
}

export const scratchSetting = (): boolean => flag('FASTWEIGHTS_SCRATCH', true);
export const scratchPoisonSetting = (): boolean => flag('FASTWEIGHTS_SCRATCH_POISON', false);
export const relaxedSimdSetting = (): boolean => flag('FASTWEIGHTS_RELAXED_SIMD', true);
export const debugChecksSetting = (): boolean => flag('FASTWEIGHTS_DEBUG_CHECKS', false);
export const debugSetting = (): boolean => flag('FASTWEIGHTS_DEBUG', false);

/** FASTWEIGHTS_CACHE_DIR, or undefined for the default (see `xdgCacheHome`). */
export const cacheDirSetting = (): string | undefined => raw('FASTWEIGHTS_CACHE_DIR');
/** XDG_CACHE_HOME, the desktop's cache folder, under which the default cache folder lies. */
export const xdgCacheHome = (): string | undefined => raw('XDG_CACHE_HOME');

/** Reads every variable, so that a bad value is refused before any work (the CLI calls it first). */
export function checkSettings(): void {
  backendSetting();
  threadsSetting();
  scratchSetting();
  scratchPoisonSetting();
  relaxedSimdSetting();
  debugChecksSetting();
  debugSetting();
}
