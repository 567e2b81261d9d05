/** Float64 reference matmul: three loops, written for clarity. See MatmulArgs in ../types.ts. */
import type { MatmulArgs } from '../types.js';

export function matmulReference(args: MatmulArgs): void {
  const { a, b, out, batch, m, n, k, transA, transB, aBatchStride, bBatchStride, accumulate } = args;
  for (let bi = 0; bi < batch; bi++) {
    const aOff = bi * aBatchStride;
    const bOff = bi * bBatchStride;
    const oOff = bi * m * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) {
          const av = transA ? a[aOff + p * m + i]! : a[aOff + i * k + p]!;
          const bv = transB ? b[bOff + j * k + p]! : b[bOff + p * n + j]!;
          s += av * bv;
        }
        out[oOff + i * n + j] = accumulate ? out[oOff + i * n + j]! + s : s;
      }
    }
  }
}
