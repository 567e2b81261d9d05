/**
 * A heap inside the WebAssembly memory: blocks handed out by size class, given back to free lists,
 * the memory grown when none fits. It holds two kinds of blocks: the temporaries of one kernel call
 * (inputs copied in, scratch), and the float32 arrays of scratch scopes (kernels/alloc.ts,
 * setFloat32Heap), which kernels then read and write in place instead of copying them in and out
 * (docs/kernels.md, "Arrays in WebAssembly memory").
 *
 * Only over a shared memory: growing a shared memory keeps every existing view valid (growing an
 * ordinary one detaches them all).
 */
import type { Float32Heap } from '../alloc.js';

const PAGE_BYTES = 65536;

/** Byte sizes a quarter-octave apart, multiples of 16: a block serves requests up to 25 % smaller. */
function blockBytes(bytes: number): number {
  const b = Math.max(16, bytes);
  const quarter = Math.max(16, 2 ** Math.floor(Math.log2(b)) / 4);
  return Math.ceil(b / quarter) * quarter;
}

export class WasmHeap implements Float32Heap {
  private top: number;
  private readonly free = new Map<number, number[]>();
  /** The memory's buffers seen so far (each grow gives a new one): views on them are resident. */
  private readonly buffers = new WeakSet<ArrayBufferLike>();

  constructor(
    private readonly memory: WebAssembly.Memory,
    /** The first byte past the module's static data, 16-byte aligned. */
    base: number,
    /** The largest the memory may grow to, in bytes. */
    private readonly maxBytes: number,
  ) {
    this.top = base;
    this.buffers.add(memory.buffer);
  }

  /** A block of at least `bytes` bytes, 16-byte aligned; its byte address, or −1 when the memory cannot grow. */
  allocateBytes(bytes: number): number {
    const size = blockBytes(bytes);
    const reused = this.free.get(size)?.pop();
    if (reused !== undefined) return reused;
    const ptr = this.top;
    const end = ptr + size;
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      if (end > this.maxBytes) return -1;
      try {
        this.memory.grow(Math.ceil((end - have) / PAGE_BYTES));
      } catch {
        return -1;
      }
      this.buffers.add(this.memory.buffer);
    }
    this.top = end;
    return ptr;
  }

  /** Gives back a block of allocateBytes(bytes). */
  freeBytes(ptr: number, bytes: number): void {
    const size = blockBytes(bytes);
    let list = this.free.get(size);
    if (list === undefined) this.free.set(size, (list = []));
    list.push(ptr);
  }

  /** True when `data` is a view on this memory (a kernel can read it where it is). */
  holds(data: Float32Array): boolean {
    return this.buffers.has(data.buffer);
  }

  // Float32Heap, for the scratch pool.
  allocate(capacity: number): Float32Array | null {
    const ptr = this.allocateBytes(capacity * 4);
    if (ptr < 0) return null;
    const buffer = this.memory.buffer; // the current one, should anything else have grown the memory
    this.buffers.add(buffer);
    return new Float32Array(buffer, ptr, capacity);
  }

  release(block: Float32Array): void {
    // A block of an earlier runtime's memory (after setWasmThreads) is left to the garbage collector.
    if (this.holds(block)) this.freeBytes(block.byteOffset, block.length * 4);
  }

  /** Bytes the heap spans (the memory in use, free blocks included). */
  get extent(): number {
    return this.top;
  }
}
