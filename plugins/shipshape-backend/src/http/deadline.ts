/** A call that did not answer before its deadline. */
export class DeadlineError extends Error {
  name = 'DeadlineError';
}

/**
 * Runs `run` with a deadline of `ms`: past it, the signal given to `run` aborts (so no socket is
 * left behind) and the promise rejects with a DeadlineError "`what` did not answer within
 * `ms` ms". The one deadline every call to a cluster goes through.
 */
export async function withDeadline<T>(
  what: string,
  ms: number,
  run: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      run(abort.signal),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          abort.abort();
          reject(new DeadlineError(`${what} did not answer within ${ms} ms`));
        }, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
