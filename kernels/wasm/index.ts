/**
 * The wasm backend: float32 kernels in WebAssembly SIMD (source: ./assembly, AssemblyScript), split
 * over worker threads in Node (./threads.ts). Float64 inputs, and products too small to repay the
 * copy into WebAssembly memory, go to the js backend, which is also the fallback where WebAssembly
 * SIMD is missing. Results are the same bits whatever the thread count (see WasmRuntime.run).
 */
import type { BinaryOp, DeltaScanBackwardArgs, DeltaScanForwardArgs, DeltaScanForwardResult, DeltaScanGrads, FloatArray, KernelBackend, MatmulArgs, SumScanBackwardArgs, SumScanForwardArgs, SumScanForwardResult, SumScanGrads } from '../types.js';
import { allocLike } from '../alloc.js';
import { jsBackend } from '../js/index.js';
import { outerJs } from '../js/outer.js';
import { keepThreshold } from '../reference/arrays.js';
import { wasmRuntime, type WasmRuntime } from './runtime.js';

/** Multiply-adds below which the js kernel is faster than copying into WebAssembly memory. */
const MIN_WASM_MACS = 4096;
/** Multiply-adds (or scan cells T·dk·dv·N) below which a second thread costs more than it saves. */
const MIN_SPLIT_WORK = 1 << 20;
/** Rows of the matmul micro-kernel: row splits fall on whole panels. */
const MATMUL_ROWS = 4;

function allFloat32(...arrays: (FloatArray | null | undefined)[]): boolean {
  return arrays.every((a) => a === null || a === undefined || a instanceof Float32Array);
}

/** The runtime when these arrays can use it, else null (the caller uses js). */
function runtimeFor(...arrays: (FloatArray | null | undefined)[]): WasmRuntime | null {
  return allFloat32(...arrays) ? wasmRuntime() : null;
}

const bit = (b: boolean | undefined) => (b ? 1 : 0);

export function matmulWasm(args: MatmulArgs): void {
  const { batch, m, n, k, aBatchStride, bBatchStride } = args;
  const rt = batch * m * n * k >= MIN_WASM_MACS ? runtimeFor(args.a, args.b, args.out) : null;
  if (rt === null) return jsBackend.matmul(args);
  rt.reset();
  const size = batch * m * n;
  const a = rt.put((args.a as Float32Array).subarray(0, aBatchStride === 0 ? m * k : (batch - 1) * aBatchStride + m * k));
  const b = rt.put((args.b as Float32Array).subarray(0, bBatchStride === 0 ? k * n : (batch - 1) * bBatchStride + k * n));
  // The product is written where args.out lives when that is in the memory (a scratch array), else copied out.
  const target = (args.out as Float32Array).subarray(0, size);
  const out = args.accumulate || rt.heap.holds(target) ? rt.put(target) : rt.alloc(size);
  const common = [a, b, out, aBatchStride, bBatchStride, m, n, k, bit(args.transA), bit(args.transB), bit(args.accumulate)];
  const scratch = rt.kernels.matmulScratchFloats(m, n, k);
  const worth = batch * m * n * k >= MIN_SPLIT_WORK;
  if (batch >= rt.threads || m < 2 * MATMUL_ROWS) {
    rt.run('matmulBatchedF32', (lo, hi) => [...common, lo, hi, 0, m], batch, scratch, worth);
  } else {
    // One big product (or fewer products than threads): split its rows instead.
    for (let bi = 0; bi < batch; bi++) rt.run('matmulBatchedF32', (lo, hi) => [...common, bi, bi + 1, lo, hi], m, scratch, worth, MATMUL_ROWS);
  }
  rt.copyOut(out, size, target);
}

function outerSumWasm(a: FloatArray, c: FloatArray, batch: number, T: number, m: number, n: number): FloatArray {
  const out = allocLike(a, batch * m * n);
  matmulWasm({ a, b: c, out, batch, m, n, k: T, transA: true, transB: false, aBatchStride: T * m, bBatchStride: T * n });
  return out;
}

