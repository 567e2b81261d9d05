/** Whether this code runs inside a pool thread (./workerProgram.ts marks it): such a thread starts no threads of its own. */
export const POOL_THREAD = 'fastweights.poolThread';

export function insidePoolThread(): boolean {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return (globalThis as any)[Symbol.for(POOL_THREAD)] === true;
}
