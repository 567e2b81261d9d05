/**
 * The WebAssembly side of the wasm backend: one module instance, one linear memory with a heap in it
 * (./heap.ts), and, where the memory is shared and the thread pool's door (kernels/threads/index.ts)
 * has been imported, the library's pool of worker threads running the same module over the same memory.
 *
 * A kernel call: reset (the last call's temporaries go back to the heap), put the inputs (an array
 * that already lives in the memory is used where it is; any other is copied into a temporary),
 * run, take the outputs (written in place into scratch arrays that live in the memory, or copied
 * out of temporaries). Where the JavaScript has shared memory (Node; cross-origin-isolated pages)
 * the memory is shared, its views survive growth, and the scratch pool (kernels/alloc.ts) keeps its
 * float32 arrays in it: inside a training step most inputs and outputs are then never copied.
 *
 * Loaded lazily on first use: `wasmRuntime()` compiles the module synchronously (about 17 kB) and
 * returns null where WebAssembly SIMD is missing, so the backend can fall back to js.
 */
import { fusedMultiplyAddSites, kernelsModule, sharedMaxPages as MAX_PAGES, type ModuleText } from './generated/modules.js';
import { allocateUninitialized, setFloat32Heap } from '../alloc.js';
import { WasmHeap } from './heap.js';
import { insidePoolThread } from '../threads/poolThread.js';
import { relaxedSimdSetting, threadsSetting } from '../settings.js';

/** The module's exports (kernels/wasm/assembly/index.ts); pointers are byte addresses, booleans 0/1. */
type Kernel = (...args: number[]) => void;
export interface KernelExports {
  matmulBatchedF32: Kernel;
  matmulScratchFloats(m: number, n: number, k: number): number;
  sumScanForwardF32: Kernel;
  sumScanBackwardF32: Kernel;
  sumScanScratchFloats(dk: number, dv: number): number;
  deltaScanForwardF32: Kernel;
  deltaScanBackwardF32: Kernel;
  deltaScanScratchFloats(dk: number, dv: number): number;
  /** The end of the module's static data; nothing below it is handed out (so pointer 0 means "none"). */
  heapBase(): number;
  geluF32: Kernel;
  geluWithSlopeF32: Kernel;
  eluPlusOneF32: Kernel;
  softmaxRowsF32: Kernel;
  layerNormRowsF32: Kernel;
  layerNormRowsBackwardF32: Kernel;
  binaryF32: Kernel;
  sumRowsF32: Kernel;
  gatherRunsF32: Kernel;
  scatterRunsF32: Kernel;
  dropoutF32: Kernel;
  maskedSoftmaxF32: Kernel;
  maskedSoftmaxBackwardF32: Kernel;
  crossEntropyRowsF32: Kernel;
  crossEntropyRowsBackwardF32: Kernel;
  eluPlusOneBackwardF32: Kernel;
  sumNormaliseRowsF32: Kernel;
  sumNormaliseRowsBackwardF32: Kernel;
  adamStepF32: Kernel;
  /** The resident weights' kernels: a module of their own (kernels/matmul/resident.ts adds it, see addModule). */
  matvecF32: Kernel;
  matvecBF16: Kernel;
  matvecF16: Kernel;
  widen16: Kernel;
}
export type KernelName = 'matmulBatchedF32' | 'sumScanForwardF32' | 'sumScanBackwardF32' | 'deltaScanForwardF32' | 'deltaScanBackwardF32'
  | 'geluF32' | 'geluWithSlopeF32' | 'eluPlusOneF32' | 'softmaxRowsF32' | 'layerNormRowsF32' | 'layerNormRowsBackwardF32'
  | 'binaryF32' | 'sumRowsF32' | 'gatherRunsF32' | 'scatterRunsF32'
  | 'maskedSoftmaxF32' | 'maskedSoftmaxBackwardF32' | 'crossEntropyRowsF32' | 'crossEntropyRowsBackwardF32'
  | 'eluPlusOneBackwardF32' | 'sumNormaliseRowsF32' | 'sumNormaliseRowsBackwardF32' | 'adamStepF32'
  | 'matvecF32' | 'matvecBF16' | 'matvecF16' | 'widen16';