function sumScanForwardWasm(args: SumScanForwardArgs): SumScanForwardResult {
  const { N, T, dk, dv, normalise } = args;
  const rt = runtimeFor(args.q, args.k, args.v, args.initialState, args.initialZ);
  if (rt === null) return jsBackend.sumScanForward(args);
  rt.reset();
  const [q, k, v] = [rt.put(args.q as Float32Array), rt.put(args.k as Float32Array), rt.put(args.v as Float32Array)];
  const initialState = rt.put(args.initialState as Float32Array | null);
  const initialZ = normalise ? rt.put(args.initialZ as Float32Array | null) : 0;
  const y = rt.output(N * T * dv), finalState = rt.output(N * dv * dk), finalZ = normalise ? rt.output(N * dk) : 0;
  const common = [q, k, v, y, finalState, finalZ, initialState, initialZ, T, dk, dv, bit(normalise), args.eps];
  rt.run('sumScanForwardF32', (lo, hi) => [...common, lo, hi], N, rt.kernels.sumScanScratchFloats(dk, dv), N * T * dk * dv >= MIN_SPLIT_WORK);
  return { y: rt.take(y, N * T * dv), finalState: rt.take(finalState, N * dv * dk), finalZ: normalise ? rt.take(finalZ, N * dk) : null };
}

function sumScanBackwardWasm(args: SumScanBackwardArgs): SumScanGrads {
  const { N, T, dk, dv, normalise, forward } = args;
  const rt = runtimeFor(args.q, args.k, args.v, args.dy, args.dFinalState, args.dFinalZ, forward.y);
  if (rt === null) return jsBackend.sumScanBackward(args);
  rt.reset();
  const [q, k, v] = [rt.put(args.q as Float32Array), rt.put(args.k as Float32Array), rt.put(args.v as Float32Array)];
  const y = normalise ? rt.put(forward.y as Float32Array) : 0;
  const finalState = rt.put(forward.finalState as Float32Array);
  const finalZ = normalise ? rt.put(forward.finalZ as Float32Array) : 0;
  const dy = rt.put(args.dy as Float32Array);
  const dFinalState = rt.put(args.dFinalState as Float32Array | null);
  const dFinalZ = normalise ? rt.put(args.dFinalZ as Float32Array | null) : 0;
  const dq = rt.output(N * T * dk), dkOut = rt.output(N * T * dk), dvOut = rt.output(N * T * dv);
  const dInitialState = args.initialState ? rt.output(N * dv * dk) : 0;
  const dInitialZ = args.initialZ ? rt.output(N * dk) : 0;
  const common = [q, k, v, y, finalState, finalZ, dy, dFinalState, dFinalZ, dq, dkOut, dvOut, dInitialState, dInitialZ, T, dk, dv, bit(normalise), args.eps];
  rt.run('sumScanBackwardF32', (lo, hi) => [...common, lo, hi], N, rt.kernels.sumScanScratchFloats(dk, dv), N * T * dk * dv >= MIN_SPLIT_WORK);
  return {
    dq: rt.take(dq, N * T * dk),
    dk: rt.take(dkOut, N * T * dk),
    dv: rt.take(dvOut, N * T * dv),
    dInitialState: args.initialState ? rt.take(dInitialState, N * dv * dk) : null,
    // dz_0 exists only when z_0 was given; without normalisation it is zero (z plays no part).
    dInitialZ: args.initialZ ? (normalise ? rt.take(dInitialZ, N * dk) : new Float32Array(N * dk)) : null,
  };
}

