/**
 * `npm run demo:screenshot -- [--checkpoint DIR] [--steps N] [--out PATH]`: the README's picture of
 * the demo. Opens the demo page in the system Chromium, trains both rules for N steps (default 600,
 * where the delta rule has solved the task), feeds a sequence to its last token, and, given a
 * checkpoint directory from `fastweights lm train`, loads it and generates; then saves a full-page
 * PNG (default docs/figures/demo.png).
 */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ROOT } from '../browser/bundle.js';
import { CHROMIUM_INSTALL_HINT, findChromium } from '../browser/chromium.js';
import { openFiles, waitForText } from '../browser/page.js';
import { demoFiles } from './files.js';
import { readStatus, type DemoStatus } from './status.js';

function option(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at < 0 ? undefined : process.argv[at + 1];
}

const steps = Number(option('--steps') ?? 600);
if (!Number.isInteger(steps) || steps < 1) throw new Error(`--steps must be a positive integer, got '${option('--steps')}'`);
const out = resolve(option('--out') ?? join(ROOT, 'docs/figures/demo.png'));
const checkpoint = option('--checkpoint');
const chromium = findChromium();
if (chromium === null) throw new Error(`no Chromium found: ${CHROMIUM_INSTALL_HINT}`);

const opened = await openFiles(chromium, await demoFiles());
try {
  const { page } = opened;
  await page.waitForFunction(readStatus);
  await page.click('#train');
  await page.waitForFunction((n) => ((globalThis as { __fastweightsDemo?: DemoStatus }).__fastweightsDemo?.steps.delta ?? 0) >= n, steps, { timeout: 600_000 });
  await page.click('#train');
  await page.click('#feed');
  await page.waitForFunction(() => ((globalThis as { __fastweightsDemo?: DemoStatus }).__fastweightsDemo?.shownStep ?? 0) >= 20, null, { timeout: 30_000 });
  if (checkpoint !== undefined) {
    await page.setInputFiles('#checkpoint-files', readdirSync(checkpoint).filter((name) => !name.startsWith('optimizer-')).map((name) => join(checkpoint, name)));
    await waitForText(page, '#lm-status', /parameters/, 30_000);
    await page.click('#generate');
    await waitForText(page, '#generated', /^(?!generating)./, 60_000);
  }
  await page.screenshot({ path: out, fullPage: true });
  const status = (await page.evaluate(readStatus))!;
  console.log(`wrote ${out}: ${status.steps.delta} steps on ${status.backend}, last losses delta ${status.losses.delta.at(-1)?.toPrecision(2)}, sum ${status.losses.sum.at(-1)?.toPrecision(2)}`);
  if (opened.problems.length > 0) console.log(`page problems:\n${opened.problems.join('\n')}`);
} finally {
  await opened.close();
}
