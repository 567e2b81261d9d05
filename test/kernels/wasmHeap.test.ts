/**
 * Scratch arrays in WebAssembly memory (kernels/wasm/heap.ts): inside a scratch scope the wasm
 * backend's float32 arrays live in its shared memory, kernels read and write them where they are,
 * views stay valid when the memory grows, and blocks go back to the heap when the pool drops them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { allocate, allocateUninitialized, setFloat32Heap, withScratch, type Float32Heap } from '../../kernels/alloc.js';
import { wasmBackend } from '../../kernels/wasm/index.js';
import { resetWasmRuntime, wasmRuntime } from '../../kernels/wasm/runtime.js';
import { referenceBackend } from '../../kernels/reference/index.js';
import { Rng } from '../../src/tensor/rng.js';
import { expectClose, randomArray } from './helpers.js';

describe('scratch arrays in WebAssembly memory', () => {
  afterEach(() => resetWasmRuntime());

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
});
