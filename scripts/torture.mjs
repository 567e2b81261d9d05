#!/usr/bin/env node
/**
 * npm run torture [-- --trials N --seed S --steps K]
 *
 * Kills and interrupts real `fastweights lm train` processes at random moments (during steps and
 * during saves) with kill -9, SIGTERM, SIGHUP, one Ctrl-C and the double Ctrl-C that npx and
 * `timeout -s INT` deliver, resumes each run with --resume until it finishes, and checks that it
 * ends with exactly the weights, optimiser moments and loss history of an uninterrupted run, and
 * that every caught signal left a checkpoint of the very step the run stopped at (nothing lost).
 *
 * Prints one line per trial and the figures at the end; exits 1 if any trial ends differently or
 * any checkpoint left by a fault cannot be loaded. Uses the built CLI (dist/), so build first
 * (the npm script does).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const { loadCheckpoint } = await import(join(root, 'dist/src/io/checkpoint.js'));
const { Rng } = await import(join(root, 'dist/src/tensor/rng.js'));

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const TRIALS = flag('trials', 24);
const SEED = flag('seed', 1);
const STEPS = flag('steps', 200);
const FAULTS = ['kill -9', 'SIGTERM', 'SIGHUP', 'SIGINT', 'SIGINT twice'];

const work = mkdtempSync(join(tmpdir(), 'fastweights-torture-'));
const corpus = join(work, 'corpus.txt');
{
  const rng = new Rng(3);
  const words = ['the', 'state', 'of', 'union', 'is', 'strong', 'we', 'shall', 'nation', 'people', 'free', 'and'];
  writeFileSync(corpus, Array.from({ length: 400 }, () => Array.from({ length: 9 }, () => words[rng.int(words.length)]).join(' ') + '.').join('\n'));
}

/** Every run trains the same tiny model; --save-every differs (it changes when saves happen, not the result). */
const trainArgs = (out, saveEvery) => [
  join(root, 'bin/fastweights.js'), 'lm', 'train', '--corpus', corpus, '--out', out, '--steps', String(STEPS),
  '--vocab', '280', '--dim', '16', '--heads', '2', '--layers', '2', '--context', '16', '--batch', '4',
  '--eval-every', '10', '--eval-tokens', '200', '--save-every', String(saveEvery), '--seed', '5', '--json',
];

function start(out, saveEvery, resume) {
  const child = spawn(process.execPath, [...trainArgs(out, saveEvery), ...(resume ? ['--resume'] : ['--overwrite'])], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const done = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stderr })));
  return { child, done };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function deliver(child, fault) {
  if (fault === 'kill -9') child.kill('SIGKILL');
  else if (fault === 'SIGINT twice') {
    // Two pending SIGINTs merge into one; 10 ms apart, both are delivered (as npx's forwarded one is),
    // usually while the same training step still runs.
    child.kill('SIGINT');
    await sleep(10);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
  } else child.kill(fault);
}

const EXPECTED_EXIT = { 'kill -9': 'SIGKILL', SIGTERM: 143, SIGHUP: 129, SIGINT: 0, 'SIGINT twice': 130 };

/** What must match an uninterrupted run: every weight, every optimiser moment, the losses. */
function fingerprint(dir) {
  const c = loadCheckpoint(dir);
  const parts = [];
  for (const [name, t] of [...c.weights].sort(([a], [b]) => (a < b ? -1 : 1))) parts.push(name, Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('base64'));
  for (const name of Object.keys(c.optimizer).sort()) parts.push(name, Buffer.from(c.optimizer[name].buffer).toString('base64'));
  const { history, ...state } = c.state;
  parts.push(JSON.stringify(state), JSON.stringify(history.steps), JSON.stringify(history.evals));
  return { text: parts.join('|'), step: c.state.step };
}

console.log(`torture: ${TRIALS} trials of a ${STEPS}-step run (seed ${SEED}) in ${work}`);
const reference = join(work, 'reference');
const straight = await start(reference, 1000, false).done;
if (straight.code !== 0) throw new Error(`the reference run failed (exit ${straight.code}):\n${straight.stderr}`);
const want = fingerprint(reference).text;

