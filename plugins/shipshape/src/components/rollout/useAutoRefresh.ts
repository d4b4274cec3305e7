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
 * a negative one loads nothing. Keeps the last value when a
 * refresh fails (and reports the error alongside).
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

  useEffect(() => {
    if (intervalMs < 0) return undefined;
    setState({ loading: true });
    refresh();
    let timer: ReturnType<typeof setInterval> | undefined;
    const start = () => {
      if (!timer && intervalMs > 0) timer = setInterval(refresh, intervalMs);
    };
    const stop = () => {
      if (timer) clearInterval(timer);
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
    document.addEventListener('visibilitychange', onVisibility);
    return () => {
      stop();
      document.removeEventListener('visibilitychange', onVisibility);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [intervalMs, refresh, ...deps]);

  return { ...state, refresh };
}
