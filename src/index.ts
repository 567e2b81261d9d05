/** fastweights: the public API. */
export * from './tensor/tensor.js';
export * from './tensor/shape.js';
export { Rng, type RngState } from './tensor/rng.js';
export { noGrad, isGradEnabled, record, type GraphNode, type BackwardFn } from './autograd/graph.js';
export { checkGradients, describeGradCheck, type GradCheckOptions, type GradCheckResult } from './autograd/gradcheck.js';
export * from './ops/index.js';
export * from './nn/index.js';
