/**
 * Ctrl-C during a long job: the first press asks the job to stop after its current step (it saves a
 * checkpoint and exits normally); a second press quits at once.
 */
export async function withInterrupt<T>(log: (line: string) => void, job: (shouldStop: () => boolean) => Promise<T>): Promise<T> {
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    log('interrupted: saving a checkpoint after this step (Ctrl-C again to quit at once)');
  };
  process.on('SIGINT', onSigint);
  try {
    return await job(() => interrupted);
  } finally {
    process.off('SIGINT', onSigint);
  }
}
