/**
 * The one allocator of the code base (the Tensor re-exports it): typed arrays of float32 (the default:
 * speed, memory) or float64 (gradient checks and references). Backends' outputs take the dtype of their inputs.
 *
 * Scratch scopes (`withScratch`): a training step allocates nearly the same arrays step after step,
 * and every one of them is garbage when the step ends. Fresh large arrays are expensive here: glibc
 * maps them in from the kernel, their pages fault in on first write, they are cold in cache, and the
 * garbage collector has to find them again. Inside a scratch scope, arrays from `allocate` come from
 * free lists filled by the previous scope and go back to them when the scope ends (docs/kernels.md,
 * "Scratch memory"). The contract: nothing allocated inside a scope may be read after it ends; what
 * must outlive the step is copied out (`persistent`). `setScratchPoison(true)` fills released arrays
 * with NaN so that a broken contract shows up as NaN, not as a silently wrong number (the tests run
 * training that way).
 */
import type { FloatArray } from './types.js';
import { scratchPoisonSetting, scratchSetting } from './settings.js';

export type DType = 'float32' | 'float64';

/** A zeroed array of `n` elements of the given dtype. */
export function allocate(dtype: DType, n: number): FloatArray {
  requestedBytes += n * (dtype === 'float64' ? 8 : 4);
  if (scratch !== null && (n >= SCRATCH_MIN_ELEMENTS || scratch.poison)) return scratch.take(dtype, n);
  return dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
}

/**
 * An array of `n` elements whose contents are unspecified: for outputs that the caller overwrites
 * whole (a matmul without accumulate, a copy). Inside a scratch scope it skips zeroing a reused
 * buffer (in poison mode it holds NaN, so a forgotten element shows); outside one it is zeroed.
 */
export function allocateUninitialized(dtype: DType, n: number): FloatArray {
  requestedBytes += n * (dtype === 'float64' ? 8 : 4);
  if (scratch !== null && (n >= SCRATCH_MIN_ELEMENTS || scratch.poison)) return scratch.take(dtype, n, false);
  return dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
}

/** Bytes asked of `allocate` and `allocateUninitialized` so far (pooled or not). */
let requestedBytes = 0;

/**
 * The bytes of arrays that `fn` asks this allocator for (every kernel's outputs and scratch arrays
 * come from here): how tests check that a kernel's memory grows as they expect with the sequence length.
 */
export function bytesRequestedBy(fn: () => void): number {
  const before = requestedBytes;
  fn();
  return requestedBytes - before;
}

export function dtypeOf(data: FloatArray): DType {
  return data instanceof Float64Array ? 'float64' : 'float32';
}

/** A zeroed array of `n` elements with the same dtype as `like`. */
export function allocLike(like: FloatArray, n: number): FloatArray {
  return allocate(dtypeOf(like), n);
}

// ---------------------------------------------------------------------------------------------
// Scratch scopes

/** Smaller arrays come from V8's own heap cheaply; pooling them would cost more than it saves. */
const SCRATCH_MIN_ELEMENTS = 1024;

/**
 * Size classes a quarter-octave apart (…, 1024, 1280, 1536, 1792, 2048, …): a batch of another
 * shape still finds a buffer, at most 25 % larger than it needs.
 */
function sizeClass(n: number): number {
  const octave = 2 ** Math.floor(Math.log2(n));
  const quarter = octave / 4;
  return Math.ceil(n / quarter) * quarter;
}

/**
 * Somewhere other than V8's heap that float32 scratch arrays can live: the wasm backend's
 * WebAssembly memory (kernels/wasm/heap.ts), so that its kernels use them in place.
 */
export interface Float32Heap {
  /** A block of `capacity` floats, or null when the heap is full (the pool then uses an ordinary array). */
  allocate(capacity: number): Float32Array | null;
  /** Takes back a block that allocate returned (or ignores one it does not hold). */
  release(block: Float32Array): void;
  /** False when a block of `capacity` floats would take new memory (nothing free fits). */
  hasRoom?(capacity: number): boolean;
}

let float32Heap: Float32Heap | null = null;

/**
 * A zeroed float32 array for state that outlives every step (an optimiser's moments), placed in the
 * float32 heap when there is one, so that the kernels update it in place instead of copying it in
 * and out at each step. Its block goes back to that heap once the array is garbage.
 */
export function allocateLongLived(n: number): Float32Array {
  const heap = float32Heap;
  const block = heap?.allocate(n) ?? null;
  if (heap === null || block === null) return new Float32Array(n);
  block.fill(0);
  // The held value is another view of the same block: it must not keep the array itself alive.
  longLivedBlocks.register(block, { heap, view: new Float32Array(block.buffer, block.byteOffset, block.length) });
  return block;
}

