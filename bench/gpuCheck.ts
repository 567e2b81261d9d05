/**
 * The gpu backend's kernel sources (the matmul and outer-product cells of kernels/matmul/gpu.ts and
 * kernels/outer/gpu.ts) run through gpu.js in a mode chosen here, on whatever device that mode
 * finds: each product checked against the float64 reference on random shapes (odd sizes, 1s,
 * transposes, stride-0 batch broadcast) with a float32 error bound, then timed. Its purpose is
 * WebGPU on a real GPU (npm `webgpu`, Dawn over Vulkan): the gpu backend itself is synchronous and
 * so cannot use WebGPU, whose readback is asynchronous; this script awaits each kernel instead.
 * `--mode cpu` runs the same checks anywhere.
 *
 *   node dist/bench/gpuCheck.js [--mode webgpu|webgl2|cpu|webasm] [--sizes 512,1024] [--shapes 1197x4000x128] [--json FILE]
 *
 * --sizes times square products n³; --shapes times m × n × k products (e.g. those of a training step).
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { GPU as GpuClass, IKernelRunShortcut } from 'gpu.js';
import { matmulCell } from '../kernels/matmul/gpu.js';
import { outerCell } from '../kernels/outer/gpu.js';
import { matmulReference } from '../kernels/matmul/reference.js';
import { Rng } from '../src/tensor/rng.js';

interface Case { batch: number; m: number; n: number; k: number; transA: boolean; transB: boolean; broadcastB: boolean }
interface CaseResult extends Case { maxError: number; bound: number; ok: boolean }
interface Timing { m: number; n: number; k: number; bestMs: number; medianMs: number; gflops: number }

const argv = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : fallback;
};
const mode = flag('mode', 'webgpu');
const sizes = flag('sizes', '256,512,1024,2048').split(',').filter((x) => x !== '').map(Number);
const shapes = flag('shapes', '').split(',').filter((x) => x !== '').map((x) => x.split('x').map(Number) as [number, number, number]);
const jsonPath = flag('json', '');

/** A WebGPU implementation for Node where the platform has none: Dawn from npm `webgpu`. */
async function installWebGpu(): Promise<Record<string, unknown>> {
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (g.navigator?.gpu === undefined) {
    const { create, globals } = (await import('webgpu')) as unknown as { create: (flags: string[]) => unknown; globals: Record<string, unknown> };
    Object.assign(globalThis, globals);
    Object.defineProperty(globalThis, 'navigator', { value: { ...(g.navigator ?? {}), gpu: create([]) }, configurable: true });
  }
  type Device = Record<string, unknown> & { addEventListener?: (type: string, handler: unknown) => void };
  type Adapter = { info?: Record<string, unknown>; requestDevice: (descriptor?: unknown) => Promise<Device> };
  const gpu = (globalThis as unknown as { navigator: { gpu: { requestAdapter(): Promise<Adapter | null> } } }).navigator.gpu;
  // gpu.js assigns device.onuncapturederror, which Dawn's Node binding refuses ("object is not of the
  // correct interface type"): give each device an own property that forwards to addEventListener.
  const requestAdapter = gpu.requestAdapter.bind(gpu);
  gpu.requestAdapter = async () => {
    const found = await requestAdapter();
    if (found === null) return null;
    const requestDevice = found.requestDevice.bind(found);
    found.requestDevice = async (descriptor?: unknown) => {
      const device = await requestDevice(descriptor);
      let handler: unknown = null;
      Object.defineProperty(device, 'onuncapturederror', {
        configurable: true,
        get: () => handler,
        set: (h: unknown) => {
          handler = h;
          try {
            device.addEventListener?.('uncapturederror', h);
          } catch (e) {
            console.error(`(uncaptured WebGPU errors will not be reported: ${(e as Error).message})`);
          }
        },
      });
      return device;
    };
    return found;
  };
  const adapter = await gpu.requestAdapter();
  if (adapter === null) throw new Error('WebGPU: no adapter');
  const info = adapter.info ?? {};
  return { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description };
}

