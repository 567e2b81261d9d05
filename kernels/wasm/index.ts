/**
 * The wasm backend: float32 kernels in WebAssembly SIMD (source: ./assembly, AssemblyScript), split
 * over worker threads in Node (./threads.ts). Float64 inputs, and products too small to repay the
 * copy into WebAssembly memory, go to the js backend, which is also the fallback where WebAssembly
 * SIMD is missing. Results are the same bits whatever the thread count (see WasmRuntime.run).
 */
import type { AdamStep, BinaryOp, DeltaScanBackwardArgs, DeltaScanForwardArgs, DeltaScanForwardResult, DeltaScanGrads, FloatArray, KernelBackend, MatmulArgs, SumScanBackwardArgs, SumScanForwardArgs, SumScanForwardResult, SumScanGrads } from '../types.js';
import { allocLike } from '../alloc.js';
import { jsBackend } from '../js/index.js';
import { outerJs } from '../js/outer.js';
import { dropoutLanes, keepThreshold } from '../reference/arrays.js';
import { wasmRuntime, type KernelName, type WasmRuntime } from './runtime.js';

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

/**
 * One elementwise or row-wise kernel call: the inputs put in (null: pointer 0; Int32Arrays as
 * integers), room for outputs of the given lengths, the kernel run over items [0, items) (split over
 * threads when `elements` is large enough, unless `split` is false), the outputs taken out.
 * `argsFor` gets the inputs' pointers, then the outputs', then the range; each thread's call gets `scratchFloats` of scratch.
 */
function pass(rt: WasmRuntime, name: KernelName, inputs: (FloatArray | Int32Array | null)[], outputs: number[], items: number, elements: number,
  argsFor: (p: number[], lo: number, hi: number) => number[], align = 1, split = true, scratchFloats = 0): Float32Array[] {
  rt.reset();
  const p = [...inputs.map((a) => (a instanceof Int32Array ? rt.putInt32(a) : rt.put(a as Float32Array | null))), ...outputs.map((n) => rt.output(n))];
  rt.run(name, (lo, hi) => argsFor(p, lo, hi), items, scratchFloats, split && elements >= MIN_SPLIT_WORK, align);
  return outputs.map((n, i) => rt.take(p[inputs.length + i]!, n));
}

/**
 * Elements below which an elementwise op or array pass stays in js: a wasm call costs about a
 * microsecond (copies, argument lists), what the js loops take for a few hundred elements at 2–6 ns each.
 */
const MIN_WASM_ELEMENTS = 512;

/** y = f(x) elementwise by wasm kernel `name`, or by `fallback` for float64 and tiny arrays. */
function elementwise(name: 'geluF32' | 'eluPlusOneF32', fallback: (x: FloatArray) => FloatArray) {
  return (x: FloatArray): FloatArray => {
    const n = x.length, rt = n >= MIN_WASM_ELEMENTS ? runtimeFor(x) : null;
    if (rt === null) return fallback(x);
    return pass(rt, name, [x], [n], n, n, ([i, o], lo, hi) => [i!, o!, lo, hi], 4)[0]!;
  };
}

function geluWithSlopeWasm(x: FloatArray): { y: FloatArray; slope: FloatArray } {
  const n = x.length, rt = n >= MIN_WASM_ELEMENTS ? runtimeFor(x) : null;
  if (rt === null) return jsBackend.geluWithSlope(x);
  const [y, slope] = pass(rt, 'geluWithSlopeF32', [x], [n, n], n, n, ([i, o, s], lo, hi) => [i!, o!, s!, lo, hi], 4);
  return { y: y!, slope: slope! };
}

function softmaxRowsWasm(x: FloatArray, rows: number, C: number): { probs: FloatArray; logSumExp: FloatArray } {
  const n = rows * C, rt = n >= MIN_WASM_ELEMENTS ? runtimeFor(x) : null;
  if (rt === null) return jsBackend.softmaxRows(x, rows, C);
  const [probs, logSumExp] = pass(rt, 'softmaxRowsF32', [x.subarray(0, n)], [n, rows], rows, n, ([i, p, l], lo, hi) => [i!, p!, l!, C, lo, hi]);
  return { probs: probs!, logSumExp: logSumExp! };
}

function layerNormRowsWasm(x: FloatArray, weight: FloatArray, bias: FloatArray, rows: number, D: number, eps: number): { out: FloatArray; xhat: FloatArray; rstd: FloatArray } {
  const n = rows * D, rt = n >= MIN_WASM_ELEMENTS ? runtimeFor(x, weight, bias) : null;
  if (rt === null) return jsBackend.layerNormRows(x, weight, bias, rows, D, eps);
  const [out, xhat, rstd] = pass(rt, 'layerNormRowsF32', [x.subarray(0, n), weight, bias], [n, n, rows], rows, n, ([i, w, b, o, h, r], lo, hi) => [i!, w!, b!, o!, h!, r!, D, eps, lo, hi]);
  return { out: out!, xhat: xhat!, rstd: rstd! };
}