const longLivedBlocks = new FinalizationRegistry<{ heap: Float32Heap; view: Float32Array }>(({ heap, view }) => heap.release(view));

/** Where new float32 scratch blocks come from from now on (null: ordinary ArrayBuffers). */
export function setFloat32Heap(heap: Float32Heap | null): void {
  float32Heap = heap;
}

/** A block of a scratch pool: the whole capacity, and the heap it came from (null: an ArrayBuffer). */
interface Block {
  block: FloatArray;
  heap: Float32Heap | null;
}

/** Bytes of a pool block of size class `key` (negative: float64). */
const blockBytes = (key: number) => (key < 0 ? -8 * key : 4 * key);

class ScratchPool {
  /** Blocks free for this scope, by size class (element count; negated for float64). */
  private free = new Map<number, Block[]>();
  /** Blocks handed out in this scope, by the view handed out (insertion order: the order taken). */
  private used = new Map<FloatArray, { key: number; block: Block; serial: number }>();
  /** Ordinary arrays this scope gave back early (`releaseEarly`): the next scope's free list keeps them. */
  private early = new Set<Block>();
  /** Views handed out since the pool was made: `serial` tells which came after a mark. */
  private serial = 0;
  /** Bytes of the blocks this scope holds now, and the most it held at once (scratchPeakBytes). */
  held = 0;
  peak = 0;
  poison = false;

  take(dtype: DType, n: number, zeroed = true): FloatArray {
    const capacity = sizeClass(n);
    const key = dtype === 'float64' ? -capacity : capacity; // a number: no string built per array
    let block = this.free.get(key)?.pop();
    let fresh = false;
    if (block === undefined) {
      // A size the last scope did not leave: the shapes changed. Rather than take new memory while
      // the last scope's blocks sit unused, give those back first (the heap joins free neighbours).
      if (float32Heap?.hasRoom?.(capacity) === false) this.dropFree();
      // A new block: from the float32 heap when there is one, else an ArrayBuffer (zeroed by the engine).
      const fromHeap = dtype === 'float32' && float32Heap !== null ? float32Heap.allocate(capacity) : null;
      block = fromHeap !== null ? { block: fromHeap, heap: float32Heap } : { block: dtype === 'float64' ? new Float64Array(capacity) : new Float32Array(capacity), heap: null };
      fresh = fromHeap === null;
    }
    const view = block.block.subarray(0, n);
    // A reused block holds the last scope's values (NaN in poison mode); a heap block, whatever was there.
    if (zeroed) {
      if (!fresh) view.fill(0);
    } else if (this.poison) view.fill(NaN);
    this.used.set(view, { key, block, serial: this.serial++ });
    this.held += blockBytes(key);
    if (this.held > this.peak) this.peak = this.held;
    return view;
  }

  /** The serial number the next view handed out will get. */
  mark(): number {
    return this.serial;
  }

  /** Puts the block of `view` (one this scope handed out) on the free list now; false if it is not one. */
  releaseEarly(view: FloatArray, since = 0): boolean {
    const entry = this.used.get(view);
    if (entry === undefined || entry.serial < since) return false;
    this.used.delete(view);
    this.held -= blockBytes(entry.key);
    if (this.poison) view.fill(NaN);
    // A heap block goes straight back to its heap, which joins it with free neighbours: blocks
    // of one size given back can then serve a larger request (a [T, 2D] after two [T, D]). In
    // poison mode the pool keeps it: the next scope then takes this scope's last blocks first, as
    // without early release, so an array read after its scope still meets NaN, not a new value.
    if (entry.block.heap !== null && !this.poison) {
      entry.block.heap.release(entry.block.block as Float32Array);
      return true;
    }
    let list = this.free.get(entry.key);
    if (list === undefined) this.free.set(entry.key, (list = []));
    list.push(entry.block);
    this.early.add(entry.block);
    return true;
  }

  /** Puts back every block handed out at or after `since` and still out, but the views of `keep`. */
  releaseSince(since: number, keep: readonly FloatArray[]): void {
    for (const view of this.used.keys()) if (!keep.includes(view)) this.releaseEarly(view, since);
  }

  /**
   * Ends a scope: this scope's blocks become the next one's free list. Blocks left unused in
   * this scope are dropped (to the garbage collector, or back to their heap), so the pool never
   * holds more than one step's worth of memory beyond what the step itself uses.
   */
  release(): void {
    const free = new Map<number, Block[]>();
    const keep = (key: number, block: Block) => {
      let list = free.get(key);
      if (list === undefined) free.set(key, (list = []));
      list.push(block);
    };
    for (const [view, { key, block }] of this.used) {
      if (this.poison) view.fill(NaN);
      keep(key, block);
    }
    // Blocks given back early were used by this scope too: the next one will want them again.
    for (const [key, list] of this.free) {
      const kept = list.filter((block) => this.early.has(block));
      for (const block of kept) keep(key, block);
      this.free.set(key, list.filter((block) => !this.early.has(block)));
    }
    this.dropFree();
    this.early.clear();
    this.free = free;
    this.used = new Map();
    this.held = 0;
  }

