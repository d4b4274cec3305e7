import { EventEmitter } from 'events';

/**
 * In-process news about records (operations, backups, drills), by id: a store calls
 * `notify(id)` whenever it writes something a waiting client should see.
 */
export class ChangeNotifier {
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  private readonly listeners: Array<(id: string) => void> = [];

  notify(id: string): void {
    this.emitter.emit(id);
    for (const listener of this.listeners) {
      try {
        listener(id);
      } catch {
        // a listener never fails the write that had news
      }
    }
  }

  /** Calls `listener` with the id of every record that has news in this process (signals). */
  onNotify(listener: (id: string) => void): void {
    this.listeners.push(listener);
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
