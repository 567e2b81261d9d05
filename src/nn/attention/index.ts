export * from './types.js';
export * from './featureMaps.js';
export * from './heads.js';
export * from './fastWeightAttention.js';
export * from './softmaxAttention.js';
export * from './spec.js';
export * from './factory.js';