function layerNormRowsBackwardWasm(g: FloatArray, xhat: FloatArray, rstd: FloatArray, weight: FloatArray, rows: number, D: number): { dx: FloatArray; dWeight: FloatArray; dBias: FloatArray } {
  const n = rows * D, rt = n >= MIN_WASM_ELEMENTS ? runtimeFor(g, xhat, rstd, weight) : null;
  if (rt === null) return jsBackend.layerNormRowsBackward(g, xhat, rstd, weight, rows, D);
  // One thread: dWeight and dBias are sums over all rows, kept in row order (the same bits for any thread count).
  const [dx, dWeight, dBias] = pass(rt, 'layerNormRowsBackwardF32', [g.subarray(0, n), xhat.subarray(0, n), rstd.subarray(0, rows), weight], [n, D, D], rows, n,
    ([gr, h, r, w, x, dw, db], lo, hi) => [gr!, h!, r!, w!, x!, dw!, db!, D, lo, hi], 1, false);
  return { dx: dx!, dWeight: dWeight!, dBias: dBias! };
}

const OP_CODES: Record<BinaryOp, number> = { add: 0, sub: 1, mul: 2, div: 3 };

/** binaryF32's scratch: a scalar operand splatted (4 floats each for a and b). */
const BINARY_SCRATCH_FLOATS = 8;

function binaryWasm(op: BinaryOp, a: FloatArray, aPeriod: number, b: FloatArray, bPeriod: number, n: number): FloatArray {
  const rt = n >= MIN_WASM_ELEMENTS ? runtimeFor(a, b) : null;
  if (rt === null) return jsBackend.binary(op, a, aPeriod, b, bPeriod, n);
  return pass(rt, 'binaryF32', [a.subarray(0, aPeriod), b.subarray(0, bPeriod)], [n], n, n, ([pa, pb, o], lo, hi) => [OP_CODES[op], pa!, aPeriod, pb!, bPeriod, o!, lo, hi], 4, true, BINARY_SCRATCH_FLOATS)[0]!;
}

function sumRowsWasm(x: FloatArray, rows: number, cols: number): FloatArray {
  const n = rows * cols, rt = n >= MIN_WASM_ELEMENTS ? runtimeFor(x) : null;
  if (rt === null) return jsBackend.sumRows(x, rows, cols);
  // Split by columns: each column is summed by one thread, in row order.
  return pass(rt, 'sumRowsF32', [x.subarray(0, n)], [cols], cols, n, ([i, o], lo, hi) => [i!, rows, cols, o!, lo, hi], 4)[0]!;
}

function runsWasm(kernel: 'gatherRunsF32' | 'scatterRunsF32', fallback: KernelBackend['gatherRuns']) {
  return (x: FloatArray, index: Int32Array, run: number): FloatArray => {
    const n = index.length * run, rt = n >= MIN_WASM_ELEMENTS ? runtimeFor(x) : null;
    if (rt === null) return fallback(x, index, run);
    return pass(rt, kernel, [x.subarray(0, n), index], [n], index.length, n, ([i, map, o], lo, hi) => [i!, map!, run, o!, lo, hi])[0]!;
  };
}

function dropoutWasm(x: FloatArray, p: number, scale: number, state: Uint32Array): { out: FloatArray; mask: FloatArray } {
  const n = x.length;
  const rt = n >= MIN_WASM_ELEMENTS ? runtimeFor(x) : null;
  if (rt === null) return jsBackend.dropout(x, p, scale, state);
  rt.reset();
  const input = rt.put(x as Float32Array), out = rt.output(n), mask = rt.output(n), lanes = rt.putInt32(dropoutLanes(state));
  // One thread: each lane's draws are one sequence.
  rt.kernels.dropoutF32(input, out, mask, n, keepThreshold(p), scale, lanes);
  return { out: rt.take(out, n), mask: rt.take(mask, n) };
}

function maskedSoftmaxWasm(scores: FloatArray, blocked: FloatArray | null, scale: number, B: number, H: number, T: number, S: number): FloatArray {
  const n = B * H * T * S, rt = n >= MIN_WASM_ELEMENTS ? runtimeFor(scores, blocked) : null;
  if (rt === null) return jsBackend.maskedSoftmax(scores, blocked, scale, B, H, T, S);
  return pass(rt, 'maskedSoftmaxF32', [scores.subarray(0, n), blocked], [n], B * H, n, ([i, m, o], lo, hi) => [i!, m!, scale, H, T, S, o!, lo, hi])[0]!;
}

function maskedSoftmaxBackwardWasm(dP: FloatArray, P: FloatArray, blocked: FloatArray | null, scale: number, B: number, H: number, T: number, S: number): FloatArray {
  const n = B * H * T * S, rt = n >= MIN_WASM_ELEMENTS ? runtimeFor(dP, P, blocked) : null;
  if (rt === null) return jsBackend.maskedSoftmaxBackward(dP, P, blocked, scale, B, H, T, S);
  return pass(rt, 'maskedSoftmaxBackwardF32', [dP.subarray(0, n), P.subarray(0, n), blocked], [n], B * H, n, ([g, p, m, o], lo, hi) => [g!, p!, m!, scale, H, T, S, o!, lo, hi])[0]!;
}