/** What the runtime uses of the thread pool (kernels/threads/pool.ts). */
export interface KernelThreadPool {
  /** The first `threads` pool threads serve these modules' kernels over `memory` (no module: none does). */
  attachKernels(modules: readonly WebAssembly.Module[], memory: WebAssembly.Memory | null, threads: number): void;
  /** Pool threads that can take a kernel job now. */
  kernelThreads(): number;
  /** Posts one job to each of the first jobs.length of them; finish() waits for them all. */
  start(jobs: { name: string; args: number[] }[]): void;
  finish(): void;
  /** Kernel jobs handed to pool threads so far (tests check that work was really split). */
  readonly jobsPosted: number;
}

const PAGE_BYTES = 65536;
/** The largest the temporaries' arena grows: calls that need more (large evaluation batches) use the heap. */
const ARENA_MAX_BYTES = 16 * 2 ** 20;

/** A string of one character (code 0–255) per byte → the bytes. */
function latin1Bytes(text: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** A module's single build: its text's characters are bytes, the pairs in its swaps traded back (kernels/wasm/build.mjs). */
function singleBuild({ text, swaps }: ModuleText): Uint8Array<ArrayBuffer> {
  const byteOf = new Uint8Array(256).map((_, code) => code);
  for (let i = 0; i < swaps.length; i += 2) {
    const a = swaps.charCodeAt(i), b = swaps.charCodeAt(i + 1);
    byteOf[a] = b;
    byteOf[b] = a;
  }
  return latin1Bytes(text).map((code) => byteOf[code]!);
}

/** The shared-memory build of a module's `single` build: its memory import replaced (kernels/wasm/build.mjs). */
function withSharedMemory(single: Uint8Array<ArrayBuffer>, { from, to, base64 }: ModuleText['shared']): Uint8Array<ArrayBuffer> {
  const patch = latin1Bytes(atob(base64));
  const out = new Uint8Array(single.length - (to - from) + patch.length);
  out.set(single.subarray(0, from));
  out.set(patch, from);
  out.set(single.subarray(to), from + patch.length);
  return out;
}

/** The single build with the matmul micro-kernel's multiply-adds fused: `local.get c; f32x4.relaxed_madd; nop ×3` (build.mjs). */
function withFusedMultiplyAdd(single: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  const out = single.slice();
  for (const at of fusedMultiplyAddSites) out.set([0x20, single[at + 4]!, 0xfd, 0x85, 0x02, 0x01, 0x01, 0x01], at);
  return out;
}

/** FASTWEIGHTS_RELAXED_SIMD: unset or 1 fuses the matmul's multiply-adds where the engine can, 0 never. */
export function relaxedSimdWanted(): boolean {
  return relaxedSimdSetting();
}

/**
 * The kernels' bytes: with fused multiply-adds where this engine has relaxed SIMD (Chrome ≥ 114,
 * Node ≥ 22; Node 20 has it behind a V8 flag, turned on here) and `relaxed` asks for them, else the
 * plain build. Fused products round once per multiply-add, so their last bits differ from the plain
 * build's and between machines with and without FMA; not between thread counts.
 */
function kernelBytes(shared: boolean, relaxed: boolean): { bytes: Uint8Array<ArrayBuffer>; fused: boolean } {
  const single = singleBuild(kernelsModule);
  const build = (bytes: Uint8Array<ArrayBuffer>) => (shared ? withSharedMemory(bytes, kernelsModule.shared) : bytes);
  if (relaxed) {
    const fused = build(withFusedMultiplyAdd(single));
    if (WebAssembly.validate(fused)) return { bytes: fused, fused: true };
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const v8 = (globalThis as any).process?.getBuiltinModule?.('node:v8');
    if (v8 !== undefined) {
      v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
      if (WebAssembly.validate(fused)) return { bytes: fused, fused: true };
    }
  }
  return { bytes: build(single), fused: false };
}

export class WasmRuntime {
  private view: Float32Array;
  /** Every block of the memory: a call's temporaries and, over a shared memory, scratch arrays. */
  readonly heap: WasmHeap;
  /**
   * A call's temporaries (inputs copied in, kernel scratch) come from one block of the heap, the
   * arena, by bumping an offset; reset() takes them all back at once. Only what does not fit goes
   * through the heap (`temps`), and the arena grows to the last call's need, up to ARENA_MAX_BYTES.
   */
  private arena = { ptr: 0, bytes: 0, used: 0, wanted: 0 };
  /** This call's temporaries outside the arena, given back by reset(). */
  private temps: { ptr: number; bytes: number }[] = [];
  /** This call's outputs by address: the array take() returns, and whether it must be copied out. */
  private outputs = new Map<number, { array: Float32Array; copy: boolean }>();

  /** The modules whose kernels run over the memory (the pool's threads get them all), and their texts. */
  private readonly modules: WebAssembly.Module[];
  private readonly added = new Set<ModuleText>([kernelsModule]);

  constructor(
    readonly memory: WebAssembly.Memory,
    module: WebAssembly.Module,
    /** The kernels of every module added so far, by name. */
    public kernels: KernelExports,
    /** The pool whose threads serve this module's kernels besides this one (null: single-threaded). */
    readonly pool: KernelThreadPool | null,
    /** How many of the pool's threads serve them. */
    private readonly poolThreads: number,
    /** True for a shared memory: its views survive growth, so scratch arrays may live in it. */
    readonly shared: boolean,
    /** True when the matmul runs fused multiply-adds (relaxed SIMD; see kernelBytes). */
    readonly fused: boolean,
  ) {
    this.modules = [module];
    pool?.attachKernels(this.modules, memory, poolThreads);
    this.view = new Float32Array(memory.buffer);
    const base = Math.ceil(Math.max(kernels.heapBase(), 16) / 16) * 16;
    this.heap = new WasmHeap(memory, base, MAX_PAGES * PAGE_BYTES);
  }

  /**
   * Adds a module of more kernels over the same memory (once; the pool's threads get it too): the
   * resident weights' kernels, which kernels/matmul/resident.ts adds on first use, so that a bundle
   * without it (the core entry) leaves their module out.
   */
  addModule(text: ModuleText): void {
    if (this.added.has(text)) return;
    const module = new WebAssembly.Module(this.shared ? withSharedMemory(singleBuild(text), text.shared) : singleBuild(text));
    const instance = new WebAssembly.Instance(module, { env: { memory: this.memory } });
    this.kernels = { ...this.kernels, ...(instance.exports as unknown as Partial<KernelExports>) };
    this.added.add(text);
    this.modules.push(module);
    this.pool?.attachKernels(this.modules, this.memory, this.poolThreads);
  }

  /**
   * Threads that share a kernel call made now, this one included: pool threads busy with a task (a
   * data-parallel step's part) take no kernel job meanwhile.
   */
  get threads(): number {
    return 1 + (this.pool?.kernelThreads() ?? 0);
  }

  /** The memory as floats (a fresh view after the memory grew). */
  floats(): Float32Array {
    if (this.view.byteLength !== this.memory.buffer.byteLength) this.view = new Float32Array(this.memory.buffer);
    return this.view;
  }

  /** Starts a kernel call: the previous call's temporaries are given back. */
  reset(): void {
    for (const { ptr, bytes } of this.temps) this.heap.freeBytes(ptr, bytes);
    this.temps = [];
    this.outputs.clear();
    const arena = this.arena;
    if (arena.wanted > arena.bytes && arena.bytes < ARENA_MAX_BYTES) {
      if (arena.bytes > 0) this.heap.freeBytes(arena.ptr, arena.bytes);
      const bytes = Math.min(ARENA_MAX_BYTES, arena.wanted);
      const ptr = this.heap.allocateBytes(bytes);
      arena.ptr = ptr < 0 ? 0 : ptr;
      arena.bytes = ptr < 0 ? 0 : bytes;
    }
    arena.used = 0;
    arena.wanted = 0;
  }

  /** Room for n floats (a temporary of this call), 16-byte aligned; returns its byte address. */
  alloc(n: number): number {
    const bytes = Math.max(16, Math.ceil(n / 4) * 16);
    const arena = this.arena;
    arena.wanted += bytes;
    if (arena.used + bytes <= arena.bytes) {
      arena.used += bytes;
      return arena.ptr + arena.used - bytes;
    }
    const ptr = this.heap.allocateBytes(bytes);
    if (ptr < 0) throw new Error(`wasm backend: cannot grow WebAssembly memory past ${Math.ceil(this.heap.extent / 2 ** 20)} MiB for this kernel call (use the js backend for arrays this large)`);
    this.temps.push({ ptr, bytes });
    return ptr;
  }

  /** The address of `data` in the memory: where it is, for an array that lives there; else a copy. 0 for null. */
  put(data: Float32Array | null): number {
    if (data === null) return 0;
    if (this.heap.holds(data)) return data.byteOffset;
    const ptr = this.alloc(data.length);
    this.floats().set(data, ptr >>> 2);
    return ptr;
  }

  /** Allocates and copies 32-bit integers in (index maps, generator state); returns the byte address. */
  putInt32(data: Int32Array | Uint32Array): number {
    const ptr = this.alloc(data.length);
    new Int32Array(this.memory.buffer, ptr, data.length).set(data);
    return ptr;
  }

  /**
   * Room for an output of n floats; take(ptr, n) then returns it as an array. Inside a scratch scope
   * over a shared memory the array is allocated in the memory and the kernel writes it in place;
   * otherwise the kernel writes a temporary that take() copies out.
   */
  output(n: number): number {
    const array = allocateUninitialized('float32', n) as Float32Array;
    if (this.heap.holds(array)) {
      this.outputs.set(array.byteOffset, { array, copy: false });
      return array.byteOffset;
    }
    const ptr = this.alloc(n);
    this.outputs.set(ptr, { array, copy: true });
    return ptr;
  }

  /** The output at ptr (see output), or a copy of n floats at ptr. */
  take(ptr: number, n: number): Float32Array {
    const out = this.outputs.get(ptr);
    if (out !== undefined && out.array.length === n) {
      if (out.copy) out.array.set(this.floats().subarray(ptr >>> 2, (ptr >>> 2) + n));
      return out.array;
    }
    const array = allocateUninitialized('float32', n) as Float32Array;
    array.set(this.floats().subarray(ptr >>> 2, (ptr >>> 2) + n));
    return array;
  }

  /** Copies n floats at ptr into `into`, unless `into` is that very memory. */
  copyOut(ptr: number, n: number, into: Float32Array): void {
    if (this.heap.holds(into) && into.byteOffset === ptr) return;
    into.set(this.floats().subarray(ptr >>> 2, (ptr >>> 2) + n));
  }

  /**
   * Runs kernel `name` over work items [0, total), one contiguous range per thread: each thread calls
   * name(...argsFor(lo, hi), scratch) with a scratch area of its own (`scratchFloats`). `align`
   * rounds the split points (e.g. to whole 4-row panels). Every output element is computed by the
   * same code in the same order whatever the split, so results do not depend on the thread count.
   * Work that is not `worthSplitting` (thread hand-off costs tens of µs) runs here alone.
   */
  run(name: KernelName, argsFor: (lo: number, hi: number) => number[], total: number, scratchFloats: number, worthSplitting: boolean, align = 1): void {
    const parts = worthSplitting ? Math.min(this.threads, Math.ceil(total / align)) : 1;
    const scratch: number[] = [];
    for (let p = 0; p < parts; p++) scratch.push(this.alloc(scratchFloats));
    const bound = (p: number) => (p === parts ? total : Math.min(total, Math.round((total * p) / parts / align) * align));
    if (parts === 1) {
      this.kernels[name](...argsFor(0, total), scratch[0]!);
      return;
    }
    const jobs = [];
    for (let p = 1; p < parts; p++) jobs.push({ name, args: [...argsFor(bound(p), bound(p + 1)), scratch[p]!] });
    this.pool!.start(jobs);
    try {
      this.kernels[name](...argsFor(0, bound(1)), scratch[0]!);
    } finally {
      this.pool!.finish();
    }
  }
}

let runtime: WasmRuntime | null | undefined;
let failure = '';

/**
 * How many threads to use: FASTWEIGHTS_THREADS, else every core up to 2 (the machines measured
 * here); 1 inside a pool thread. The wasm kernels split work over this many; data-parallel training
 * runs this many micro-batches side by side (src/train/dataParallel.ts), on the same pool threads.
 */
export function threadsWanted(): number {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const g = globalThis as any;
  // A pool thread's kernels run on it alone: its own part of the work is the split.
  if (insidePoolThread()) return 1;
  const n = threadsSetting();
  if (n !== undefined) return n;
  // Browsers (and Node ≥ 21) have navigator.hardwareConcurrency; Node 20 has os.availableParallelism.
  let cores: unknown = g.navigator?.hardwareConcurrency;
  if (typeof cores !== 'number') {
    try {
      cores = g.process?.getBuiltinModule?.('node:os')?.availableParallelism?.();
    } catch {
      cores = 1;
    }
  }
  return Math.max(1, Math.min(2, typeof cores === 'number' ? cores : 1));
}

let threadOverride: number | null = null;

/** The thread pool, once its door (kernels/threads/index.ts) is imported; it gives null where no pool may run. */
let poolProvider: (() => KernelThreadPool | null) | null = null;

/** Called by kernels/threads/index.ts: the runtime built next splits its calls over the pool's threads. */
export function provideThreadPool(pool: () => KernelThreadPool | null): void {
  poolProvider = pool;
  resetWasmRuntime();
}

/** Sets the thread count (1 = this thread only); takes effect for the next runtime (see resetWasmRuntime). */
export function setWasmThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new Error(`setWasmThreads: expected an integer from 1 to 64, got ${n}`);
  threadOverride = n;
  resetWasmRuntime();
}

