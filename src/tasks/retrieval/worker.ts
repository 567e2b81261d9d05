/**
 * The task a pool thread runs for the retrieval runs (pool.ts): each request is a RetrievalRunConfig;
 * it sends every evaluation point as it happens, and the result is the reply.
 */
import type { OpenTask } from '../../../kernels/threads/index.js';
import { trainRetrieval, type CurvePoint, type RetrievalRunConfig, type RetrievalRunResult } from './training.js';

export const open: OpenTask<undefined, RetrievalRunConfig, RetrievalRunResult> = () => (config, progress) =>
  trainRetrieval(config, (point: CurvePoint) => progress(point));
