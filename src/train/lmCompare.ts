/**
 * The language-modelling comparison: several models trained one after another at an equal budget
 * of steps (equal tokens, so a busy machine cannot favour one model), each evaluated on valid and
 * test, with a table, a CSV, a JSON record and a loss-curve plot. Finished models are skipped when
 * the comparison is run again, so an interrupted comparison continues where it stopped.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { lineChartSvg } from '../report/svg.js';
import { recordsToCsv } from '../report/csv.js';
import { evaluatePerplexity } from '../eval/perplexity.js';
import { loadLanguageModel, prepareLmData, trainLanguageModel, type LmData, type TrainLanguageModelOptions } from './lmTraining.js';
import type { Progress } from './progress.js';

export interface CompareOptions {
  models: string[];
  out: string;
  /** Model and training settings shared by every model (attention is replaced per model). */
  base: Omit<TrainLanguageModelOptions, 'out' | 'resume' | 'data' | 'log' | 'progress' | 'shouldStop'>;
  /** Tokens scored on valid and test for each model. */
  evalTokens: number;
  log: (line: string) => void;
  progress?: (total: number, unit: string) => Progress;
  shouldStop?: () => boolean;
}

export interface CompareRow {
  model: string;
  parameters: number;
  steps: number;
  trainSeconds: number;
  finalTrainLoss: number;
  validPpl: number;
  testPpl: number;
  /** Test perplexity with the fast-weight state carried across segments (null for softmax). */
  testCarryPpl: number | null;
}

export async function compareLanguageModels(options: CompareOptions): Promise<CompareRow[]> {
  mkdirSync(options.out, { recursive: true });
  const resultsPath = join(options.out, 'results.json');
  const rows: CompareRow[] = existsSync(resultsPath) ? (JSON.parse(readFileSync(resultsPath, 'utf8')) as CompareRow[]) : [];
  let data: LmData | undefined;
  for (const name of options.models) {
    if (rows.some((r) => r.model === name)) {
      options.log(`${name}: already done, skipped`);
      continue;
    }
    if (options.shouldStop?.()) break;
    data ??= prepareLmData(options.base.training.corpus, options.base.training.vocabSize, undefined, options.log);
    const dir = join(options.out, name);
    const resume = existsSync(join(dir, 'checkpoint.json'));
    const result = await trainLanguageModel({
      ...options.base,
      model: { ...options.base.model, attention: name },
      out: dir,
      resume,
      data,
      log: options.log,
      ...(options.progress ? { progress: options.progress } : {}),
      ...(options.shouldStop ? { shouldStop: options.shouldStop } : {}),
    });
    if (result.stoppedBy === 'interrupt') break;
    const { model } = loadLanguageModel(dir);
    const evalOptions = { batchSize: options.base.training.batchSize, maxTokens: options.evalTokens };
    const valid = evaluatePerplexity(model, data.valid, { mode: 'segments', ...evalOptions });
    const test = evaluatePerplexity(model, data.test, { mode: 'segments', ...evalOptions });
    const carry = model.isFastWeight ? evaluatePerplexity(model, data.test, { mode: 'carry', ...evalOptions }).perplexity : null;
    const steps = result.history.steps;
    const tail = steps.slice(-20);
    rows.push({
      model: name,
      parameters: model.parameterCount(),
      steps: result.step,
      trainSeconds: Math.round(result.history.elapsedSeconds),
      finalTrainLoss: tail.reduce((s, r) => s + r.loss, 0) / tail.length,
      validPpl: valid.perplexity,
      testPpl: test.perplexity,
      testCarryPpl: carry,
    });
    options.log(`${name}: valid ${valid.perplexity.toFixed(2)}, test ${test.perplexity.toFixed(2)}${carry !== null ? `, test carry ${carry.toFixed(2)}` : ''}`);
    writeResults(options.out, rows);
  }
  writeResults(options.out, rows);
  return rows;
}

function writeResults(out: string, rows: CompareRow[]): void {
  writeFileAtomic(join(out, 'results.json'), JSON.stringify(rows, null, 2));
  writeFileAtomic(join(out, 'results.csv'), recordsToCsv(rows as unknown as Record<string, number | string | null>[]));
  writeFileAtomic(join(out, 'results.md'), markdownTable(rows));
  // Loss curves: training loss smoothed over 25 steps, and the periodic valid loss.
  const series = rows.flatMap((r) => {
    const { history } = loadLanguageModel(join(out, r.model));
    const smooth = history.steps.map((s, i, all) => {
      const window = all.slice(Math.max(0, i - 24), i + 1);
      return [s.step, window.reduce((a, b) => a + b.loss, 0) / window.length] as const;
    });
    return [{ name: `${r.model} train`, points: smooth.filter((_, i) => i % 5 === 4) }];
  });
  writeFileAtomic(join(out, 'loss-curves.svg'), lineChartSvg({ series, title: 'Language modelling: training loss (25-step mean)', xLabel: 'step', yLabel: 'cross-entropy (nats/token)', markers: false }));
}

export function markdownTable(rows: CompareRow[]): string {
  const lines = ['| model | parameters | steps | train time (s) | final train loss | valid ppl | test ppl | test ppl, state carried |', '|---|---|---|---|---|---|---|---|'];
  for (const r of rows) {
    lines.push(`| ${r.model} | ${r.parameters} | ${r.steps} | ${r.trainSeconds} | ${r.finalTrainLoss.toFixed(3)} | ${r.validPpl.toFixed(2)} | ${r.testPpl.toFixed(2)} | ${r.testCarryPpl === null ? '–' : r.testCarryPpl.toFixed(2)} |`);
  }
  return `${lines.join('\n')}\n`;
}
