/**
 * --out made ready before any work (src/cli/outDir.ts): a file, a path under a file or '' refused in
 * one line before data preparation, and the lock on a training run's --out tried with two real
 * processes: refused while the holder lives, taken over when it is dead, released when a run ends.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as esbuild from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMain } from './runMain.js';
import { checkWritableFile, LOCK_NAME } from '../../src/cli/outDir.js';
import { loadCheckpoint } from '../../src/io/checkpoint.js';
import { syntheticCorpusFile } from '../tasks/lm/syntheticCorpus.js';

const ROOT = resolve(import.meta.dirname, '../..');

let dir: string;
let corpus: string;
let aFile: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fw-out-'));
  corpus = syntheticCorpusFile({ seed: 3, documents: 30, sentencesPerDocument: 40 });
  aFile = join(dir, 'a-file');
  writeFileSync(aFile, 'precious\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TINY = ['--vocab', '270', '--dim', '8', '--heads', '2', '--layers', '1', '--context', '8', '--batch', '2', '--eval-tokens', '40'];

describe('--out that cannot be a directory: one line, before the corpus is read, the file untouched', () => {
  const cases: [string, (out: string) => string[], (out: string) => RegExp][] = [
    ['lm train, a file', (out) => ['lm', 'train', '--corpus', corpus, '--out', out, ...TINY], (out) => new RegExp(`^fastweights: lm train: --out ${out} is a file, not a directory; give a directory$`)],
    ['lm train, under a file', (out) => ['lm', 'train', '--corpus', corpus, '--out', join(out, 'run'), ...TINY], (out) => new RegExp(`^fastweights: lm train: --out ${out}/run is under ${out}, which is a file, not a directory$`)],
    ['lm train, empty', () => ['lm', 'train', '--corpus', corpus, '--out', '', ...TINY], () => /^fastweights: lm train: --out is empty; give a directory$/],
    ['mt train, a file', (out) => ['mt', 'train', '--model', 'delta', '--out', out, '--steps', '1'], (out) => new RegExp(`^fastweights: mt train: --out ${out} is a file, not a directory; give a directory$`)],
    ['lm compare, a file', (out) => ['lm', 'compare', '--corpus', corpus, '--models', 'linear', '--out', out, ...TINY], (out) => new RegExp(`^fastweights: lm compare: --out ${out} is a file, not a directory; give a directory$`)],
    ['mt compare, under a file', (out) => ['mt', 'compare', '--models', 'linear', '--out', join(out, 'x'), '--steps', '1'], (out) => new RegExp(`^fastweights: mt compare: --out ${out}/x is under ${out}, which is a file, not a directory$`)],
    ['retrieval, a file', (out) => ['retrieval', '--preset', 'quick', '--out', out], (out) => new RegExp(`^fastweights retrieval: retrieval: --out ${out} is a file, not a directory; give a directory$`)],
  ];
  for (const [name, argv, message] of cases) {
    it(name, async () => {
      const r = await runMain(argv(aFile));
      expect(r.code).toBe(2);
      expect(r.stderr).toHaveLength(1);
      expect(r.stderr[0]).toMatch(message(aFile));
      expect(readFileSync(aFile, 'utf8')).toBe('precious\n');
    });
  }

  it('retrieval: a results.json that is a directory, in words', async () => {
    const out = join(dir, 'results-dir');
    mkdirSync(join(out, 'results.json'), { recursive: true });
    const r = await runMain(['retrieval', '--preset', 'quick', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toEqual([`fastweights retrieval: cannot read ${out}/results.json: it is a directory`]);
  });

  it('mt eval --hyp: a directory, or under a file, refused before any translation', () => {
    expect(() => checkWritableFile('mt eval', dir, '--hyp')).toThrow(new RegExp(`^mt eval: --hyp ${dir} is a directory; give a file name$`));
    expect(() => checkWritableFile('mt eval', join(aFile, 'h.de'), '--hyp')).toThrow(new RegExp(`^mt eval: --hyp ${aFile}/h\\.de is under ${aFile}, which is a file, not a directory$`));
    expect(() => checkWritableFile('mt eval', join(dir, 'missing', 'h.de'), '--hyp')).toThrow(/its directory .*missing does not exist$/);
    expect(() => checkWritableFile('mt eval', join(dir, 'h.de'), '--hyp')).not.toThrow();
  });
});

describe('the lock on --out, with two real processes', () => {
  let bundle: string;
  let bundleDir: string;
  beforeAll(async () => {
    // The CLI bundled for a child process (Node 20 runs no TypeScript), inside the repository so
    // that its packages resolve; runs/ is ignored by git.
    mkdirSync(join(ROOT, 'runs'), { recursive: true });
    bundleDir = mkdtempSync(join(ROOT, 'runs', '.test-lock-'));
    bundle = join(bundleDir, 'cli.mjs');
    writeFileSync(join(bundleDir, 'entry.ts'), `import { main } from ${JSON.stringify(join(ROOT, 'src/cli/main.ts'))};\nprocess.exitCode = await main(process.argv.slice(2));\n`);
    await esbuild.build({ entryPoints: [join(bundleDir, 'entry.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', outfile: bundle, logLevel: 'error' });
  });
  afterAll(() => rmSync(bundleDir, { recursive: true, force: true }));

  /** A child `fastweights lm train` that runs until stopped. */
  function startTraining(out: string): { child: ChildProcess; exited: Promise<number | null> } {
    const child = spawn(process.execPath, [bundle, 'lm', 'train', '--corpus', corpus, '--out', out, '--steps', '1000000', '--warmup', '0', '--save-every', '1', ...TINY], {
      env: { ...process.env, FASTWEIGHTS_THREADS: '1' },
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    return { child, exited };
  }

  async function until(condition: () => boolean, what: string): Promise<void> {
    const started = Date.now();
    while (!condition()) {
      if (Date.now() - started > 60_000) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  const lockPid = (out: string) => (existsSync(join(out, LOCK_NAME)) ? (JSON.parse(readFileSync(join(out, LOCK_NAME), 'utf8')) as { pid: number }).pid : null);

  it('a second run on the same --out, fresh or --resume, is refused while the first lives; SIGTERM saves and releases', async () => {
    const out = join(dir, 'shared');
    const first = startTraining(out);
    await until(() => lockPid(out) === first.child.pid && existsSync(join(out, 'checkpoint.json')), 'the first run to lock --out and save');
    const inUse = new RegExp(`^fastweights: lm train: ${out} is in use by 'lm train' \\(pid ${first.child.pid}, since .*; if no such run is going, delete ${out}/\\.lock\\); wait for it to end or stop it, or give another --out$`);
    for (const extra of [['--overwrite'], ['--resume']]) {
      const second = await runMain(['lm', 'train', '--corpus', corpus, '--out', out, '--steps', '2', ...extra, ...TINY]);
      expect(second.code).toBe(2);
      expect(second.stderr).toHaveLength(1);
      expect(second.stderr[0]).toMatch(inUse);
    }
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(143);
    expect(existsSync(join(out, LOCK_NAME))).toBe(false);
    const saved = loadCheckpoint(out).state as { step: number };
    expect(saved.step).toBeGreaterThanOrEqual(1);
    // The lock is free again: the run resumes where the first stopped, and releases it at the end.
    const resumed = await runMain(['lm', 'train', '--corpus', corpus, '--out', out, '--resume', '--steps', String(saved.step + 1), ...TINY]);
    expect(resumed.code).toBe(0);
    expect((loadCheckpoint(out).state as { step: number }).step).toBe(saved.step + 1);
    expect(existsSync(join(out, LOCK_NAME))).toBe(false);
  });

  it('a lock left by a killed run (kill -9) is stale and taken over', async () => {
    const out = join(dir, 'stale');
    const first = startTraining(out);
    await until(() => lockPid(out) === first.child.pid, 'the first run to lock --out');
    first.child.kill('SIGKILL');
    await first.exited;
    expect(lockPid(out)).toBe(first.child.pid); // left behind
    const next = await runMain(['lm', 'train', '--corpus', corpus, '--out', out, '--overwrite', '--steps', '1', ...TINY]);
    expect(next.code).toBe(0);
    expect(existsSync(join(out, LOCK_NAME))).toBe(false);
  });

  it('a lock naming a pid that is gone is stale too', async () => {
    const out = join(dir, 'dead-pid');
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, LOCK_NAME), JSON.stringify({ pid: Number(gone.stdout), host: (await import('node:os')).hostname(), command: 'lm train', since: '2026-01-01T00:00:00.000Z' }));
    const r = await runMain(['lm', 'train', '--corpus', corpus, '--out', out, '--steps', '1', ...TINY]);
    expect(r.code).toBe(0);
    expect(existsSync(join(out, LOCK_NAME))).toBe(false);
  });
});
