/**
 * fastweights/gpu: the gpu backend's entry for browsers. Importing it hands gpu.js (an optional peer
 * dependency, about 90 % of a bundle that includes it) to the gpu backend; after that
 * setBackend('gpu') runs the matmul, outer-product and chunkwise scan kernels as gpu.js shaders
 * (WebGL2 where the browser has it). Import it lazily to keep it out of the main bundle:
 *
 *   await import('fastweights/gpu');
 *   setBackend('gpu');
 *
 * In Node this import is not needed: selecting the gpu backend requires gpu.js there by itself.
 */
import { GPU } from 'gpu.js';
import { provideGpuJs } from '../kernels/backends/gpu.js';

provideGpuJs(GPU);

export { gpuMode, kernelModes, gpuBackend, GPU_CHUNK_SIZE, GPU_JS_VERSION } from '../kernels/backends/gpu.js';
