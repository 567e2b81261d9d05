/**
 * `fastweights retrieval`: the synthetic associative retrieval experiments (the paper's §6.1).
 * Trains every (model, S, seed) of a plan, writes results into --out as each run finishes (so a crash
 * loses nothing finished, and --resume continues), then prints the table of final losses.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../io/atomic.js';
import { ensureOutDir } from '../../cli/outDir.js';
import { fsErrorInWords } from '../../io/fsErrors.js';
import { stringifyJson } from '../../io/json.js';
import { Rng } from '../../tensor/rng.js';
import { RetrievalModel } from './model.js';
import { createProgress, type ProgressMode } from '../../train/progress.js';
import type { RetrievalRunResult } from './training.js';
import { validateRunConfig } from './training.js';
import { PRESETS, PRESET_NAMES, expandPlan, isPresetName, parseKeyRange, runKey, type RetrievalPlan } from './plan.js';
import { cellsCsv, curvesCsv, finalLossChart, finalLossTable, learningCurveChart, resultsCsv, retrievalCells } from './report.js';
import { MAX_SEEDS } from '../../report/stats.js';
import { runRetrievalPool } from './pool.js';
import { UsageError, parseCommand, type ParseWording, type ParsedCommand } from '../../cli/args.js';

const HELP = `usage: fastweights retrieval --out DIR [options]

Trains one attention layer per (model, number of keys S) on the synthetic associative retrieval task
of Schlag et al. (2021, §6.1) and reports the final evaluation loss ½‖v* − v̂‖². The report marks
with ^ the cells the step cap cut while their loss was still falling (the last fifth of the
evaluations beat the best loss before them by the 1% progress threshold).

  --preset NAME        ${PRESET_NAMES.join(' | ')} (default paper): the runs to do; flags below override it
                       paper: setting 1 at d_key 64, S = 20:600:20; setting 2 at S = 20 (hours of CPU)
                       quick: setting 1 at d_key 16, S = 8,12,16,24,32; setting 2 at S = 10; lr 1e-2,
                       at most 4000 steps a run (32 runs; how long depends on the machine and its load,
                       --jobs, and how many runs stop early: 6 and 11 minutes were measured on 2 cores)
  --setting 1|2        only this setting (1: S unique pairs; 2: 2S pairs with replacement, latest value wins)
  --models LIST        comma list of model names: softmax, linear, delta, dpfp-N, dpfp-delta-N,
                       performer-M, performer-delta-M (N = ν, M = random features m)
  --keys RANGE         key counts S: start:stop:step (stop included), N, or a comma list, e.g. 20:600:20
  --d-key N            key size before the feature map
  --d-emb N            key embedding size (default round(2.2·S))
  --batch N            batch size (default 32)
  --lr X               Adam learning rate (default 1e-3; quick: 1e-2)
  --max-steps N        step cap per run
  --eval-every N       steps between evaluations
  --eval-size N        sequences in the fixed evaluation set
  --patience N         stop when the best eval loss has not improved by 1% for N steps
  --target-loss X      stop as solved at this eval loss (default 1e-3)
  --seed N             seed of everything random (default 1)
  --seeds N            runs per cell, with seeds N₀, N₀+1, …, N₀+N−1 (N₀ = --seed; default 1, at most ${MAX_SEEDS});
                       the table then gives mean ± sample sd of the final loss and k/N, the seeds that
                       reached the target loss, and the largest S solved by all seeds and by at least one
  --jobs N             runs trained at once, one worker thread each (default 1); seeds are runs too
  --out DIR            where results.json, results.csv (per run), cells.csv (per cell over its seeds),
                       curves.csv and the SVG charts go (created)
  --resume             keep the runs already in DIR/results.json and do only the missing ones
                       (each run is keyed by its settings and seed: more --seeds adds only new seeds)
  --json               print the results as JSON on stdout instead of the table
  --progress MODE      auto | bar | plain | json | silent (default auto; always on stderr)
  -h, --help           this text
`;

const VALUE_FLAGS = ['preset', 'setting', 'models', 'keys', 'd-key', 'd-emb', 'batch', 'lr', 'max-steps', 'eval-every', 'eval-size', 'patience', 'target-loss', 'seed', 'seeds', 'jobs', 'out', 'progress'] as const;
type ValueFlag = (typeof VALUE_FLAGS)[number];

const OPTIONS = {
  ...(Object.fromEntries(VALUE_FLAGS.map((flag) => [flag, { type: 'string' }])) as Record<ValueFlag, { type: 'string' }>),
  resume: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ParsedCommand<typeof OPTIONS>['values'];

// This command's messages from before the CLI had one parser, kept word for word.
const WORDING: ParseWording = {
  unknownOption: (flag) => `unknown option ${flag} (see --help)`,
  missingValue: (flag) => `${flag} needs a value`,
  unexpectedArgument: (arg) => `unexpected argument '${arg}' (options start with --; see --help)`,
  repeated: (flag) => `${flag} given twice`,
};

function parse(argv: string[]): Values {
  return parseCommand(argv, OPTIONS, 'fastweights retrieval', false, WORDING).values;
}

function integerFlag(values: Values, flag: ValueFlag, min: number): number | undefined {
  const text = values[flag];
  if (text === undefined) return undefined;
  if (!/^-?\d+$/.test(text.trim()) || Number(text) < min) throw new UsageError(`--${flag}: expected an integer ≥ ${min}, got '${text}'`);
  return Number(text);
}

function numberFlag(values: Values, flag: ValueFlag, check: (x: number) => boolean, want: string): number | undefined {
  const text = values[flag];
  if (text === undefined) return undefined;
  const x = Number(text);
  if (text.trim() === '' || !Number.isFinite(x) || !check(x)) throw new UsageError(`--${flag}: expected ${want}, got '${text}'`);
  return x;
}

/** The preset, narrowed and overridden by the flags. */
function buildPlan(values: Values): { presetName: string; plan: RetrievalPlan } {
  const presetName = values.preset ?? 'paper';
  if (!isPresetName(presetName)) throw new UsageError(`--preset: unknown preset '${presetName}' (valid: ${PRESET_NAMES.join(', ')})`);
  const preset = PRESETS[presetName];
  let settings = preset.settings.map((s) => ({ ...s }));
  if (values.setting !== undefined) {
    if (values.setting !== '1' && values.setting !== '2') throw new UsageError(`--setting: expected 1 or 2, got '${values.setting}'`);
    settings = settings.filter((s) => s.setting === Number(values.setting));
  }
  let models: string[] | undefined;
  if (values.models !== undefined) {
    models = values.models.split(',').map((m) => m.trim());
    if (models.some((m) => m === '')) throw new UsageError(`--models: empty name in '${values.models}'`);
  }
  let keys: number[] | undefined;
  try {
    if (values.keys !== undefined) keys = parseKeyRange(values.keys);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const dKey = integerFlag(values, 'd-key', 1);
  for (const s of settings) {
    if (models) s.models = models;
    if (keys) s.keys = keys;
    if (dKey !== undefined) s.dKey = dKey;
  }
  const training = { ...preset.training };
  const dEmb = integerFlag(values, 'd-emb', 1);
  if (dEmb !== undefined) training.dEmb = dEmb;
  training.batchSize = integerFlag(values, 'batch', 1) ?? training.batchSize;
  training.lr = numberFlag(values, 'lr', (x) => x > 0, 'a positive number') ?? training.lr;
  training.maxSteps = integerFlag(values, 'max-steps', 1) ?? training.maxSteps;
  training.evalEvery = integerFlag(values, 'eval-every', 1) ?? training.evalEvery;
  training.evalSize = integerFlag(values, 'eval-size', 1) ?? training.evalSize;
  training.patience = integerFlag(values, 'patience', 1) ?? training.patience;
  training.targetLoss = numberFlag(values, 'target-loss', (x) => x >= 0, 'a number ≥ 0') ?? training.targetLoss;
  training.seed = integerFlag(values, 'seed', 0) ?? training.seed;
  const seeds = integerFlag(values, 'seeds', 1);
  if (seeds !== undefined) {
    if (seeds > MAX_SEEDS) throw new UsageError(`--seeds: at most ${MAX_SEEDS}, got '${values.seeds}'`);
    if (seeds - 1 > Number.MAX_SAFE_INTEGER - training.seed) throw new UsageError(`--seeds: --seed ${training.seed} with ${seeds} seeds runs past the largest safe integer`);
    training.seeds = seeds;
  }

  // Every model name must build at every d_key before hours of training start.
  for (const s of settings) {
    for (const model of s.models) {
      try {
        new RetrievalModel({ model, S: 2, dKey: s.dKey, dEmb: 2, rng: new Rng(0) });
      } catch (error) {
        throw new UsageError(`--models: ${(error as Error).message}`);
      }
    }
  }
  return { presetName, plan: { settings, training } };
}

interface ResultsDocument {
  command: string;
  preset: string;
  runs: RetrievalRunResult[];
}

function readPreviousRuns(path: string): RetrievalRunResult[] {
  if (!existsSync(path)) return [];
  let doc: Partial<ResultsDocument>;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8')) as Partial<ResultsDocument>;
  } catch (error) {
    throw new Error(`cannot read ${path}: ${error instanceof SyntaxError ? `not valid JSON (${error.message})` : fsErrorInWords(error)}`);
  }
  if (!Array.isArray(doc.runs)) throw new Error(`${path} has no 'runs' array; it was not written by fastweights retrieval`);
  return doc.runs;
}

