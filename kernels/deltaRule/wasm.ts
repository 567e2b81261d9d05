/** The delta-rule scan in WebAssembly SIMD (float32), heads split over threads; the js scan for float64. */
import type { DeltaScanBackwardArgs, DeltaScanForwardArgs, DeltaScanForwardResult, DeltaScanGrads } from '../types.js';
import { MIN_SPLIT_WORK, runtimeFor } from '../wasm/call.js';
import { deltaScanBackwardJs, deltaScanForwardJs } from './js.js';

export function deltaScanForwardWasm(args: DeltaScanForwardArgs): DeltaScanForwardResult {
  const { N, T, dk, dv } = args;
  const rt = runtimeFor(args.q, args.k, args.v, args.beta, args.initialState);
  if (rt === null) return deltaScanForwardJs(args);
  rt.reset();
  const [q, k, v, beta] = [rt.put(args.q as Float32Array), rt.put(args.k as Float32Array), rt.put(args.v as Float32Array), rt.put(args.beta as Float32Array)];
  const initialState = rt.put(args.initialState as Float32Array | null);
  const y = rt.output(N * T * dv), finalState = rt.output(N * dv * dk), writes = rt.output(N * T * dv), retrieved = rt.output(N * T * dv);
  const common = [q, k, v, beta, y, finalState, writes, retrieved, initialState, T, dk, dv];
  rt.run('deltaScanForwardF32', (lo, hi) => [...common, lo, hi], N, rt.kernels.deltaScanScratchFloats(dk, dv), N * T * dk * dv >= MIN_SPLIT_WORK);
  return { y: rt.take(y, N * T * dv), finalState: rt.take(finalState, N * dv * dk), writes: rt.take(writes, N * T * dv), retrieved: rt.take(retrieved, N * T * dv) };
}

export function deltaScanBackwardWasm(args: DeltaScanBackwardArgs): DeltaScanGrads {
  const { N, T, dk, dv, forward } = args;
  const rt = runtimeFor(args.q, args.k, args.v, args.beta, args.dy, args.dFinalState, forward.writes);
  if (rt === null) return deltaScanBackwardJs(args);
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