  /** Gives every free block back (to the garbage collector, or to its heap). */
  dropFree(): void {
    for (const list of this.free.values()) for (const { block, heap } of list) heap?.release(block as Float32Array);
    this.free.clear();
  }
}

let scratch: ScratchPool | null = null;
/** FASTWEIGHTS_SCRATCH=0 turns scratch scopes off; FASTWEIGHTS_SCRATCH_POISON=1 poisons released arrays (./settings.ts). */
let scratchEnabled = scratchSetting();
/** The pool outlives its scopes: the next scope reuses what the last one released. */
const pool = new ScratchPool();
pool.poison = scratchPoisonSetting();

/**
 * Runs `fn` with `allocate` drawing from the scratch pool; every array allocated inside is reused
 * after `fn` returns (or throws). Nested scopes join the outer one. `fn` must copy out what it
 * returns or keeps (see `persistent`).
 */
export function withScratch<T>(fn: () => T): T {
  if (scratch !== null || !scratchEnabled) return fn();
  scratch = pool;
  try {
    return fn();
  } finally {
    scratch = null;
    pool.release();
  }
}

/**
 * Gives the blocks that the last scratch scope left for the next one back (to the float32 heap, or
 * to the garbage collector): before a scope whose arrays differ in size from the last one's, so
 * that it takes that memory again instead of more. (A scope that finds no block of a size takes a
 * new one while the last scope's blocks of other sizes sit unused, as long as the heap has room.)
 */
export function giveBackScratch(): void {
  pool.dropFree();
}

/** True inside a scratch scope. */
export function inScratch(): boolean {
  return scratch !== null;
}

/** `data` itself outside a scratch scope; inside one, a copy that outlives the scope. */
export function persistent<A extends FloatArray>(data: A): A {
  return (scratch === null ? data : data.slice()) as A;
}

/**
 * Gives `data` back to the scratch pool before its scope ends, for an array nothing will read again
 * (a gradient the backward walk has used up, a kernel's partial result copied into place), so that
 * a later allocation of the same scope reuses its block: a step's memory is then what it holds at
 * once, not everything it asked for (docs/kernels.md, "Long sequences and WebAssembly memory").
 * Only an array exactly as `allocate` handed it out in this scope (at or after `since`, a
 * `scratchMark()`) goes back; anything else (a subarray, an array from outside a scope) is left
 * alone. Returns whether it went back. In poison mode it is filled with NaN at once.
 */
export function releaseEarly(data: FloatArray, since = 0): boolean {
  return scratch !== null && scratch.releaseEarly(data, since);
}

/**
 * Gives back every array that `allocate` handed out in this scope at or after `since` (a
 * `scratchMark()`), but those in `keep`: for a stretch of work whose arrays are all garbage once it
 * ends (one block of a sequence run in blocks, src/ops/checkpoint.ts), so that the next stretch
 * reuses them. What outlives the stretch must have been allocated before the mark, be kept, or be copied out.
 */
export function releaseScratchSince(since: number, keep: readonly FloatArray[] = []): void {
  scratch?.releaseSince(since, keep);
}

/**
 * Runs `fn` in a scratch scope of its own and returns the most bytes its pooled arrays held at once
 * (blocks handed out, less those given back early; size classes, so up to 25 % above what was asked):
 * how tests check a step's peak memory without reading RSS. Not inside a scope, nor with scopes off.
 */
export function scratchPeakBytes(fn: () => void): number {
  if (scratch !== null || !scratchEnabled) throw new Error('scratchPeakBytes: needs scratch scopes on and no scope already open');
  pool.peak = 0;
  withScratch(fn);
  return pool.peak;
}

/** True when two arrays overlap in memory (one is a view of the other, or both of one block). */
export function sharesMemory(a: FloatArray, b: FloatArray): boolean {
  return a.buffer === b.buffer && a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}

/** A mark for `releaseEarly`: arrays handed out from now on are at or after it. */
export function scratchMark(): number {
  return pool.mark();
}

/** Turn scratch scopes on (the default) or off (every array fresh, as outside a scope). */
export function setScratchEnabled(on: boolean): void {
  scratchEnabled = on;
}

/** Fill released scratch arrays with NaN, and pool arrays of every size (tests: a read after the scope shows up as NaN). */
export function setScratchPoison(on: boolean): void {
  pool.poison = on;
}
