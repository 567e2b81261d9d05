/** Every differentiable op, by family. */
export * from './arithmetic.js';
export * from './unary.js';
export * from './sigmoidLoops.js';
export * from './reduce.js';
export * from './softmax.js';
export * from './loss.js';
export * from './shape.js';
export * from './matmul.js';
export * from './nn.js';
export * from './featureMap.js';
export * from './attention.js';
export * from './cast.js';