/** Drops the current runtime (the pool's threads stop serving its kernels); the next call builds a fresh one. */
export function resetWasmRuntime(): void {
  runtime?.pool?.attachKernels([], null, 0);
  runtime = undefined;
  setFloat32Heap(null);
}

function create(threads: number, relaxed: boolean): WasmRuntime {
  // Asked first: where no pool can run (no shared memory), the provider says why, once.
  const pool = threads > 1 ? (poolProvider?.() ?? null) : null;
  const memory = sharedMemory();
  const { bytes, fused } = kernelBytes(memory !== null, relaxed);
  const module = new WebAssembly.Module(bytes);
  if (memory !== null) {
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    return new WasmRuntime(memory, module, instance.exports as unknown as KernelExports, pool, threads - 1, true, fused);
  }
  const single = new WebAssembly.Memory({ initial: 16, maximum: MAX_PAGES });
  const instance = new WebAssembly.Instance(module, { env: { memory: single } });
  return new WasmRuntime(single, module, instance.exports as unknown as KernelExports, null, 0, false, fused);
}

/** A shared memory where this JavaScript has them (Node; cross-origin-isolated pages), else null. */
function sharedMemory(): WebAssembly.Memory | null {
  if (typeof SharedArrayBuffer === 'undefined') return null;
  try {
    return new WebAssembly.Memory({ initial: 16, maximum: MAX_PAGES, shared: true });
  } catch {
    return null;
  }
}

