/** The js backend pinned to the reference (float32 and float64). */
import { jsBackend } from '../../../kernels/backends/js.js';
import { describeConformance } from './conformance.js';
import { toleranceFor } from '../helpers.js';

describeConformance(jsBackend, { dtypes: ['float64', 'float32'], tolerance: toleranceFor, numRuns: 60, maxSize: 13, maxT: 40 });
