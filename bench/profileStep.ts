/**
 * Times training steps of one model on this thread, for profiling (`node --cpu-prof dist/bench/profileStep.js`).
 * usage: node dist/bench/profileStep.js mt|lm MODEL STEPS [--flag value ...]   (flags as in `mt train` / `lm train`)
 */
import { measureTranslationTraining, measureLanguageModelTraining } from './lmTraining.js';

const [task, model = 'softmax', stepsText = '10', ...rest] = process.argv.slice(2);
const values: Record<string, string> = {};
for (let i = 0; i + 1 < rest.length; i += 2) values[rest[i]!.replace(/^--/, '')] = rest[i + 1]!;
const steps = Number(stepsText);
const rows = task === 'lm' ? await measureLanguageModelTraining(steps, [model], values) : await measureTranslationTraining(steps, [model], values);
for (const r of rows) console.log(`${r.task} ${r.model}: ${r.msPerStep.toFixed(1)} ms/step, ${r.tokensPerSecond.toFixed(0)} tokens/s, ${r.matmulGflopPerSecond.toFixed(1)} GFLOP/s matmul (${r.description})`);
