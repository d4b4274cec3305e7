import { useCallback, useEffect, useRef, useState } from 'react';

export interface AutoRefreshState<T> {
  value?: T;
  error?: Error;
  loading: boolean;
  /** When the shown value was fetched. */
  updatedAt?: Date;
}

/**
 * Loads now, then again every `intervalMs` while the browser tab is visible; a hidden tab
 * pauses the refresh and showing it again refreshes at once. `intervalMs` 0 loads once;
 * a negative one loads nothing; a changed positive one restarts the timer (no reload). Keeps the
 * last value when a refresh fails (and reports the error alongside).
 */
export function useAutoRefresh<T>(
  load: () => Promise<T>,
  intervalMs: number,
  deps: unknown[],
): AutoRefreshState<T> & { refresh: () => void } {
  const [state, setState] = useState<AutoRefreshState<T>>({ loading: true });
  const loadRef = useRef(load);
  loadRef.current = load;
  const inFlight = useRef(false);
  // A refresh asked for during a load (a signal of a newer change) runs once more after it.
  const again = useRef(false);

  const refresh = useCallback(() => {
    if (inFlight.current) {
      again.current = true;
      return;
    }
    inFlight.current = true;
    loadRef
      .current()
      .then(
        value => setState({ value, loading: false, updatedAt: new Date() }),
        error => setState(s => ({ ...s, error, loading: false })),
      )
      .finally(() => {
        inFlight.current = false;
        if (again.current) {
          again.current = false;
          refresh();
        }
      });
  }, []);

  // A changed interval restarts the timer, without a reload.
  const interval = useRef(intervalMs);
  interval.current = intervalMs;
  const restart = useRef<() => void>();
  const mode = Math.sign(intervalMs); // -1 loads nothing, 0 loads once, 1 polls
  useEffect(() => {
    if (mode < 0) return undefined;
    setState({ loading: true });
    refresh();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = () => {
      timer = setTimeout(() => {
        refresh();
        tick();
      }, interval.current);
    };
    const start = () => {
      if (!timer && mode > 0) tick();
    };
    const stop = () => {
      if (timer) clearTimeout(timer);
      timer = undefined;
    };
    const onVisibility = () => {
      if (document.hidden) stop();
      else {
        refresh();
        start();
      }
    };
    if (!document.hidden) start();
    restart.current = () => {
      if (!timer) return;
      stop();
      start();
    };
    document.addEventListener('visibilitychange', onVisibility);
    return () => {
      restart.current = undefined;
      stop();
      document.removeEventListener('visibilitychange', onVisibility);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [mode, refresh, ...deps]);
  useEffect(() => restart.current?.(), [intervalMs]);

  return { ...state, refresh };
}
