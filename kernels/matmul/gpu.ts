/**
 * gpu.js matmul: one thread per output cell, one kernel per shape. op(A) and op(B) are read through
 * row and column strides (a transpose swaps them), so one kernel source covers all four transpose
 * cases and stride-0 batch broadcast. gpu.js computes in float32: float64 inputs go to the js kernel.
 */
import type { IKernelFunctionThis } from 'gpu.js';
import type { MatmulArgs } from '../types.js';
import { matmulJs } from './js.js';
import { asFloat32, cachedKernel } from '../gpu/context.js';

interface MatmulConstants {
  [key: string]: number;
  m: number;
  n: number;
  k: number;
  aBatch: number;
  aRow: number;
  aCol: number;
  bBatch: number;
  bRow: number;
  bCol: number;
}

// The kernel source gpu.js translates: plain arithmetic on flat arrays, loop bound a constant.
// Exported for bench/gpuCheck.ts, which runs it in gpu.js's (asynchronous) WebGPU mode.
export function matmulCell(this: IKernelFunctionThis<MatmulConstants>, a: number[], b: number[]): number {
  const cell = this.thread.x;
  const perMatrix = this.constants.m * this.constants.n;
  const batch = Math.floor(cell / perMatrix);
  const within = cell - batch * perMatrix;
  const i = Math.floor(within / this.constants.n);
  const j = within - i * this.constants.n;
  const aStart = batch * this.constants.aBatch + i * this.constants.aRow;
  const bStart = batch * this.constants.bBatch + j * this.constants.bCol;
  let sum = 0;
  for (let p = 0; p < this.constants.k; p++) {
    sum += a[aStart + p * this.constants.aCol] * b[bStart + p * this.constants.bRow];
  }
  return sum;
}

export function matmulGpu(args: MatmulArgs): void {
  const { a, b, out, batch, m, n, k, transA, transB, aBatchStride, bBatchStride } = args;
  if (!(a instanceof Float32Array) || !(b instanceof Float32Array) || !(out instanceof Float32Array) || k === 0 || batch * m * n === 0) {
    matmulJs(args);
    return;
  }
  const constants: MatmulConstants = {
    m, n, k,
    aBatch: aBatchStride, aRow: transA ? 1 : k, aCol: transA ? m : 1,
    bBatch: bBatchStride, bRow: transB ? 1 : n, bCol: transB ? k : 1,
  };
  // gpu.js sizes its argument copies by the first call, so the argument lengths belong to the key.
  const aLength = aBatchStride === 0 ? m * k : batch * m * k;
  const bLength = bBatchStride === 0 ? k * n : batch * k * n;
  const key = `matmul:${batch}:${Object.values(constants).join(':')}:${aLength}:${bLength}`;
  const kernel = cachedKernel(key, (gpu) => gpu.createKernel(matmulCell, { output: [batch * m * n], constants, tactic: 'precision' }));
  const result = asFloat32(kernel(a.subarray(0, aLength), b.subarray(0, bLength)), 'matmul');
  if (args.accumulate) for (let i = 0; i < result.length; i++) out[i] = out[i]! + result[i]!;
  else out.set(result);
}