function deltaScanForwardWasm(args: DeltaScanForwardArgs): DeltaScanForwardResult {
  const { N, T, dk, dv } = args;
  const rt = runtimeFor(args.q, args.k, args.v, args.beta, args.initialState);
  if (rt === null) return jsBackend.deltaScanForward(args);
  rt.reset();
  const [q, k, v, beta] = [rt.put(args.q as Float32Array), rt.put(args.k as Float32Array), rt.put(args.v as Float32Array), rt.put(args.beta as Float32Array)];
  const initialState = rt.put(args.initialState as Float32Array | null);
  const y = rt.output(N * T * dv), finalState = rt.output(N * dv * dk), writes = rt.output(N * T * dv), retrieved = rt.output(N * T * dv);
  const common = [q, k, v, beta, y, finalState, writes, retrieved, initialState, T, dk, dv];
  rt.run('deltaScanForwardF32', (lo, hi) => [...common, lo, hi], N, rt.kernels.deltaScanScratchFloats(dk, dv), N * T * dk * dv >= MIN_SPLIT_WORK);
  return { y: rt.take(y, N * T * dv), finalState: rt.take(finalState, N * dv * dk), writes: rt.take(writes, N * T * dv), retrieved: rt.take(retrieved, N * T * dv) };
}

function deltaScanBackwardWasm(args: DeltaScanBackwardArgs): DeltaScanGrads {
  const { N, T, dk, dv, forward } = args;
  const rt = runtimeFor(args.q, args.k, args.v, args.beta, args.dy, args.dFinalState, forward.writes);
  if (rt === null) return jsBackend.deltaScanBackward(args);
  rt.reset();
  const [q, k, v, beta] = [rt.put(args.q as Float32Array), rt.put(args.k as Float32Array), rt.put(args.v as Float32Array), rt.put(args.beta as Float32Array)];
  const finalState = rt.put(forward.finalState as Float32Array);
  const writes = rt.put(forward.writes as Float32Array), retrieved = rt.put(forward.retrieved as Float32Array);
  const dy = rt.put(args.dy as Float32Array), dFinalState = rt.put(args.dFinalState as Float32Array | null);
  const dq = rt.output(N * T * dk), dkOut = rt.output(N * T * dk), dvOut = rt.output(N * T * dv), dbeta = rt.output(N * T);
  const dInitialState = args.initialState ? rt.output(N * dv * dk) : 0;
  const common = [q, k, v, beta, finalState, writes, retrieved, dy, dFinalState, dq, dkOut, dvOut, dbeta, dInitialState, T, dk, dv];
  rt.run('deltaScanBackwardF32', (lo, hi) => [...common, lo, hi], N, rt.kernels.deltaScanScratchFloats(dk, dv), N * T * dk * dv >= MIN_SPLIT_WORK);
  return {
    dq: rt.take(dq, N * T * dk),
    dk: rt.take(dkOut, N * T * dk),
    dv: rt.take(dvOut, N * T * dv),
    dbeta: rt.take(dbeta, N * T),
    dInitialState: args.initialState ? rt.take(dInitialState, N * dv * dk) : null,
  };
}

/** Elements below which an elementwise op stays in js (the copies in and out would dominate). */
const MIN_WASM_ELEMENTS = 256;

/** y = f(x) elementwise by wasm kernel `name`, or by `fallback` for float64 and tiny arrays. */
function elementwise(name: 'geluF32' | 'eluPlusOneF32', fallback: (x: FloatArray) => FloatArray) {
  return (x: FloatArray): FloatArray => {
    const rt = x.length >= MIN_WASM_ELEMENTS ? runtimeFor(x) : null;
    if (rt === null) return fallback(x);
    rt.reset();
    const input = rt.put(x as Float32Array), output = rt.output(x.length);
    rt.run(name, (lo, hi) => [input, output, lo, hi], x.length, 0, x.length >= MIN_SPLIT_WORK, 4);
    return rt.take(output, x.length);
  };
}

