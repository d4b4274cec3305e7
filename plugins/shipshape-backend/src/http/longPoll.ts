import express from 'express';
import { ChangeNotifier } from '../operations/changes';

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
