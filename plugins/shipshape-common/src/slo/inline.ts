import type { ParseResult } from '../parseResult';
import { checkObjective } from './openslo';
import { Slo, SLO_WINDOWS, SloWindow } from './types';

/**
 * The short inline form of `shipshape.dev/slo`, for services whose metrics follow the
 * conventions of the templates' chart (`http_requests_total{code}` and the histogram
 * `http_request_duration_seconds`, both labelled `service`):
 *
 *   availability=99.9%; latency-p99=250ms; window=28d
 *
 * `availability` is the share of requests not answered with a 5xx; `latency-pNN=T` says
 * NN % of requests finish within T (T must be a bucket boundary of the histogram);
 * `window` is 28d or 30d (default 28d). At least one objective is required.
 *
 * @public
 */
export interface InlineSloSpec {
  /** Objective of the availability SLO, as a ratio (0.999). */
  availability?: number;
  latency?: {
    objective: number;
    thresholdSeconds: number;
  };
  window: SloWindow;
}

/** @public */
export const INLINE_SLO_EXAMPLE =
  'availability=99.9%; latency-p99=250ms; window=28d';

/** @public */
export function parseInlineSlo(
  name: string,
  raw: string,
): ParseResult<InlineSloSpec> {
  if (typeof raw !== 'string') {
    return { ok: false, error: `${name} must be a string` };
  }
  if (raw.length > 256) {
    return {
      ok: false,
      error: `${name} is ${raw.length} characters long; at most 256 are allowed`,
    };
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\ufffd]/.test(raw)) {
    return { ok: false, error: `${name} contains control characters` };
  }
  const spec: InlineSloSpec = { window: '28d' };
  const seen = new Set<string>();
  const fail = (msg: string): ParseResult<InlineSloSpec> => ({
    ok: false,
    error: `${name}: ${msg}; expected e.g. "${INLINE_SLO_EXAMPLE}"`,
  });
  for (const part of raw
    .split(';')
    .map(p => p.trim())
    .filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq < 0) return fail(`"${part}" is not key=value`);
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    const kind = key.startsWith('latency-p') ? 'latency' : key;
    if (seen.has(kind)) return fail(`"${kind}" is given twice`);
    seen.add(kind);
    if (key === 'window') {
      if (!(value in SLO_WINDOWS)) {
        return fail(`window "${value}" is not supported (28d or 30d)`);
      }
      spec.window = value as SloWindow;
    } else if (key === 'availability') {
      const m = /^(\d+(?:\.\d+)?)%$/.exec(value);
      if (!m)
        return fail(`availability "${value}" must be a percentage like 99.9%`);
      const o = checkObjective(Number(m[1]), true);
      if (!o.ok) return fail(`availability ${o.error}`);
      spec.availability = o.value;
    } else if (kind === 'latency') {
      const p = /^latency-p(\d+(?:\.\d+)?)$/.exec(key);
      if (!p) return fail(`"${key}" must look like latency-p99`);
      const o = checkObjective(Number(p[1]), true);
      if (!o.ok) return fail(`${key}: percentile ${o.error}`);
      const t = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(value);
      if (!t || Number(t[1]) <= 0) {
        return fail(
          `${key} threshold "${value}" must be a duration like 250ms or 1s`,
        );
      }
      const seconds = Number(
        (Number(t[1]) / (t[2] === 'ms' ? 1000 : 1)).toPrecision(12),
      );
      spec.latency = { objective: o.value, thresholdSeconds: seconds };
    } else {
      return fail(`unknown key "${key}"`);
    }
  }
  if (spec.availability === undefined && !spec.latency) {
    return fail('no objective (availability or latency-pNN)');
  }
  return { ok: true, value: spec };
}

/**
 * The SLOs an inline spec declares for a service (the value of its `service` label).
 *
 * @public
 */
export function slosFromInline(
  spec: InlineSloSpec,
  service: string,
  source: string,
): Slo[] {
  const sel = { name: 'service', op: '=' as const, value: service };
  const slos: Slo[] = [];
  if (spec.availability !== undefined) {
    slos.push({
      name: 'availability',
      displayName: 'Availability',
      description: 'Share of requests not answered with a 5xx.',
      objective: spec.availability,
      window: spec.window,
      source,
      indicator: {
        kind: 'availability',
        bad: {
          metric: 'http_requests_total',
          matchers: [sel, { name: 'code', op: '=~', value: '5..' }],
        },
        total: { metric: 'http_requests_total', matchers: [sel] },
      },
    });
  }
  if (spec.latency) {
    const ms = Number((spec.latency.thresholdSeconds * 1000).toPrecision(12));
    slos.push({
      name: 'latency',
      displayName: 'Latency',
      description: `Share of requests answered within ${ms} ms.`,
      objective: spec.latency.objective,
      window: spec.window,
      source,
      indicator: {
        kind: 'latency',
        latencyThresholdSeconds: spec.latency.thresholdSeconds,
        good: {
          metric: 'http_request_duration_seconds_bucket',
          matchers: [
            sel,
            {
              name: 'le',
              op: '=',
              value: String(spec.latency.thresholdSeconds),
            },
          ],
        },
        total: {
          metric: 'http_request_duration_seconds_count',
          matchers: [sel],
        },
      },
    });
  }
  return slos;
}