/** The runtime, built on first use; null when WebAssembly SIMD is not available here (see wasmUnavailableReason). */
export function wasmRuntime(): WasmRuntime | null {
  if (runtime === undefined) {
    // A bad FASTWEIGHTS_THREADS or FASTWEIGHTS_RELAXED_SIMD is an error, not a fallback.
    const threads = threadOverride ?? threadsWanted();
    const relaxed = relaxedSimdWanted();
    // Threads asked for by name need the pool's code; by default a runtime without it runs on one.
    if (threads > 1 && poolProvider === null && (threadOverride !== null || threadsSetting() !== undefined)) {
      throw new Error(`${threadOverride !== null ? `setWasmThreads(${threads})` : `FASTWEIGHTS_THREADS=${threads}`} needs the thread pool: import 'fastweights/threads' (kernels/threads/index.ts) first; the Node entries and the CLI do`);
    }
    try {
      runtime = create(threads, relaxed);
    } catch (e) {
      runtime = null;
      failure = (e as Error).message;
    }
    // Scratch arrays live in the memory from now on, where its views survive growth.
    setFloat32Heap(runtime?.shared ? runtime.heap : null);
  }
  return runtime;
}

/** Why wasmRuntime() returned null ('' when it did not). */
export function wasmUnavailableReason(): string {
  return failure;
}
