/**
 * `npm run bench -- --torch` (bench/torchPair.ts): without PyTorch it says so in one line; with Debian's
 * python3-torch, the script's masked form matches its plain loop and ours matches PyTorch's gradients on
 * the same inputs, and both sides report times.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { formatTorchPair, measureTorchPair, TORCH_PYTHON, torchMissing } from '../../bench/torchPair.js';

const python = spawnSync(TORCH_PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0 ? TORCH_PYTHON : null;
// CI (.ci/run) installs python3-torch and requires the comparison, so that it fails there instead of skipping.
if (python === null && process.env.FASTWEIGHTS_REQUIRE_TORCH === '1') throw new Error("FASTWEIGHTS_REQUIRE_TORCH=1 but /usr/bin/python3 cannot import torch (Debian's python3-torch)");

describe('the sum layer beside PyTorch', () => {
  it('without a Python that has torch, a skip line naming what is missing', async () => {
    const missing = '/nonexistent/python3';
    expect(torchMissing(missing)).toBe(`${missing} is missing (Debian: apt-get install python3-torch)`);
    const result = await measureTorchPair({ rounds: 1, callsPerRound: 1, python: missing }, () => {});
    expect(formatTorchPair(result)).toBe(`Sum layer beside PyTorch: skipped, ${missing} is missing (Debian: apt-get install python3-torch).`);
  });

  it.skipIf(python === null)('the same function as ours (gradients within 1e-4 of the largest), timed on both sides (skipped without /usr/bin/python3 and its torch)', async () => {
    const result = await measureTorchPair({ rounds: 2, callsPerRound: 1 }, () => {});
    if ('skipped' in result) throw new Error(result.skipped);
    expect(result.torchLoopError).toBeLessThan(1e-4);
    expect(result.gradientDifference).toBeLessThan(1e-4);
    expect(result.threads).toBe(2);
    for (const side of [result.ours, result.oursInScope, result.torch]) {
      expect(side.medianMs).toBeGreaterThan(0);
      expect(side.cpuMs).toBeGreaterThan(0);
    }
    expect(formatTorchPair(result)).toMatch(/\| fastweights wasm, in a scratch scope \| [\d.]+ \|/);
    expect(formatTorchPair(result)).toContain(`PyTorch's BLAS: ${result.blas}`);
    // Starting Python and torch, building the inputs in Python and the float64 loop take seconds alone, minutes on a loaded machine.
  }, 600_000);
});
