import { EventEmitter } from 'events';

/**
 * In-process news about records (operations, backups, drills), by id: a store calls
 * `notify(id)` whenever it writes something a waiting client should see.
 */
export class ChangeNotifier {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  notify(id: string): void {
    this.emitter.emit(id);
  }

  /**
   * Resolves when `id` next has news in this process, after `ms`, or when `signal` aborts,
   * whichever is first. Another replica's news is not seen here: re-read when it resolves.
   */
  next(id: string, ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise(resolve => {
      let timer: NodeJS.Timeout | undefined = undefined;
      const done = () => {
        clearTimeout(timer);
        this.emitter.off(id, done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      timer = setTimeout(done, Math.max(0, ms));
      this.emitter.on(id, done);
      signal?.addEventListener('abort', done);
      if (signal?.aborted) done();
    });
  }
}