function geluBackwardWasm(x: FloatArray, g: FloatArray): FloatArray {
  const rt = x.length >= MIN_WASM_ELEMENTS ? runtimeFor(x, g) : null;
  if (rt === null) return jsBackend.geluBackward(x, g);
  rt.reset();
  const input = rt.put(x as Float32Array), grad = rt.put(g as Float32Array), output = rt.output(x.length);
  rt.run('geluBackwardF32', (lo, hi) => [input, grad, output, lo, hi], x.length, 0, x.length >= MIN_SPLIT_WORK, 4);
  return rt.take(output, x.length);
}

function softmaxRowsWasm(x: FloatArray, rows: number, C: number): { probs: FloatArray; logSumExp: FloatArray } {
  const rt = rows * C >= MIN_WASM_ELEMENTS ? runtimeFor(x) : null;
  if (rt === null) return jsBackend.softmaxRows(x, rows, C);
  rt.reset();
  const input = rt.put((x as Float32Array).subarray(0, rows * C)), probs = rt.output(rows * C), logSumExp = rt.output(rows);
  rt.run('softmaxRowsF32', (lo, hi) => [input, probs, logSumExp, C, lo, hi], rows, 0, rows * C >= MIN_SPLIT_WORK);
  return { probs: rt.take(probs, rows * C), logSumExp: rt.take(logSumExp, rows) };
}

function layerNormRowsWasm(x: FloatArray, weight: FloatArray, bias: FloatArray, rows: number, D: number, eps: number): { out: FloatArray; xhat: FloatArray; rstd: FloatArray } {
  const rt = rows * D >= MIN_WASM_ELEMENTS ? runtimeFor(x, weight, bias) : null;
  if (rt === null) return jsBackend.layerNormRows(x, weight, bias, rows, D, eps);
  rt.reset();
  const input = rt.put((x as Float32Array).subarray(0, rows * D)), w = rt.put(weight as Float32Array), b = rt.put(bias as Float32Array);
  const out = rt.output(rows * D), xhat = rt.output(rows * D), rstd = rt.output(rows);
  rt.run('layerNormRowsF32', (lo, hi) => [input, w, b, out, xhat, rstd, D, eps, lo, hi], rows, 0, rows * D >= MIN_SPLIT_WORK);
  return { out: rt.take(out, rows * D), xhat: rt.take(xhat, rows * D), rstd: rt.take(rstd, rows) };
}

function layerNormRowsBackwardWasm(g: FloatArray, xhat: FloatArray, rstd: FloatArray, weight: FloatArray, rows: number, D: number): { dx: FloatArray; dWeight: FloatArray; dBias: FloatArray } {
  const rt = rows * D >= MIN_WASM_ELEMENTS ? runtimeFor(g, xhat, rstd, weight) : null;
  if (rt === null) return jsBackend.layerNormRowsBackward(g, xhat, rstd, weight, rows, D);
  rt.reset();
  const grad = rt.put((g as Float32Array).subarray(0, rows * D)), h = rt.put((xhat as Float32Array).subarray(0, rows * D));
  const rs = rt.put((rstd as Float32Array).subarray(0, rows)), w = rt.put(weight as Float32Array);
  const dx = rt.output(rows * D), dw = rt.output(D), db = rt.output(D);
  // One thread: dWeight and dBias are sums over all rows, kept in row order (the same bits for any thread count).
  rt.run('layerNormRowsBackwardF32', (lo, hi) => [grad, h, rs, w, dx, dw, db, D, lo, hi], rows, 0, false);
  return { dx: rt.take(dx, rows * D), dWeight: rt.take(dw, D), dBias: rt.take(db, D) };
}

/**
 * Elements below which an array pass stays in js: a wasm call costs about a microsecond (copies,
 * argument lists), what the js loops take for a few hundred elements at 2–6 ns each.
 */
const MIN_WASM_ARRAY = 512;
const OP_CODES: Record<BinaryOp, number> = { add: 0, sub: 1, mul: 2, div: 3 };

