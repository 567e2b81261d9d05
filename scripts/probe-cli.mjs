#!/usr/bin/env node
/**
 * node scripts/probe-cli.mjs  (after `npm run build`)
 *
 * Runs the built CLI on inputs a new user gets wrong (bad flags, sizes that cannot fit, damaged or
 * foreign checkpoints, special files) and classifies every outcome: a clear error (exit 1 or 2, one
 * line naming the problem), a stack trace, a hang (over 60 s), a crash (a signal, an engine
 * internal such as "Cannot read properties"), or a silent NaN on stdout. Prints the figures; exits
 * 1 unless every bad input gave a clear error.
 */
import { spawnSync, execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'bin/fastweights.js');
const work = mkdtempSync(join(tmpdir(), 'fastweights-probe-'));
const corpus = join(work, 'corpus.txt');
const words = ['the', 'state', 'of', 'union', 'is', 'strong', 'we', 'shall', 'nation'];
writeFileSync(corpus, Array.from({ length: 300 }, (_, i) => Array.from({ length: 8 }, (_, j) => words[(i * 7 + j * 3) % words.length]).join(' ') + '.').join('\n'));
const TINY = ['--corpus', corpus, '--vocab', '280', '--dim', '8', '--heads', '2', '--layers', '1', '--context', '8', '--batch', '2', '--eval-tokens', '100'];

const run = (args, env = {}) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } });

const good = join(work, 'good');
const trained = run(['lm', 'train', '--out', good, '--steps', '3', ...TINY]);
if (trained.status !== 0) throw new Error(`could not train the probe checkpoint:\n${trained.stderr}`);

const manifest = (dir) => JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8'));
function damaged(name, damage) {
  const dir = join(work, name);
  cpSync(good, dir, { recursive: true });
  damage(dir, manifest(dir));
  return dir;
}
/** Rewrites a JSON file of the checkpoint and fixes the manifest, as a consistent forger would. */
function forgeJson(dir, role, edit) {
  const m = manifest(dir);
  const path = join(dir, m.files[role].path);
  const value = JSON.parse(readFileSync(path, 'utf8'));
  edit(value);
  const bytes = Buffer.from(JSON.stringify(value));
  writeFileSync(path, bytes);
  m.files[role].bytes = bytes.length;
  m.files[role].sha256 = createHash('sha256').update(bytes).digest('hex');
  writeFileSync(join(dir, 'checkpoint.json'), JSON.stringify(m));
}

const checkpoints = {
  zero: damaged('zero', (dir, m) => (unlinkSync(join(dir, m.files.model.path)), symlinkSync('/dev/zero', join(dir, m.files.model.path)))),
  fifo: damaged('fifo', (dir, m) => (unlinkSync(join(dir, m.files.state.path)), execFileSync('mkfifo', [join(dir, m.files.state.path)]))),
  truncated: damaged('truncated', (dir, m) => writeFileSync(join(dir, m.files.model.path), readFileSync(join(dir, m.files.model.path)).subarray(0, 100))),
  flipped: damaged('flipped', (dir, m) => {
    const b = readFileSync(join(dir, m.files.optimizer.path));
    b[b.length - 3] ^= 0xff;
    writeFileSync(join(dir, m.files.optimizer.path), b);
  }),
  attention: damaged('attention', (dir) => forgeJson(dir, 'config', (c) => (c.model.attention = 'dpfp-delta'))),
  positions: damaged('positions', (dir) => forgeJson(dir, 'config', (c) => (c.model.positions = false))),
  noVocab: damaged('no-vocab', (dir) => forgeJson(dir, 'config', (c) => delete c.model.vocabSize)),
  batch0: damaged('batch0', (dir) => forgeJson(dir, 'config', (c) => (c.training.batchSize = 0))),
  merges: damaged('merges', (dir) => forgeJson(dir, 'tokenizer', (t) => (t.merges = t.merges.slice(0, -5)))),
  manifestGarbage: damaged('manifest', (dir) => writeFileSync(join(dir, 'checkpoint.json'), '{"format":')),
  emptyDir: damaged('empty', (dir) => readdirSync(dir).forEach((f) => unlinkSync(join(dir, f)))),
};

