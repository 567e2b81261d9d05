/** The sum-rule scan in WebAssembly SIMD (float32), heads split over threads; the js scan for float64. */
import type { SumScanBackwardArgs, SumScanForwardArgs, SumScanForwardResult, SumScanGrads } from '../types.js';
import { bit, MIN_SPLIT_WORK, runtimeFor } from '../wasm/call.js';
import { sumScanBackwardJs, sumScanForwardJs } from './js.js';

export function sumScanForwardWasm(args: SumScanForwardArgs): SumScanForwardResult {
  const { N, T, dk, dv, normalise } = args;
  const rt = runtimeFor(args.q, args.k, args.v, args.initialState, args.initialZ);
  if (rt === null) return sumScanForwardJs(args);
  rt.reset();
  const [q, k, v] = [rt.put(args.q as Float32Array), rt.put(args.k as Float32Array), rt.put(args.v as Float32Array)];
  const initialState = rt.put(args.initialState as Float32Array | null);
  const initialZ = normalise ? rt.put(args.initialZ as Float32Array | null) : 0;
  const y = rt.output(N * T * dv), finalState = rt.output(N * dv * dk), finalZ = normalise ? rt.output(N * dk) : 0;
  const common = [q, k, v, y, finalState, finalZ, initialState, initialZ, T, dk, dv, bit(normalise), args.eps];
  rt.run('sumScanForwardF32', (lo, hi) => [...common, lo, hi], N, rt.kernels.sumScanScratchFloats(dk, dv), N * T * dk * dv >= MIN_SPLIT_WORK);
  return { y: rt.take(y, N * T * dv), finalState: rt.take(finalState, N * dv * dk), finalZ: normalise ? rt.take(finalZ, N * dk) : null };
}

export function sumScanBackwardWasm(args: SumScanBackwardArgs): SumScanGrads {
  const { N, T, dk, dv, normalise, forward } = args;
  const rt = runtimeFor(args.q, args.k, args.v, args.dy, args.dFinalState, args.dFinalZ, forward.y);
  if (rt === null) return sumScanBackwardJs(args);
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