/** Runs a kernel and returns its output, whether the mode answers at once or with a Promise. */
async function output(kernel: IKernelRunShortcut, ...args: Float32Array[]): Promise<Float32Array> {
  let result: unknown = kernel(...(args as unknown as number[][]));
  if (result instanceof Promise) result = await result;
  const withToArray = result as { toArray?: () => unknown };
  if (!(result instanceof Float32Array) && typeof withToArray.toArray === 'function') result = await withToArray.toArray();
  if (!(result instanceof Float32Array)) throw new Error(`kernel returned ${Object.prototype.toString.call(result)}`);
  return result;
}

function matmulKernel(gpu: GpuClass, c: Case): IKernelRunShortcut {
  const { m, n, k, transA, transB } = c;
  const constants = { m, n, k, aBatch: m * k, aRow: transA ? 1 : k, aCol: transA ? m : 1, bBatch: c.broadcastB ? 0 : k * n, bRow: transB ? 1 : n, bCol: transB ? k : 1 };
  return gpu.createKernel(matmulCell, { output: [c.batch * m * n], constants, tactic: 'precision' });
}

function randomArray(rng: Rng, length: number): Float32Array {
  const x = new Float32Array(length);
  for (let i = 0; i < length; i++) x[i] = 2 * rng.uniform() - 1;
  return x;
}

/**
 * One product against the float64 reference. Bound: |ŷ − y| ≤ γ · Σ_p |a_ip b_pj| with γ = 2k·2⁻²⁴
 * (float32 accumulation of k products, any order, with room for a fused multiply-add's rounding).
 */
async function checkMatmul(gpu: GpuClass, c: Case, rng: Rng): Promise<CaseResult> {
  const a = randomArray(rng, c.batch * c.m * c.k);
  const b = randomArray(rng, (c.broadcastB ? 1 : c.batch) * c.k * c.n);
  const got = await output(matmulKernel(gpu, c), a, b);
  const args = { batch: c.batch, m: c.m, n: c.n, k: c.k, transA: c.transA, transB: c.transB, aBatchStride: c.m * c.k, bBatchStride: c.broadcastB ? 0 : c.k * c.n };
  const want = new Float64Array(c.batch * c.m * c.n);
  matmulReference({ ...args, a: Float64Array.from(a), b: Float64Array.from(b), out: want });
  const magnitude = new Float64Array(want.length);
  matmulReference({ ...args, a: Float64Array.from(a, Math.abs), b: Float64Array.from(b, Math.abs), out: magnitude });
  const gamma = 2 * c.k * 2 ** -24;
  let maxError = 0, bound = 0, ok = got.length === want.length;
  for (let i = 0; i < want.length; i++) {
    const error = Math.abs(got[i]! - want[i]!);
    const allowed = gamma * magnitude[i]! + 1e-30;
    if (!(error <= allowed)) ok = false;
    maxError = Math.max(maxError, error);
    bound = Math.max(bound, allowed);
  }
  return { ...c, maxError, bound, ok };
}

async function checkOuter(gpu: GpuClass, batch: number, m: number, n: number, rng: Rng): Promise<boolean> {
  const a = randomArray(rng, batch * m), c = randomArray(rng, batch * n);
  const got = await output(gpu.createKernel(outerCell, { output: [batch * m * n], constants: { m, n } }), a, c);
  for (let bi = 0; bi < batch; bi++) for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    // One float32 product, correctly rounded: exact up to half an ulp.
    const want = a[bi * m + i]! * c[bi * n + j]!;
    if (Math.abs(got[(bi * m + i) * n + j]! - want) > Math.abs(want) * 2 ** -24) return false;
  }
  return true;
}

