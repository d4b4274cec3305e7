import { InputError } from '@backstage/errors';
import express from 'express';
import { ChangeNotifier } from '../operations/changes';

/** The longest `wait` a long poll may ask for, in seconds. */
export const MAX_WAIT_SECONDS = 30;

/** The `wait` query parameter in seconds (0 when absent), or an InputError. */
export function waitSeconds(req: express.Request): number {
  const raw = req.query.wait;
  if (raw === undefined) return 0;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || n > MAX_WAIT_SECONDS) {
    throw new InputError(
      `wait: '${raw}' is not a number of seconds from 0 to ${MAX_WAIT_SECONDS}`,
    );
  }
  return n;
}

/**
 * A long poll: reads, and while `ready` says no, waits for news of `id` in this process or
 * `recheckMs` (then reads again, which finds another replica's news), until `waitMs` has
 * passed. Returns the last read, or undefined if the client went away meanwhile.
 */
export async function longPoll<T>(options: {
  notifier: ChangeNotifier;
  id: string;
  waitMs: number;
  recheckMs: number;
  res: express.Response;
  read: () => Promise<T>;
  ready: (value: T) => boolean;
}): Promise<T | undefined> {
  const deadline = Date.now() + options.waitMs;
  const gone = new AbortController();
  options.res.on('close', () => gone.abort());
  for (;;) {
    // Listen before reading, so news written while reading is not missed.
    const wake = new AbortController();
    const news = options.notifier.next(
      options.id,
      Math.min(options.recheckMs, deadline - Date.now()),
      AbortSignal.any([gone.signal, wake.signal]),
    );
    const value = await options.read();
    if (options.ready(value) || Date.now() >= deadline) {
      wake.abort();
      return value;
    }
    await news;
    if (gone.signal.aborted) return undefined;
  }
}
