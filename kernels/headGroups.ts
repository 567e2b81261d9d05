/**
 * A scan over N heads run as several calls over groups of heads when one call would move more than
 * HEAD_GROUP_BYTES: every array of a scan's arguments and results is [N, …] (heads are independent),
 * so a group's arrays are subarrays and its results are copied into place. This keeps a WebAssembly
 * kernel call's temporaries bounded on long sequences: at T = 64k, d = 64 one head's q is 16 MiB,
 * and a call over all heads of a layer would need more than the 2 GiB the memory can hold. Each
 * group's results go back to the scratch pool once copied, so the groups share one group's room.
 */
import type { FloatArray } from './types.js';
import { allocLike, releaseEarly } from './alloc.js';

/** Bytes of arguments and results above which a scan call is split by heads. */
export const HEAD_GROUP_BYTES = 256 * 2 ** 20;

type Fields = { [key: string]: unknown };

const isArray = (x: unknown): x is FloatArray => x instanceof Float32Array || x instanceof Float64Array;

/** Float elements of every array in `x` (and in its `forward` result, for a backward). */
function elements(x: Fields): number {
  let n = 0;
  for (const value of Object.values(x)) {
    if (isArray(value)) n += value.length;
    else if (value !== null && typeof value === 'object') n += elements(value as Fields);
  }
  return n;
}

/** The arguments of heads [n0, n1): every array cut to those heads' rows, N set to the count. */
function sliceHeads(args: Fields, N: number, n0: number, n1: number): Fields {
  const out: Fields = {};
  for (const [key, value] of Object.entries(args)) {
    if (key === 'N') out[key] = n1 - n0;
    else if (isArray(value)) out[key] = value.subarray((value.length / N) * n0, (value.length / N) * n1);
    else if (value !== null && typeof value === 'object') out[key] = sliceHeads(value as Fields, N, n0, n1);
    else out[key] = value;
  }
  return out;
}

/**
 * `scan` as one call when its arrays are small, else over groups of heads (at least one head each),
 * the results assembled into arrays of all N heads. Results of every form are the same bits: each
 * head is computed by the same code whatever the grouping.
 */
export function inHeadGroups<A extends { N: number }, R extends object>(scan: (args: A) => R, bytes = HEAD_GROUP_BYTES): (args: A) => R {
  return (args) => {
    const { N } = args;
    // Results are about as large as the arguments: count both.
    const perHead = (2 * elements(args as Fields) * 4) / N;
    const heads = Math.max(1, Math.floor(bytes / perHead));
    if (heads >= N) return scan(args);
    let result: Fields | null = null;
    for (let n0 = 0; n0 < N; n0 += heads) {
      const n1 = Math.min(N, n0 + heads);
      const part = scan(sliceHeads(args as Fields, N, n0, n1) as A) as Fields;
      if (result === null) {
        result = {};
        for (const [key, value] of Object.entries(part)) result[key] = isArray(value) ? allocLike(value, (value.length / (n1 - n0)) * N) : value;
      }
      for (const [key, value] of Object.entries(part)) if (isArray(value)) (result[key] as FloatArray).set(value, (value.length / (n1 - n0)) * n0);
      // Copied into place: the next group's call can take their blocks (inside a scratch scope).
      for (const value of Object.values(part)) if (isArray(value)) releaseEarly(value);
    }
    return result as unknown as R;
  };
}
