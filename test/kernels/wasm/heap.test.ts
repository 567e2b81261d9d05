/**
 * Scratch arrays in WebAssembly memory (kernels/wasm/heap.ts): inside a scratch scope the wasm
 * backend's float32 arrays live in its shared memory, kernels read and write them where they are,
 * views stay valid when the memory grows, and blocks go back to the heap when the pool drops them.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { allocate, allocateLongLived, allocateUninitialized, giveBackScratch, setFloat32Heap, withScratch, type Float32Heap } from '../../../kernels/alloc.js';
import { wasmBackend } from '../../../kernels/backends/wasm.js';
import { resetWasmRuntime, wasmRuntime } from '../../../kernels/wasm/runtime.js';
import { WasmHeap } from '../../../kernels/wasm/heap.js';
import { referenceBackend } from '../../../kernels/backends/reference.js';
import { Rng } from '../../../src/tensor/rng.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { AdamW } from '../../../src/train/optim.js';
import { expectClose, randomArray } from '../helpers.js';

describe('scratch arrays in WebAssembly memory', () => {
  afterEach(() => resetWasmRuntime());

  it('keeps long-lived arrays (an optimiser\'s moments) in the memory, zeroed, outside any scope', () => {
    const rt = wasmRuntime()!;
    const dirty = allocateLongLived(1000);
    dirty.fill(7);
    const fresh = allocateLongLived(1000);
    expect(rt.heap.holds(fresh)).toBe(true);
    expect(fresh.every((x) => x === 0)).toBe(true);
    // AdamW moves its float32 moments there at its first step; its state still saves and restores.
    const p = new Tensor(new Float32Array(600).fill(1), [600]);
    p.grad = new Tensor(new Float32Array(600).fill(0.5), [600]);
    const optimizer = new AdamW([['w', p]], { lr: 0.1, weightDecay: 0.01 });
    optimizer.step();
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    expect(rt.heap.holds((optimizer as any).buffers.get('m.w')), 'the moments live in the memory').toBe(true);
    const state = optimizer.stateDict();
    expect(rt.heap.holds(state.buffers['m.w'] as Float32Array), 'stateDict copies out').toBe(false);
    expect(Array.from(state.buffers['m.w']!.slice(0, 3))).toEqual([0.05, 0.05, 0.05].map(Math.fround));
    const copy = new AdamW([['w', p]], { lr: 0.1, weightDecay: 0.01 });
    copy.loadStateDict(state);
    expect(copy.stateDict()).toEqual(state);
  });

  it('puts a scratch array in the shared memory, and a matmul reads and writes it in place', () => {
    const rt = wasmRuntime()!;
    expect(rt.shared).toBe(true); // Node has shared memory
    const rng = new Rng(3);
    const [m, n, k] = [37, 29, 41];
    const a = randomArray(rng, m * k, 'float32'), b = randomArray(rng, k * n, 'float32');
    const want = new Float64Array(m * n);
    referenceBackend.matmul({ a, b, out: want, batch: 1, m, n, k, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 });
    withScratch(() => {
      const inA = allocateUninitialized('float32', m * k) as Float32Array;
      inA.set(a);
      const out = allocateUninitialized('float32', m * n) as Float32Array;
      expect(rt.heap.holds(inA) && rt.heap.holds(out)).toBe(true);
      rt.reset();
      expect(rt.put(inA), 'a resident input is used where it is').toBe(inA.byteOffset);
      wasmBackend.matmul({ a: inA, b, out, batch: 1, m, n, k, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 });
      expectClose(out, want, 1e-5, 'product written in place');
      // Outputs of the other kernels are resident arrays too.
      const y = wasmBackend.gelu(inA);
      expect(rt.heap.holds(y as Float32Array)).toBe(true);
    });
    // Outside a scope, arrays are ordinary ones (they may outlive anything).
    expect(rt.heap.holds(allocate('float32', 4096) as Float32Array)).toBe(false);
  });

  it('keeps earlier views valid when the memory grows', () => {
    const rt = wasmRuntime()!;
    withScratch(() => {
      const early = allocate('float32', 5000) as Float32Array;
      early.fill(7);
      const before = rt.memory.buffer.byteLength;
      const big = rt.heap.allocate(16 * 2 ** 20)!; // 64 MiB: the memory must grow
      expect(rt.memory.buffer.byteLength).toBeGreaterThan(before);
      big[big.length - 1] = 3;
      expect(early.every((v) => v === 7)).toBe(true);
      expect(rt.heap.holds(big)).toBe(true);
      rt.heap.release(big);
    });
  });

  it('the pool gives blocks it drops back to their heap, and zeroes a reused heap block for allocate', () => {
    const given: number[] = [];
    const released: number[] = [];
    const heap: Float32Heap = {
      allocate: (capacity) => {
        const block = new Float32Array(capacity).fill(9); // a heap block may hold anything
        given.push(capacity);
        return block;
      },
      release: (block) => void released.push(block.length),
    };
    setFloat32Heap(heap);
    try {
      withScratch(() => {
        expect(Array.from(allocate('float32', 2000)).every((v) => v === 0)).toBe(true);
        allocateUninitialized('float32', 3000);
      });
      expect(given.length).toBe(2);
      // The next scope uses only one of the two sizes: the other block goes back to the heap.
      withScratch(() => void allocate('float32', 2000));
      withScratch(() => void allocate('float32', 2000));
      expect(released).toEqual([given[1]!]);
      expect(given.length).toBe(2);
    } finally {
      setFloat32Heap(null);
    }
  });

  it('never overlaps blocks, joins free neighbours, and shrinks back to its base when all is given back', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 300_000 }), fc.nat()), { minLength: 1, maxLength: 120 }), (ops) => {
        const memory = new WebAssembly.Memory({ initial: 1, maximum: 1024 });
        const base = 1024;
        const heap = new WasmHeap(memory, base, 1024 * 65536);
        const live: { ptr: number; bytes: number }[] = [];
        for (const [allocate, bytes, pick] of ops) {
          if (allocate || live.length === 0) {
            const ptr = heap.allocateBytes(bytes);
            expect(ptr % 16).toBe(0);
            expect(ptr).toBeGreaterThanOrEqual(base);
            for (const other of live) expect(ptr + bytes <= other.ptr || other.ptr + other.bytes <= ptr).toBe(true);
            expect(ptr + bytes).toBeLessThanOrEqual(heap.extent);
            expect(heap.extent).toBeLessThanOrEqual(memory.buffer.byteLength);
            live.push({ ptr, bytes });
          } else {
            const [block] = live.splice(pick % live.length, 1);
            heap.freeBytes(block!.ptr, block!.bytes);
          }
        }
        for (const block of live.splice(0)) heap.freeBytes(block.ptr, block.bytes);
        expect(heap.extent).toBe(base);
        expect(heap.freeBytesTotal).toBe(0);
      }),
      { numRuns: 60 },
    );
  });

  it('keeps memory bounded when every scratch scope has other shapes (scopes give unused blocks back before growing)', () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 32768, shared: true });
    const heap = new WasmHeap(memory, 1024, 32768 * 65536);
    setFloat32Heap(heap);
    try {
      const rng = new Rng(11);
      let largestScope = 0;
      for (let scope = 0; scope < 60; scope++) {
        // A batch of another length each time: every array size moves by a random factor.
        const scale = 0.5 + 1.5 * rng.uniform();
        const sizes = [40_000, 150_000, 90_000, 300_000, 20_000, 150_000].map((n) => Math.round(n * scale));
        largestScope = Math.max(largestScope, sizes.reduce((a, b) => a + b, 0) * 4);
        withScratch(() => {
          for (const n of sizes) allocate('float32', n);
        });
      }
      // Rounding to size classes (≤ 25 %) and the last scope's blocks kept for the next one: at most about twice.
      expect(heap.extent).toBeLessThan(2.6 * largestScope);
    } finally {
      setFloat32Heap(null);
    }
  });

  it('gives the last scope\'s blocks back before growing the memory for other shapes', () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 32768, shared: true });
    const heap = new WasmHeap(memory, 1024, 32768 * 65536);
    setFloat32Heap(heap);
    try {
      withScratch(() => {}); // the pool lets go of earlier tests' blocks
      // Size classes (floats): 300,000 → 327,680; 200,000 → 229,376; 150,000 → 163,840. No size is shared.
      withScratch(() => [300_000, 300_000].forEach((n) => allocate('float32', n)));
      const first = heap.extent;
      withScratch(() => [200_000, 200_000, 150_000].forEach((n) => allocate('float32', n)));
      // The second scope fits where the first one's blocks were: without giving them back it would need both.
      expect(heap.extent).toBeLessThanOrEqual(first);
    } finally {
      setFloat32Heap(null);
    }
  });

  it('scopes of two kinds taking turns (attention, MLP) share their memory when each gives the other\'s blocks back first', () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 32768, shared: true });
    const heap = new WasmHeap(memory, 1024, 32768 * 65536);
    setFloat32Heap(heap);
    try {
      withScratch(() => {}); // the pool lets go of earlier tests' blocks
      // Room in the memory already (as after loading weights, or an earlier call): growing is not what stops a scope.
      heap.release(heap.allocate(4_000_000)!);
      // Size classes (floats): 262,144 exactly; 720,896 → 786,432. No size is shared.
      const first = [262_144, 262_144, 262_144, 262_144], second = [720_896, 720_896];
      const extents = (giveBack: boolean) => {
        for (let i = 0; i < 6; i++) {
          if (giveBack) giveBackScratch();
          withScratch(() => (i % 2 === 0 ? first : second).forEach((n) => allocate('float32', n)));
        }
        const extent = heap.extent;
        withScratch(() => {}); // empties the pool for the next run
        return extent;
      };
      const larger = 2 * 786_432 * 4 + 1024;
      expect(extents(true)).toBeLessThanOrEqual(larger);
      // Without: the second kind takes new blocks while the first kind's sit in the pool, unused.
      expect(extents(false)).toBeGreaterThan(larger + 4 * 262_144 * 4 - 1);
    } finally {
      setFloat32Heap(null);
    }
  });

  it('takes kernel calls\' temporaries from one reused arena: repeated calls with copied inputs do not grow the heap', () => {
    const rt = wasmRuntime()!;
    const rng = new Rng(8);
    const shapes = [[37, 29, 41], [120, 64, 64], [5, 300, 17], [64, 64, 256]] as const;
    const run = () => {
      for (const [m, n, k] of shapes) {
        const a = randomArray(rng, m * k, 'float32'), b = randomArray(rng, k * n, 'float32');
        const out = new Float32Array(m * n), want = new Float64Array(m * n);
        const args = { batch: 1, m, n, k, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 };
        wasmBackend.matmul({ ...args, a, b, out }); // ordinary arrays: copied in and out through temporaries
        referenceBackend.matmul({ ...args, a, b, out: want });
        expectClose(out, want, 1e-4, `${m} × ${n} × ${k}`);
      }
    };
    run();
    run();
    const extent = rt.heap.extent;
    for (let i = 0; i < 5; i++) run();
    expect(rt.heap.extent).toBe(extent);
  });
});
