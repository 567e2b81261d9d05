/**
 * The browser suite, part 2: the demo page (npm run demo) in headless Chromium. It trains both rules
 * for a few dozen steps (the losses fall), draws the W_t heatmaps (pixels are painted) and animates
 * a fed sequence, switches to the gpu backend (gpu.js fetched on demand, in webgl2 mode) and trains
 * on it, and loads a checkpoint written by the `fastweights lm train` trainer to generate text.
 * Skipped when no Chromium is installed (test/browser/announce.ts says how to install it).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumForTests, openFiles, paintedShare, waitForText, type OpenedPage } from './harness.js';
import { demoFiles } from '../../demo/files.js';
import { readStatus, type DemoStatus } from '../../demo/status.js';
import { TINY_PROMPT, makeTinyLmCheckpoint } from '../demo/tinyCheckpoint.js';

const chromium = chromiumForTests();
const TRAIN_STEPS = 60;

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

describe.runIf(chromium !== null)('the demo page in headless Chromium', () => {
  let opened: OpenedPage;
  const status = async (): Promise<DemoStatus> => (await opened.page.evaluate(readStatus))!;
  /** Trains until both rules have `steps` more steps than now, then pauses. */
  const train = async (steps: number): Promise<DemoStatus> => {
    const target = (await status()).steps.delta + steps;
    await opened.page.click('#train');
    await opened.page.waitForFunction((n) => ((globalThis as { __fastweightsDemo?: DemoStatus }).__fastweightsDemo?.steps.delta ?? 0) >= n, target, { timeout: 60_000 });
    await opened.page.click('#train');
    return status();
  };

  beforeAll(async () => {
    opened = await openFiles(chromium!, await demoFiles());
    await opened.page.waitForFunction(readStatus, null, { timeout: 30_000 });
  }, 60_000);

  afterAll(async () => {
    await opened?.close();
  });

  it('trains the delta and the sum rule side by side: both losses fall', async () => {
    const after = await train(TRAIN_STEPS);
    expect(after.error).toBe('');
    for (const rule of ['delta', 'sum'] as const) {
      const losses = after.losses[rule];
      expect(losses.length).toBeGreaterThanOrEqual(TRAIN_STEPS);
      expect(mean(losses.slice(-10)), `${rule}: first ${losses.slice(0, 3)}, last ${losses.slice(-3)}`).toBeLessThan(mean(losses.slice(0, 10)));
      expect(after.stepMs[rule]).toBeGreaterThan(0);
    }
    await waitForText(opened.page, '#step-info', /step time .* delta [\d.]+ ms, sum [\d.]+ ms on wasm/);
  });

  it('draws the fast weight matrices as heatmaps, and feeds a sequence token by token', async () => {
    expect((await status()).heatmapDraws).toBeGreaterThan(0);
    for (const rule of ['delta', 'sum']) {
      // Painted, not blank: a good share of the cells is coloured (not white).
      const coloured = await opened.page.evaluate(paintedShare, `heatmap-${rule}`);
      expect(coloured, `${rule} heatmap`).toBeGreaterThan(0.05);
    }
    await opened.page.click('#feed');
    await opened.page.waitForFunction(() => ((globalThis as { __fastweightsDemo?: DemoStatus }).__fastweightsDemo?.shownStep ?? 0) >= 3, null, { timeout: 10_000 });
    await waitForText(opened.page, '#caption-delta', /t = \d+: ‖W_t‖ = [\d.]+ · query k\d reads v\d/);
  });

  it('switches to the gpu backend (gpu.js fetched on demand, webgl2) and trains on it', async () => {
    // The gpu entry is a chunk of its own (esbuild names it after src/gpu.ts), fetched only now.
    const gpuChunk = (path: string) => /^\/gpu-[\w-]+\.js$/.test(path);
    expect(opened.requests.filter(gpuChunk)).toEqual([]);
    await opened.page.selectOption('#backend', 'gpu');
    await waitForText(opened.page, '#backend-detail', /^gpu\.js in webgl2 mode$/, 30_000);
    expect(opened.requests.filter(gpuChunk)).toHaveLength(1);
    const before = (await status()).losses.delta.length;
    const after = await train(3);
    expect(after.backend).toBe('gpu');
    expect(after.error).toBe('');
    expect(after.losses.delta.slice(before).every(Number.isFinite)).toBe(true);
    await waitForText(opened.page, '#step-info', /on gpu$/);
    await opened.page.selectOption('#backend', 'wasm');
    await waitForText(opened.page, '#backend-detail', /^WebAssembly SIMD$/);
  });

  it('loads a checkpoint written by `fastweights lm train` from picked files and generates', async () => {
    const dir = await makeTinyLmCheckpoint();
    await opened.page.setInputFiles('#checkpoint-files', readdirSync(dir).map((name) => join(dir, name)));
    await waitForText(opened.page, '#lm-status', /^delta: 1 layers, d_model 8, 2 heads, .* parameters .* Recurrent state: \d+ numbers of fast weights/);
    await opened.page.fill('#prompt', TINY_PROMPT);
    await opened.page.fill('#tokens', '12');
    await opened.page.click('#generate');
    await waitForText(opened.page, '#generated', new RegExp(`^${TINY_PROMPT}.+`));
    expect(opened.problems).toEqual([]);
  });
});