function crossEntropyRowsWasm(logits: FloatArray, targets: Int32Array, rows: number, C: number, eps: number): { probs: FloatArray; logSumExp: FloatArray; losses: FloatArray } {
  const n = rows * C, rt = n >= MIN_WASM_ELEMENTS ? runtimeFor(logits) : null;
  if (rt === null) return jsBackend.crossEntropyRows(logits, targets, rows, C, eps);
  const [probs, logSumExp, losses] = pass(rt, 'crossEntropyRowsF32', [logits.subarray(0, n), targets], [n, rows, rows], rows, n, ([x, t, p, l, o], lo, hi) => [x!, t!, C, eps, p!, l!, o!, lo, hi]);
  return { probs: probs!, logSumExp: logSumExp!, losses: losses! };
}

function crossEntropyRowsBackwardWasm(probs: FloatArray, targets: Int32Array, rowScale: FloatArray, rows: number, C: number, eps: number): FloatArray {
  const n = rows * C, rt = n >= MIN_WASM_ELEMENTS ? runtimeFor(probs, rowScale) : null;
  if (rt === null) return jsBackend.crossEntropyRowsBackward(probs, targets, rowScale, rows, C, eps);
  return pass(rt, 'crossEntropyRowsBackwardF32', [probs.subarray(0, n), targets, rowScale], [n], rows, n, ([p, t, sc, o], lo, hi) => [p!, t!, sc!, C, eps, o!, lo, hi])[0]!;
}

function eluPlusOneBackwardWasm(x: FloatArray, out: FloatArray, g: FloatArray): FloatArray {
  const n = g.length, rt = n >= MIN_WASM_ELEMENTS ? runtimeFor(x, out, g) : null;
  if (rt === null) return jsBackend.eluPlusOneBackward(x, out, g);
  return pass(rt, 'eluPlusOneBackwardF32', [x, out, g], [n], n, n, ([i, o, gr, dx], lo, hi) => [i!, o!, gr!, dx!, lo, hi], 4)[0]!;
}

function sumNormaliseRowsWasm(x: FloatArray, rows: number, D: number, eps: number): { out: FloatArray; sums: FloatArray } {
  const n = rows * D, rt = n >= MIN_WASM_ELEMENTS ? runtimeFor(x) : null;
  if (rt === null) return jsBackend.sumNormaliseRows(x, rows, D, eps);
  const [out, sums] = pass(rt, 'sumNormaliseRowsF32', [x.subarray(0, n)], [n, rows], rows, n, ([i, o, sm], lo, hi) => [i!, D, eps, o!, sm!, lo, hi]);
  return { out: out!, sums: sums! };
}

function sumNormaliseRowsBackwardWasm(g: FloatArray, out: FloatArray, sums: FloatArray, rows: number, D: number): FloatArray {
  const n = rows * D, rt = n >= MIN_WASM_ELEMENTS ? runtimeFor(g, out, sums) : null;
  if (rt === null) return jsBackend.sumNormaliseRowsBackward(g, out, sums, rows, D);
  return pass(rt, 'sumNormaliseRowsBackwardF32', [g.subarray(0, n), out.subarray(0, n), sums], [n], rows, n, ([gr, o, sm, dx], lo, hi) => [gr!, o!, sm!, D, dx!, lo, hi])[0]!;
}

/** Adam(W) in place: the js loop's float64 arithmetic two parameters at a time, the same bits. */
function adamStepWasm(p: FloatArray, grad: FloatArray, m: FloatArray, v: FloatArray, h: AdamStep): void {
  const n = p.length, rt = n >= MIN_WASM_ELEMENTS ? runtimeFor(p, grad, m, v) : null;
  if (rt === null) return jsBackend.adamStep(p, grad, m, v, h);
  rt.reset();
  const [pp, gp, mp, vp] = [p, grad.subarray(0, n), m, v].map((a) => rt.put(a as Float32Array));
  const constants = [h.beta1, h.beta2, h.eps, h.stepSize, h.inverseCorrection2, h.l2, h.shrink];
  rt.run('adamStepF32', (lo, hi) => [pp!, gp!, mp!, vp!, ...constants, lo, hi], n, 0, n >= MIN_SPLIT_WORK, 2);
  rt.copyOut(pp!, n, p as Float32Array);
  rt.copyOut(mp!, n, m as Float32Array);
  rt.copyOut(vp!, n, v as Float32Array);
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
  geluWithSlope: geluWithSlopeWasm,
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
  eluPlusOneBackward: eluPlusOneBackwardWasm,
  sumNormaliseRows: sumNormaliseRowsWasm,
  sumNormaliseRowsBackward: sumNormaliseRowsBackwardWasm,
  adamStep: adamStepWasm,
};

/** True when the WebAssembly SIMD kernels load here (else the wasm backend runs the js kernels). */
export function wasmAvailable(): boolean {
  return wasmRuntime() !== null;
}

/** True when the matmul runs fused multiply-adds (relaxed SIMD here, FASTWEIGHTS_RELAXED_SIMD not 0). */
export function wasmFusedMultiplyAdd(): boolean {
  return wasmRuntime()?.fused ?? false;
}
