/** Backends made from a base (kernels/backends/override.ts): what a backend lists is all it changes. */
import { describe, expect, it } from 'vitest';
import type { KernelBackend } from '../../../kernels/types.js';
import { overriding } from '../../../kernels/backends/override.js';
import { referenceBackend } from '../../../kernels/backends/reference.js';
import { jsBackend } from '../../../kernels/backends/js.js';
import { wasmBackend } from '../../../kernels/backends/wasm.js';

const kernelNames = (b: KernelBackend) => Object.keys(b).filter((key) => key !== 'name') as (keyof Omit<KernelBackend, 'name'>)[];

describe('overriding', () => {
  it("runs the listed kernels, the base's everywhere else, under its own name, and leaves the base as it was", () => {
    const matmul = () => undefined;
    const made = overriding(referenceBackend, 'js', { matmul });
    expect(made.name).toBe('js');
    expect(made.matmul).toBe(matmul);
    for (const key of kernelNames(referenceBackend)) if (key !== 'matmul') expect(made[key], key).toBe(referenceBackend[key]);
    expect(referenceBackend.name).toBe('reference');
    expect(referenceBackend.matmul).not.toBe(matmul);
  });

  it('gives every backend the whole interface: js from the reference, wasm from js (which keeps the outer product)', () => {
    expect(kernelNames(jsBackend).sort()).toEqual(kernelNames(referenceBackend).sort());
    expect(kernelNames(wasmBackend).sort()).toEqual(kernelNames(referenceBackend).sort());
    expect(jsBackend.gelu).toBe(referenceBackend.gelu);
    expect(wasmBackend.outer).toBe(jsBackend.outer);
  });
});
