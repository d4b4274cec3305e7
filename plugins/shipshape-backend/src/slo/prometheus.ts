/**
 * A small Prometheus/Alertmanager HTTP client: every request time-limited with
 * AbortSignal.timeout, answers cached briefly, identical concurrent requests shared, and the
 * last good answer kept so a slow or down server yields a stale answer (or an error), never
 * a hung request. Auth headers come from app-config only and never appear in errors.
 */

export interface Fetched<T> {
  value: T;
  /** When the value was fetched (ms since epoch). */
  fetchedAt: number;
  /** Set when the server failed and this is an older answer. */
  stale?: { error: string };
  /**
   * The parameters of the request this answer is for: with `timeParams`, a cached or stale
   * answer may be for an earlier start and end than the ones asked, and its samples carry
   * that request's timestamps.
   */
  params: Record<string, string>;
}

interface Entry {
  value: unknown;
  fetchedAt: number;
  params: Record<string, string>;
}

export interface HttpTarget {
  name: string;
  url: string;
  headers: Record<string, string>;
}

export class CachedHttpClient {
  private readonly cache = new Map<string, Entry>();
  /** Last good answer per request without its time parameters, for stale answers. */
  private readonly lastGood = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<Entry>>();
  /** Requests actually sent (cache misses), for measurements. */
  sent = 0;

  constructor(
    private readonly opts: {
      timeoutMs: number;
      cacheTtlMs: number;
      staleForMs: number;
      maxEntries?: number;
      fetch?: typeof fetch;
    },
  ) {}

  /** GET `path` (with query params) from a target; JSON body's `data` when status is success. */
  async get<T>(
    target: HttpTarget,
    path: string,
    params: Record<string, string>,
    kind: 'prometheus' | 'alertmanager' = 'prometheus',
    /**
     * Parameters that only move the time (start, end): left out of the cache key, so that a
     * load just after a time bucket moved still hits the cache within its TTL.
     */
    timeParams: string[] = [],
  ): Promise<Fetched<T>> {
    const qs = new URLSearchParams(params).toString();
    const key = `${target.name}|${target.url}|${path}?${new URLSearchParams(
      Object.entries(params).filter(([k]) => !timeParams.includes(k)),
    ).toString()}`;
    const now = Date.now();
    const hit = this.cache.get(key);
    if (hit && now - hit.fetchedAt < this.opts.cacheTtlMs) {
      return {
        value: hit.value as T,
        fetchedAt: hit.fetchedAt,
        params: hit.params,
      };
    }
    let p = this.inflight.get(key);
    if (!p) {
      p = this.fetchJson(target, `${path}${qs ? `?${qs}` : ''}`, kind).then(
        value => {
          const entry = { value, fetchedAt: Date.now(), params };
          this.remember(this.cache, key, entry);
          this.remember(this.lastGood, key, entry);
          return entry;
        },
      );
      this.inflight.set(key, p);
      p.then(
        () => this.inflight.delete(key),
        () => this.inflight.delete(key),
      );
    }
    try {
      const entry = await p;
      return {
        value: entry.value as T,
        fetchedAt: entry.fetchedAt,
        params: entry.params,
      };
    } catch (e) {
      const error = (e as Error).message;
      const good = this.lastGood.get(key);
      if (good && now - good.fetchedAt < this.opts.staleForMs) {
        return {
          value: good.value as T,
          fetchedAt: good.fetchedAt,
          params: good.params,
          stale: { error },
        };
      }
      throw e;
    }
  }

  private remember(map: Map<string, Entry>, key: string, entry: Entry) {
    map.delete(key);
    map.set(key, entry);
    const max = this.opts.maxEntries ?? 2000;
    while (map.size > max) {
      map.delete(map.keys().next().value!);
    }
  }

  private async fetchJson(
    target: HttpTarget,
    pathAndQuery: string,
    kind: 'prometheus' | 'alertmanager',
  ): Promise<unknown> {
    this.sent++;
    const what = `${kind === 'prometheus' ? 'Prometheus' : 'Alertmanager'} "${
      target.name
    }"`;
    const doFetch = this.opts.fetch ?? fetch;
    let res: Response;
    try {
      res = await doFetch(`${target.url}${pathAndQuery}`, {
        headers: { accept: 'application/json', ...target.headers },
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
    } catch (e) {
      const err = e as Error & { cause?: { code?: string } };
      if (err.name === 'TimeoutError' || err.name === 'AbortError') {
        throw new Error(
          `${what} did not answer within ${this.opts.timeoutMs} ms`,
        );
      }
      throw new Error(
        `${what} is unreachable${
          err.cause?.code ? ` (${err.cause.code})` : ''
        }`,
      );
    }
    let body: any;
    try {
      body = await res.json();
    } catch (e) {
      const err = e as Error;
      if (err.name === 'TimeoutError' || err.name === 'AbortError') {
        throw new Error(
          `${what} did not answer within ${this.opts.timeoutMs} ms`,
        );
      }
      throw new Error(`${what} answered HTTP ${res.status} without JSON`);
    }
    if (kind === 'alertmanager') {
      if (!res.ok) throw new Error(`${what} answered HTTP ${res.status}`);
      return body;
    }
    if (!res.ok || body?.status !== 'success') {
      const msg =
        typeof body?.error === 'string' ? `: ${body.error.slice(0, 300)}` : '';
      throw new Error(`${what} answered HTTP ${res.status}${msg}`);
    }
    return body.data;
  }
}

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}
export interface PromSeries {
  metric: Record<string, string>;
  values: [number, string][];
}
export interface PromAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'firing' | 'pending' | 'inactive';
  activeAt?: string;
  value?: string;
}

export function num(v: string | undefined): number | null {
  if (v === undefined) return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}
