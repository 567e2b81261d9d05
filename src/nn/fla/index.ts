/** fla's DeltaNet (flash-linear-attention, Hugging Face `delta_net` models): config, layers, model. */
export * from './config.js';
export * from './layers.js';
export * from './deltaNet.js';
export * from './model.js';
export * from './parameters.js';
export * from './decoder.js';