function binaryWasm(op: BinaryOp, a: FloatArray, aPeriod: number, b: FloatArray, bPeriod: number, n: number): FloatArray {
  const rt = n >= MIN_WASM_ARRAY ? runtimeFor(a, b) : null;
  if (rt === null) return jsBackend.binary(op, a, aPeriod, b, bPeriod, n);
  rt.reset();
  const pa = rt.put((a as Float32Array).subarray(0, aPeriod)), pb = rt.put((b as Float32Array).subarray(0, bPeriod)), out = rt.output(n);
  rt.run('binaryF32', (lo, hi) => [OP_CODES[op], pa, aPeriod, pb, bPeriod, out, lo, hi], n, 0, n >= MIN_SPLIT_WORK, 4);
  return rt.take(out, n);
}

function sumRowsWasm(x: FloatArray, rows: number, cols: number): FloatArray {
  const rt = rows * cols >= MIN_WASM_ARRAY ? runtimeFor(x) : null;
  if (rt === null) return jsBackend.sumRows(x, rows, cols);
  rt.reset();
  const input = rt.put((x as Float32Array).subarray(0, rows * cols)), out = rt.output(cols);
  // Split by columns: each column is summed by one thread, in row order.
  rt.run('sumRowsF32', (lo, hi) => [input, rows, cols, out, lo, hi], cols, 0, rows * cols >= MIN_SPLIT_WORK, 4);
  return rt.take(out, cols);
}

function runsWasm(kernel: 'gatherRunsF32' | 'scatterRunsF32', fallback: KernelBackend['gatherRuns']) {
  return (x: FloatArray, index: Int32Array, run: number): FloatArray => {
    const n = index.length * run;
    const rt = n >= MIN_WASM_ARRAY ? runtimeFor(x) : null;
    if (rt === null) return fallback(x, index, run);
    rt.reset();
    const input = rt.put((x as Float32Array).subarray(0, n)), map = rt.putInt32(index), out = rt.output(n);
    rt.run(kernel, (lo, hi) => [input, map, run, out, lo, hi], index.length, 0, n >= MIN_SPLIT_WORK);
    return rt.take(out, n);
  };
}

function dropoutWasm(x: FloatArray, p: number, scale: number, state: Uint32Array): { out: FloatArray; mask: FloatArray } {
  const n = x.length;
  const rt = n >= MIN_WASM_ARRAY ? runtimeFor(x) : null;
  if (rt === null) return jsBackend.dropout(x, p, scale, state);
  rt.reset();
  const input = rt.put(x as Float32Array), out = rt.output(n), mask = rt.output(n), words = rt.putInt32(state);
  // One thread: the draws are one sequence.
  rt.kernels.dropoutF32(input, out, mask, n, keepThreshold(p), scale, words);
  state.set(new Uint32Array(rt.memory.buffer, words, 4));
  return { out: rt.take(out, n), mask: rt.take(mask, n) };
}

function maskedSoftmaxWasm(scores: FloatArray, blocked: FloatArray | null, scale: number, B: number, H: number, T: number, S: number): FloatArray {
  const n = B * H * T * S;
  const rt = n >= MIN_WASM_ARRAY ? runtimeFor(scores, blocked) : null;
  if (rt === null) return jsBackend.maskedSoftmax(scores, blocked, scale, B, H, T, S);
  rt.reset();
  const input = rt.put((scores as Float32Array).subarray(0, n)), mask = rt.put(blocked as Float32Array | null), probs = rt.output(n);
  rt.run('maskedSoftmaxF32', (lo, hi) => [input, mask, scale, H, T, S, probs, lo, hi], B * H, 0, n >= MIN_SPLIT_WORK);
  return rt.take(probs, n);
}

