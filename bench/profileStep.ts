/**
 * Times training steps of one model as the trainers take them, for profiling one model at a time
 * (`node --cpu-prof dist/bench/profileStep.js …`) or comparing two builds step for step.
 * usage: node dist/bench/profileStep.js mt|lm MODEL STEPS [--flag value ...]
 * The flags are those of `mt train` / `lm train` (e.g. --dim 64 --vocab 2000); FASTWEIGHTS_THREADS applies.
 */
import { measureTranslationTraining, measureLanguageModelTraining } from './lmTraining.js';

const USAGE = 'usage: node dist/bench/profileStep.js mt|lm MODEL STEPS [--flag value ...]';
const [task, model, stepsText, ...rest] = process.argv.slice(2);
const steps = Number(stepsText);
if ((task !== 'mt' && task !== 'lm') || model === undefined || !Number.isInteger(steps) || steps < 1 || rest.length % 2 !== 0 || rest.some((a, i) => i % 2 === 0 && !a.startsWith('--'))) {
  console.error(USAGE);
  process.exit(2);
}
const flags: Record<string, string> = {};
for (let i = 0; i < rest.length; i += 2) flags[rest[i]!.slice(2)] = rest[i + 1]!;
const rows = task === 'lm' ? await measureLanguageModelTraining(steps, [model], flags) : await measureTranslationTraining(steps, [model], flags);
for (const r of rows) console.log(`${r.task} ${r.model}: ${r.msPerStep.toFixed(1)} ms/step, ${r.tokensPerSecond.toFixed(0)} tokens/s, ${r.matmulGflopPerSecond.toFixed(1)} GFLOP/s matmul, peak RSS ${r.peakRssMB.toFixed(0)} MB (${r.description})`);