const cases = [
  ...['--dim 1000000', '--layers 100000', '--dim 63', '--lr -1', '--lr abc', '--steps 0', '--steps -5', '--steps 1.5', '--minutes -1', '--batch 0', '--vocab 10',
    '--vocab 1e9', '--heads 0', '--context 0', '--dropout 1', '--dropout -0.1', '--warmup -1', '--clip -1', '--seed -1', '--eval-every 0', '--model cuda', '--model dpfp-0', '--corpus /nonexistent',
    '--corpus /dev/zero', '--bogus', '--steps 1 --minutes 1', '--resume --overwrite', '--models a,b', '--ff 1e10', '--batch 100000000 --context 100000'].map((flags) => ['lm', 'train', '--out', join(work, 'x'), ...flags.split(' ')]),
  ['lm', 'train', '--out', good, '--steps', '1', ...TINY],
  ['lm', 'train', '--out', join(work, 'none'), '--resume'],
  ['lm', 'compare', '--models', ','],
  ['lm', 'compare', '--models', 'delta,delta'],
  ['lm', 'compare', '--model', 'delta'],
  ['lm', 'generate', '--checkpoint', good, '--prompt', 'the', '--tokens', '1e8'],
  ['lm', 'generate', '--checkpoint', good, '--prompt', ''],
  ['lm', 'generate', '--checkpoint', good, '--prompt', 'the', '--temperature', '-1'],
  ['lm', 'eval', '--checkpoint', good, '--mode', 'carry', '--batch', '0'],
  ['lm', 'eval', '--checkpoint', good, '--split', 'train'],
  ['lm', 'eval'],
  ['lm', 'frobnicate'],
  ['mt', 'train', '--model', 'delta', '--dim', '100000'],
  ['mt', 'train', '--model', 'delta', '--out', good],
  ['mt', 'train'],
  ['mt', 'translate', '--checkpoint', good, 'Hello'],
  ['mt', 'translate', '--checkpoint', join(work, 'nowhere'), 'Hello'],
  ['mt', 'eval', '--checkpoint', good, '--max-len', '1e9'],
  ['nonsense'],
  ['--help', { FASTWEIGHTS_BACKEND: 'cuda' }],
  ...Object.entries(checkpoints).flatMap(([, dir]) => [
    ['lm', 'eval', '--checkpoint', dir, '--max-tokens', '50'],
    ['lm', 'generate', '--checkpoint', dir, '--prompt', 'the', '--tokens', '3'],
    ['lm', 'train', '--out', dir, '--resume', '--steps', '4', ...TINY],
  ]),
];

const figures = { cases: 0, clear: 0, stackTraces: 0, hangs: 0, crashes: 0, silentNaN: 0, accepted: 0 };
const INTERNAL = /Cannot read properties|is not a function|Invalid typed array length|undefined \(reading|Maximum call stack|is not iterable|out of memory/i;
for (const c of cases) {
  const env = typeof c.at(-1) === 'object' ? c.pop() : {};
  const r = run(c, env);
  figures.cases++;
  const label = `${Object.entries(env).map(([k, v]) => `${k}=${v} `).join('')}fastweights ${c.join(' ').replaceAll(work, '$W')}`;
  const lastLine = r.stderr.trim().split('\n').at(-1) ?? '';
  let verdict;
  if (r.error?.code === 'ETIMEDOUT') verdict = 'hang';
  else if (r.signal) verdict = `crash (${r.signal})`;
  else if (/^\s+at .+:\d+:\d+\)?$/m.test(r.stderr)) verdict = 'stack trace';
  else if (INTERNAL.test(r.stderr)) verdict = 'crash (engine internal)';
  else if (/\bNaN\b/.test(r.stdout)) verdict = 'silent NaN';
  else if (r.status === 0) verdict = 'accepted';
  else if ((r.status === 1 || r.status === 2) && lastLine.startsWith('fastweights')) verdict = 'clear';
  else verdict = `crash (exit ${r.status})`;
  if (verdict === 'clear') figures.clear++;
  else if (verdict === 'accepted') figures.accepted++;
  else if (verdict === 'hang') figures.hangs++;
  else if (verdict === 'stack trace') figures.stackTraces++;
  else if (verdict === 'silent NaN') figures.silentNaN++;
  else figures.crashes++;
  console.log(`${verdict.padEnd(12)} ${label}\n             ${verdict === 'accepted' ? (r.stdout.trim().split('\n').at(-1) ?? '').slice(0, 150) : lastLine.slice(0, 220)}`);
}
rmSync(work, { recursive: true, force: true });
console.log(`\n${JSON.stringify(figures)}`);
process.exitCode = figures.stackTraces + figures.hangs + figures.crashes + figures.silentNaN === 0 ? 0 : 1;
