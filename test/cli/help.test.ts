/** The help texts say what is true: every subcommand listed, the defaults as the code has them, npm start's flags. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lmTrainSettings } from '../../src/tasks/lm/cli.js';
import { runMain } from './runMain.js';

const ROOT = join(import.meta.dirname, '../..');

describe('help', () => {
  it('the top-level help lists every subcommand of lm and mt, compare included', async () => {
    const help = (await runMain(['--help'])).stdout.join('\n');
    for (const [command, subcommands] of [['lm', ['train', 'eval', 'generate', 'compare']], ['mt', ['train', 'translate', 'eval', 'compare']]] as const) {
      const line = help.split('\n').find((l) => l.trimStart().startsWith(`${command} `))!;
      for (const sub of subcommands) expect(line, `${command} ${sub}`).toContain(sub);
    }
  });

  it("lm train's help states the defaults the code uses, and how npm start differs", async () => {
    const help = (await runMain(['lm', 'train', '--help'])).stdout.join('\n');
    const { model, training } = lmTrainSettings({}, 'delta');
    const defaults = /train \(defaults: ([^)]*)\)/s.exec(help.replace(/\s+/g, ' '))![1]!;
    expect(defaults).toContain(`${model.layers} layers, d_model ${model.dModel}`);
    expect(defaults).toContain(`for ${training.minutes} minutes`);
    expect(defaults).toContain(`lr ${training.lr}`);
    expect(defaults).toContain(`dropout ${model.dropout}`);
    expect(training.corpus).toBe('sotu');
    // npm start: `lm train` plus the flags the help names.
    const start = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
    const flags = /lm train --model delta --minutes 3 (.*)$/.exec(start)![1]!;
    expect(help.replace(/\s+/g, ' ')).toContain(`runs it with ${flags}`);
  });
});