function maskedSoftmaxBackwardWasm(dP: FloatArray, P: FloatArray, blocked: FloatArray | null, scale: number, B: number, H: number, T: number, S: number): FloatArray {
  const n = B * H * T * S;
  const rt = n >= MIN_WASM_ARRAY ? runtimeFor(dP, P, blocked) : null;
  if (rt === null) return jsBackend.maskedSoftmaxBackward(dP, P, blocked, scale, B, H, T, S);
  rt.reset();
  const g = rt.put((dP as Float32Array).subarray(0, n)), p = rt.put((P as Float32Array).subarray(0, n)), mask = rt.put(blocked as Float32Array | null), dS = rt.output(n);
  rt.run('maskedSoftmaxBackwardF32', (lo, hi) => [g, p, mask, scale, H, T, S, dS, lo, hi], B * H, 0, n >= MIN_SPLIT_WORK);
  return rt.take(dS, n);
}

function crossEntropyRowsWasm(logits: FloatArray, targets: Int32Array, rows: number, C: number, eps: number): { probs: FloatArray; logSumExp: FloatArray; losses: FloatArray } {
  const rt = rows * C >= MIN_WASM_ARRAY ? runtimeFor(logits) : null;
  if (rt === null) return jsBackend.crossEntropyRows(logits, targets, rows, C, eps);
  rt.reset();
  const x = rt.put((logits as Float32Array).subarray(0, rows * C)), t = rt.putInt32(targets);
  const probs = rt.output(rows * C), lse = rt.output(rows), losses = rt.output(rows);
  rt.run('crossEntropyRowsF32', (lo, hi) => [x, t, C, eps, probs, lse, losses, lo, hi], rows, 0, rows * C >= MIN_SPLIT_WORK);
  return { probs: rt.take(probs, rows * C), logSumExp: rt.take(lse, rows), losses: rt.take(losses, rows) };
}

function crossEntropyRowsBackwardWasm(probs: FloatArray, targets: Int32Array, rowScale: FloatArray, rows: number, C: number, eps: number): FloatArray {
  const rt = rows * C >= MIN_WASM_ARRAY ? runtimeFor(probs, rowScale) : null;
  if (rt === null) return jsBackend.crossEntropyRowsBackward(probs, targets, rowScale, rows, C, eps);
  rt.reset();
  const p = rt.put((probs as Float32Array).subarray(0, rows * C)), t = rt.putInt32(targets), s = rt.put(rowScale as Float32Array), gx = rt.output(rows * C);
  rt.run('crossEntropyRowsBackwardF32', (lo, hi) => [p, t, s, C, eps, gx, lo, hi], rows, 0, rows * C >= MIN_SPLIT_WORK);
  return rt.take(gx, rows * C);
}

export const wasmBackend: KernelBackend = {
  name: 'wasm',
  matmul: matmulWasm,
  outer: outerJs, // one multiply per element written: copying into WebAssembly memory would cost more
  outerSum: outerSumWasm,
  sumScanForward: sumScanForwardWasm,
  sumScanBackward: sumScanBackwardWasm,
  deltaScanForward: deltaScanForwardWasm,
  deltaScanBackward: deltaScanBackwardWasm,
  gelu: elementwise('geluF32', jsBackend.gelu),
  geluBackward: geluBackwardWasm,
  eluPlusOne: elementwise('eluPlusOneF32', jsBackend.eluPlusOne),
  softmaxRows: softmaxRowsWasm,
  layerNormRows: layerNormRowsWasm,
  layerNormRowsBackward: layerNormRowsBackwardWasm,
  binary: binaryWasm,
  sumRows: sumRowsWasm,
  gatherRuns: runsWasm('gatherRunsF32', jsBackend.gatherRuns),
  scatterRuns: runsWasm('scatterRunsF32', jsBackend.scatterRuns),
  dropout: dropoutWasm,
  maskedSoftmax: maskedSoftmaxWasm,
  maskedSoftmaxBackward: maskedSoftmaxBackwardWasm,
  crossEntropyRows: crossEntropyRowsWasm,
  crossEntropyRowsBackward: crossEntropyRowsBackwardWasm,
};

/** True when the WebAssembly SIMD kernels load here (else the wasm backend runs the js kernels). */
export function wasmAvailable(): boolean {
  return wasmRuntime() !== null;
}