/** Writes results.json, the CSVs and the charts for the runs so far (each file atomically). */
function writeOutputs(outDir: string, doc: ResultsDocument, planned: RetrievalRunResult[]): string[] {
  const files: [string, string][] = [
    ['results.json', stringifyJson(doc, 'results')],
    ['results.csv', resultsCsv(planned)],
    ['cells.csv', cellsCsv(planned)],
    ['curves.csv', curvesCsv(planned)],
  ];
  for (const setting of [1, 2] as const) {
    const runs = planned.filter((r) => r.config.setting === setting);
    if (runs.length === 0) continue;
    const manyKeys = new Set(runs.map((r) => r.config.S)).size > 1;
    if (setting === 1 || manyKeys) files.push([`setting${setting}-final.svg`, finalLossChart(runs, setting)]);
    if (setting === 2) files.push([`setting${setting}-curves.svg`, learningCurveChart(runs, setting)]);
  }
  for (const [name, text] of files) writeFileAtomic(join(outDir, name), text);
  return files.map(([name]) => join(outDir, name));
}

export async function runRetrieval(argv: string[]): Promise<number> {
  let values: Values;
  let presetName: string;
  let plan: RetrievalPlan;
  let jobs: number;
  let progressMode: ProgressMode;
  try {
    values = parse(argv);
    if (values.help) {
      process.stdout.write(HELP);
      return 0;
    }
    ({ presetName, plan } = buildPlan(values));
    jobs = integerFlag(values, 'jobs', 1) ?? 1;
    const mode = values.progress ?? 'auto';
    if (!['auto', 'bar', 'plain', 'json', 'silent'].includes(mode)) throw new UsageError(`--progress: expected auto, bar, plain, json or silent, got '${mode}'`);
    progressMode = mode as ProgressMode;
    if (values.out === undefined) throw new UsageError('--out DIR is required (results are written there)');
    if (plan.settings.length === 0) throw new UsageError('nothing to run');
    ensureOutDir('retrieval', values.out);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`fastweights retrieval: ${error.message}\n`);
    return 2;
  }

  const outDir = values.out;
  const resultsPath = join(outDir, 'results.json');
  const configs = expandPlan(plan);
  try {
    configs.forEach((c) => validateRunConfig(c));
    mkdirSync(outDir, { recursive: true });
    const previous = readPreviousRuns(resultsPath);
    if (previous.length > 0 && !values.resume) {
      process.stderr.write(`fastweights retrieval: ${resultsPath} already holds ${previous.length} run(s); pass --resume to continue it, or choose another --out\n`);
      return 2;
    }
    const doc: ResultsDocument = { command: ['fastweights', 'retrieval', ...argv].join(' '), preset: presetName, runs: [...previous] };
    const finished = new Map(previous.map((r) => [runKey(r.config), r]));
    const todo = configs.filter((c) => !finished.has(runKey(c)));
    const planned = () => configs.flatMap((c) => finished.get(runKey(c)) ?? []);

    const manySeeds = (plan.training.seeds ?? 1) > 1;
    const started = Date.now();
    const total = todo.reduce((n, c) => n + c.maxSteps, 0);
    const progress = createProgress({ total, label: 'retrieval', unit: 'steps', mode: progressMode });
    // Steps of the finished runs count in full, so an early stop moves the bar to the next run's start.
    let stepsBefore = 0;
    const current = new Map<number, number>();
    const report = (fields: Record<string, string | number>) => progress.update(stepsBefore + [...current.values()].reduce((a, b) => a + b, 0), fields);
    if (todo.length < configs.length) process.stderr.write(`retrieval: resuming, ${configs.length - todo.length} of ${configs.length} runs already done\n`);
    await runRetrievalPool(todo, jobs, {
      onEval(index, point) {
        current.set(index, point.step);
        const c = todo[index]!;
        report({ run: `${c.model} S=${c.S}${manySeeds ? ` seed ${c.seed}` : ''} (setting ${c.setting})`, eval: point.evalLoss });
      },
      onDone(index, result) {
        current.delete(index);
        stepsBefore += todo[index]!.maxSteps;
        finished.set(runKey(result.config), result);
        doc.runs.push(result);
        writeOutputs(outDir, doc, planned());
        report({ done: `${result.name} S=${result.config.S}${manySeeds ? ` seed ${result.config.seed}` : ''}: ${result.stopReason} at ${result.finalLoss.toPrecision(3)}` });
      },
    });
    progress.finish();
    const files = writeOutputs(outDir, doc, planned());
    const wallSeconds = (Date.now() - started) / 1000;

    const results = planned();
    if (values.json) {
      const runs = results.map(({ curve: _curve, ...summary }) => summary);
      // Cells: each (setting, model, S) over its seeds; a single seed's sd is null.
      const cells = retrievalCells(results);
      process.stdout.write(stringifyJson({ preset: presetName, outDir, files, wallSeconds, runs, cells }, 'retrieval'));
    } else {
      for (const setting of [1, 2] as const) {
        const table = finalLossTable(results, setting);
        if (table) process.stdout.write(table + '\n');
      }
      process.stdout.write(`${todo.length} run(s) in ${wallSeconds.toFixed(0)} s; wrote ${files.join(', ')}\n`);
    }
    return 0;
  } catch (error) {
    process.stderr.write(`fastweights retrieval: ${(error as Error).message}\n`);
    return 1;
  }
}
