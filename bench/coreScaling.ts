/**
 * How much a second thread can give on this machine at all, whatever the training code does: the
 * same fixed work timed on one thread, then on two threads at once (nothing shared between them).
 * Two kinds of work: a float64 arithmetic loop in JavaScript, and the wasm matmul at the shapes of
 * a training step's products (512 × 64 × 64). If two threads at once each take as long as one
 * alone, the cores are independent and a step can approach 2×; if each takes longer (cores that
 * share their units, a lower clock with both busy, other jobs), that ratio bounds what two threads
 * give a training step (docs/kernels.md).
 * usage: node dist/bench/coreScaling.js [ROUNDS]
 */
import { Worker } from 'node:worker_threads';

const rounds = Number(process.argv[2] ?? 3);
if (!Number.isInteger(rounds) || rounds < 1) {
  console.error('usage: node dist/bench/coreScaling.js [ROUNDS]');
  process.exit(2);
}

/** A thread's program: runs one kind of work once and posts its wall milliseconds. */
const program = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  let work;
  if (workerData.kind === 'js') {
    work = () => { let x = 1.0001, s = 0; for (let i = 0; i < 1e8; i++) { s += x * 1.0000001; x = s * 1e-9 + 1; } return s; };
  } else {
    const { matmulWasm } = await import(workerData.matmul);
    const [m, n, k] = [512, 64, 64];
    const a = new Float32Array(m * k).fill(0.5), b = new Float32Array(k * n).fill(0.25), out = new Float32Array(m * n);
    const args = { a, b, out, batch: 1, m, n, k, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 };
    matmulWasm(args); // compile and place
    work = () => { for (let i = 0; i < 2000; i++) matmulWasm(args); };
  }
  const started = performance.now();
  work();
  parentPort.postMessage(performance.now() - started);
})();
`;

const matmul = new URL('../kernels/matmul/wasm.js', import.meta.url).href;

/** `threads` threads each run the work once, all at once; their wall milliseconds. */
function runAtOnce(kind: 'js' | 'matmul', threads: number): Promise<number[]> {
  return Promise.all(Array.from({ length: threads }, () => new Promise<number>((resolve, reject) => {
    const worker = new Worker(program, { eval: true, workerData: { kind, matmul } });
    worker.once('message', (ms: number) => {
      resolve(ms);
      void worker.terminate();
    });
    worker.once('error', reject);
  })));
}

const median = (values: number[]) => [...values].sort((x, y) => x - y)[values.length >> 1]!;

// The kinds alternate within each round, so that a change in the machine's load disturbs both alike.
const kinds = ['js', 'matmul'] as const;
const ratios: Record<(typeof kinds)[number], number[]> = { js: [], matmul: [] };
for (let round = 0; round < rounds; round++) {
  for (const kind of kinds) {
    const [one] = await runAtOnce(kind, 1);
    const two = await runAtOnce(kind, 2);
    const ratio = Math.max(...two) / one!;
    ratios[kind].push(ratio);
    console.log(`${kind}: one thread ${one!.toFixed(0)} ms; two at once ${two.map((ms) => ms.toFixed(0)).join(' and ')} ms (the slower ${ratio.toFixed(2)}× one alone)`);
  }
}
for (const kind of kinds) {
  console.log(`${kind}: two threads do ${(2 / median(ratios[kind])).toFixed(2)}× the work of one in the same time (median of ${rounds} rounds)`);
}