/** One m × n × k product, upload and readback included (as the gpu backend would call it). */
async function timeMatmul(gpu: GpuClass, m: number, n: number, k: number, rng: Rng): Promise<Timing> {
  const c: Case = { batch: 1, m, n, k, transA: false, transB: false, broadcastB: false };
  const kernel = matmulKernel(gpu, c);
  const a = randomArray(rng, m * k), b = randomArray(rng, k * n);
  await output(kernel, a, b); // compile and first upload
  const times: number[] = [];
  const deadline = performance.now() + 20_000;
  for (let r = 0; r < 7 && performance.now() < deadline; r++) {
    const t = performance.now();
    await output(kernel, a, b);
    times.push(performance.now() - t);
  }
  times.sort((x, y) => x - y);
  const bestMs = times[0]!;
  return { m, n, k, bestMs, medianMs: times[Math.floor(times.length / 2)]!, gflops: (2 * m * n * k) / bestMs / 1e6 };
}

async function main(): Promise<void> {
  const started = performance.now();
  const adapter = mode === 'webgpu' ? await installWebGpu() : null;
  const { GPU } = createRequire(import.meta.url)('gpu.js') as { GPU: typeof GpuClass };
  const gpu = new GPU({ mode } as ConstructorParameters<typeof GpuClass>[0]);
  console.log(`gpu.js mode ${gpu.mode}${adapter ? `, adapter ${JSON.stringify(adapter)}` : ''}`);
  const rng = new Rng(7);
  const cases: Case[] = [];
  for (const [batch, m, n, k] of [[1, 1, 1, 1], [1, 7, 5, 3], [1, 1, 300, 1], [3, 17, 9, 33], [2, 64, 64, 64], [1, 129, 65, 257], [5, 19, 19, 32]] as const) {
    for (const transA of [false, true]) for (const transB of [false, true]) cases.push({ batch, m, n, k, transA, transB, broadcastB: batch > 2 && transA });
  }
  const results: CaseResult[] = [];
  for (const c of cases) results.push(await checkMatmul(gpu, c, rng));
  const failed = results.filter((r) => !r.ok);
  console.log(`matmul vs the float64 reference: ${results.length - failed.length}/${results.length} shapes within the float32 bound; worst error ${Math.max(...results.map((r) => r.maxError)).toExponential(2)}`);
  for (const r of failed) console.log(`  FAILED ${r.batch}×${r.m}×${r.n}×${r.k} ${r.transA ? 'T' : 'N'}${r.transB ? 'T' : 'N'}${r.broadcastB ? ' (B broadcast)' : ''}: error ${r.maxError.toExponential(2)} > bound ${r.bound.toExponential(2)}`);
  const outerOk = [await checkOuter(gpu, 1, 1, 1, rng), await checkOuter(gpu, 3, 17, 5, rng), await checkOuter(gpu, 2, 64, 33, rng)];
  console.log(`outer products: ${outerOk.filter(Boolean).length}/${outerOk.length} exact to half an ulp`);
  const timings: Timing[] = [];
  for (const [m, n, k] of [...sizes.map((x) => [x, x, x] as const), ...shapes]) {
    const t = await timeMatmul(gpu, m, n, k, rng);
    timings.push(t);
    console.log(`matmul ${m}×${n}×${k} (upload + run + readback): best ${t.bestMs.toFixed(2)} ms, median ${t.medianMs.toFixed(2)} ms, ${t.gflops.toFixed(1)} GFLOP/s`);
  }
  const summary = { mode: gpu.mode, adapter, matmulCases: results, outerOk, timings, seconds: (performance.now() - started) / 1000 };
  if (jsonPath) writeFileSync(jsonPath, JSON.stringify(summary, null, 2));
  gpu.destroy();
  // Exit explicitly: Dawn's device keeps Node's event loop alive after the last kernel.
  process.exit(failed.length === 0 && outerOk.every(Boolean) ? 0 : 1);
}

await main();
