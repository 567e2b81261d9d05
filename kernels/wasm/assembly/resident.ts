/**
 * The exports of the resident weights' module: the matrix-vector kernels of kernels/matmul/resident.ts,
 * a module of their own over the kernels' memory (kernels/wasm/build.mjs says why).
 */
export { matvecF32, matvecBF16, matvecF16, widen16 } from './matvec';
