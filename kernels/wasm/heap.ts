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

/**
 * The free-list bin of a free block of `bytes` (a multiple of 16): bins a quarter-octave apart, so
 * every block in bin(blockBytes(r)) or above is large enough for a request of r bytes.
 */
function bin(bytes: number): number {
  if (bytes < 64) return bytes >> 4;
  const octave = Math.floor(Math.log2(bytes));
  return 4 * octave - 20 + Math.floor((bytes - 2 ** octave) / 2 ** (octave - 2));
}

/**
 * Free blocks are coalesced with free neighbours and split to fit, so the memory a run needs is
 * bounded by its peak use, whatever sizes come and go. (Free lists that keep blocks by size class
 * alone grow without bound when batch shapes vary: each shape's sizes take fresh memory while the
 * last shape's blocks sit unused; a translation model's validation passes reached the 2 GiB limit.)
 */
export class WasmHeap implements Float32Heap {
  private top: number;
  /** Free blocks: size by start address, start by end address, starts by bin. */
  private readonly freeAt = new Map<number, number>();
  private readonly freeEndingAt = new Map<number, number>();
  private readonly bins: Set<number>[] = [];
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

  /**
   * A block of at least `bytes` bytes, 16-byte aligned; its byte address, or −1 when the memory
   * cannot grow (or not past `limit` bytes).
   */
  allocateBytes(bytes: number, limit = this.maxBytes): number {
    const size = blockBytes(bytes);
    const ptr = this.freeBlockFor(size);
    if (ptr !== undefined) {
      const have = this.freeAt.get(ptr)!;
      this.unlink(ptr, have);
      if (have > size) this.link(ptr + size, have - size); // the rest stays free (its neighbours are in use)
      return ptr;
    }
    // Nothing free is large enough: take the end of the heap. (No free block ends there: freeing the
    // last block moves the end back instead.)
    const start = this.top;
    if (start + size > limit || !this.reach(start + size)) return -1;
    this.top = start + size;
    return start;
  }

  /** A free block of at least `size` bytes (a blockBytes size), if there is one. */
  private freeBlockFor(size: number): number | undefined {
    for (let b = bin(size); b < this.bins.length; b++) {
      const free = this.bins[b]!;
      if (free.size > 0) return free.values().next().value;
    }
    return undefined;
  }

  /** Gives back a block of allocateBytes(bytes). */
  freeBytes(ptr: number, bytes: number): void {
    let start = ptr, size = blockBytes(bytes);
    const after = this.freeAt.get(start + size);
    if (after !== undefined) {
      this.unlink(start + size, after);
      size += after;
    }
    const before = this.freeEndingAt.get(start);
    if (before !== undefined) {
      const beforeSize = this.freeAt.get(before)!;
      this.unlink(before, beforeSize);
      start = before;
      size += beforeSize;
    }
    if (start + size === this.top) this.top = start; // the heap's end moves back
    else this.link(start, size);
  }

  /** Grows the memory to at least `end` bytes; false when it cannot. */
  private reach(end: number): boolean {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return true;
    if (end > this.maxBytes) return false;
    try {
      this.memory.grow(Math.ceil((end - have) / PAGE_BYTES));
    } catch {
      return false;
    }
    this.buffers.add(this.memory.buffer);
    return true;
  }

  private link(ptr: number, size: number): void {
    this.freeAt.set(ptr, size);
    this.freeEndingAt.set(ptr + size, ptr);
    const b = bin(size);
    while (this.bins.length <= b) this.bins.push(new Set());
    this.bins[b]!.add(ptr);
  }

  private unlink(ptr: number, size: number): void {
    this.freeAt.delete(ptr);
    this.freeEndingAt.delete(ptr + size);
    this.bins[bin(size)]!.delete(ptr);
  }

  /** True when `data` is a view on this memory (a kernel can read it where it is). */
  holds(data: Float32Array): boolean {
    return this.buffers.has(data.buffer);
  }

  // Float32Heap, for the scratch pool.
  allocate(capacity: number): Float32Array | null {
    // Scratch arrays leave a quarter of the memory to kernel calls' temporaries; past that they are ordinary arrays.
    const ptr = this.allocateBytes(capacity * 4, this.maxBytes * 0.75);
    if (ptr < 0) return null;
    const buffer = this.memory.buffer; // the current one, should anything else have grown the memory
    this.buffers.add(buffer);
    return new Float32Array(buffer, ptr, capacity);
  }

  hasRoom(capacity: number): boolean {
    const size = blockBytes(capacity * 4);
    return this.freeBlockFor(size) !== undefined || this.top + size <= this.memory.buffer.byteLength;
  }

  release(block: Float32Array): void {
    // A block of an earlier runtime's memory (after setWasmThreads) is left to the garbage collector.
    if (this.holds(block)) this.freeBytes(block.byteOffset, block.length * 4);
  }

  /** Bytes the heap spans (the memory in use, free blocks included). */
  get extent(): number {
    return this.top;
  }

  /** Bytes in free blocks below the heap's end. */
  get freeBytesTotal(): number {
    let total = 0;
    for (const size of this.freeAt.values()) total += size;
    return total;
  }
}