const rng = new Rng(SEED);
const figures = { trials: 0, faults: 0, identical: 0, different: 0, unloadable: 0, unexpectedExit: 0, lostBeforeFirstSave: 0, duringStartup: 0, lostWork: 0, byFault: Object.fromEntries(FAULTS.map((f) => [f, 0])) };
const startedAt = Date.now();
for (let trial = 1; trial <= TRIALS; trial++) {
  const out = join(work, `trial-${trial}`);
  const saveEvery = rng.uniform() < 0.5 ? 1 : 7; // every step: most kills land in a save
  const faultsThisTrial = 1 + rng.int(2);
  const notes = [];
  let resume = false;
  let faults = 0;
  for (;;) {
    const run = start(out, saveEvery, resume);
    if (faults < faultsThisTrial) {
      const fault = FAULTS[rng.int(FAULTS.length)];
      await sleep(300 + rng.int(1500));
      if (run.child.exitCode === null) {
        await deliver(run.child, fault);
        faults++;
        figures.faults++;
        figures.byFault[fault]++;
        const exit = await run.done;
        const got = exit.signal ?? exit.code;
        // Also fine: the run finished before the signal landed, or the signal landed during startup,
        // before the handlers were installed and before training began (nothing to save yet).
        const duringStartup = exit.signal !== null && !exit.stderr.includes('"message":"model ');
        const stoppedAt = /stopped at step ([\d,]+)/.exec(exit.stderr);
        // Or it had already finished training and saved when the signal came (its default action ended it).
        const ok = got === EXPECTED_EXIT[fault] || (exit.code === 0 && fault !== 'kill -9') || duringStartup || (stoppedAt !== null && exit.signal !== null);
        if (duringStartup && fault !== 'kill -9') figures.duringStartup++;
        // Nothing lost: a caught signal must leave a checkpoint of exactly the step the run stopped at.
        if (fault !== 'kill -9' && !duringStartup) {
          let saved = null;
          try {
            saved = fingerprint(out).step;
          } catch {
            // counted as unloadable below
          }
          if (stoppedAt === null || saved !== Number(stoppedAt[1].replaceAll(',', ''))) {
            figures.lostWork++;
            notes.push(`${fault}: LOST WORK (stopped ${stoppedAt ? `at step ${stoppedAt[1]}` : 'without saying where'}, checkpoint at step ${saved})`);
          }
        }
        if (!ok) {
          figures.unexpectedExit++;
          notes.push(`${fault}: exit ${got}, expected ${EXPECTED_EXIT[fault]}\n${exit.stderr.split('\n').slice(-3).join('\n')}`);
        }
        if (existsSync(join(out, 'checkpoint.json'))) {
          try {
            notes.push(`${fault} at step ${fingerprint(out).step}`);
          } catch (error) {
            figures.unloadable++;
            notes.push(`${fault}: checkpoint unloadable: ${error.message}`);
          }
          resume = true;
        } else {
          figures.lostBeforeFirstSave++;
          notes.push(`${fault} before the first save`);
          resume = false;
        }
        continue;
      }
    }
    const exit = await run.done;
    if (exit.code !== 0) {
      figures.unexpectedExit++;
      notes.push(`final run: exit ${exit.signal ?? exit.code}\n${exit.stderr.split('\n').slice(-3).join('\n')}`);
      break;
    }
    if (fingerprint(out).step < STEPS) {
      resume = true; // a single Ctrl-C ends the run early, normally: continue it
      continue;
    }
    break;
  }
  figures.trials++;
  let same = false;
  try {
    same = fingerprint(out).text === want;
  } catch (error) {
    notes.push(`final checkpoint unloadable: ${error.message}`);
  }
  if (same) figures.identical++;
  else figures.different++;
  console.log(`trial ${trial}: ${same ? 'identical' : 'DIFFERENT'} (save every ${saveEvery}; ${notes.join('; ')})`);
  rmSync(out, { recursive: true, force: true });
}
rmSync(work, { recursive: true, force: true });

console.log(`\nresumed byte-identical: ${figures.identical}/${figures.trials} runs after ${figures.faults} faults (${Object.entries(figures.byFault).map(([f, n]) => `${f} ${n}`).join(', ')})`);
console.log(`caught signals whose run lost steps (checkpoint behind the step it stopped at): ${figures.lostWork}`);
console.log(`unloadable checkpoints after a fault: ${figures.unloadable}; unexpected exit codes: ${figures.unexpectedExit}; faults before the first save (run restarted): ${figures.lostBeforeFirstSave}, of which signals during startup: ${figures.duringStartup}; ${Math.round((Date.now() - startedAt) / 1000)} s`);
process.exitCode = figures.different === 0 && figures.unloadable === 0 && figures.unexpectedExit === 0 && figures.lostWork === 0 ? 0 : 1;
