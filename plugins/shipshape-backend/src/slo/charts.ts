import {
  BURN_RATE_ALERTS,
  SLO_WINDOWS,
  Slo,
  burnRateFactor,
  errorBudget,
  errorRatioExpr,
  increaseExprs,
  promString,
} from '@shipshape/plugin-shipshape-common';
import { PrometheusInstance } from './config';
import { CachedHttpClient, Fetched, PromSeries, num } from './prometheus';
import { SloChart } from '../schema/openapi/generated/models';

/** How far back the burn-rate chart looks: the longest alert window. */
export const BURN_CHART_SECONDS = 3 * 86400;

/** Points per chart when the caller gives none (openapi.yaml allows 10-500). */
export const DEFAULT_CHART_POINTS = 120;

/** A step of whole minutes that gives at most `points` points over `seconds`. */
export function chartStep(seconds: number, points: number): number {
  return Math.max(60, Math.ceil(seconds / points / 60) * 60);
}

/** The range query's timestamps: the last at now (to 15 s, as the card), `step` apart. */
function timeline(now: number, step: number, seconds: number) {
  const end = Math.floor(now / 1000 / 15) * 15;
  const count = Math.floor(seconds / step);
  const start = end - (count - 1) * step;
  return {
    start,
    end,
    ts: Array.from({ length: count }, (_, i) => start + i * step),
  };
}

/**
 * The timestamps of the request an answer is for: a cached answer (the cache keys range
 * queries without start and end) may be for an earlier time bucket than the one asked.
 */
function answered(
  fetched: Fetched<unknown>,
  step: number,
  count: number,
): number[] {
  const start = Number(fetched.params.start);
  return Array.from({ length: count }, (_, i) => start + i * step);
}

/** One range query's series by its `series` label, each as time -> value (NaN, +Inf: absent). */
function byLabel(result: PromSeries[]): Map<string, Map<number, number>> {
  const out = new Map<string, Map<number, number>>();
  for (const s of result) {
    const values = new Map<number, number>();
    for (const [t, v] of s.values) {
      const n = num(v);
      if (n !== null) values.set(t, n);
    }
    out.set(s.metric.series, values);
  }
  return out;
}

/** The error budget chart's query: errors and requests per step, tagged with `series`. */
export function budgetChartQuery(slo: Slo, step: number): string {
  const { errors, total } = increaseExprs(slo, `${step / 60}m`);
  return (
    `label_replace(${errors}, "series", "errors", "", "") or ` +
    `label_replace(${total}, "series", "total", "", "")`
  );
}

/** The burn-rate chart's query: the error ratio over each alert's long window, tagged. */
export function burnChartQuery(slo: Slo): string {
  return BURN_RATE_ALERTS.map(
    a =>
      `label_replace(${errorRatioExpr(slo, a.long)}, "series", ${promString(
        a.long,
      )}, "", "")`,
  ).join(' or ');
}

/**
 * One SLO's charts from two range queries (each batches all its series, with at most `points`
 * points): the error budget left over the SLO window, and the burn rate over each alert's long
 * window for the last 3 days with the alert's threshold. A step without data is a gap (null),
 * never a zero: the remaining budget carries on after it without counting it.
 */
export async function sloChart(
  http: CachedHttpClient,
  slo: Slo,
  instance: PrometheusInstance,
  now: number,
  points: number,
): Promise<SloChart> {
  const windowSec = SLO_WINDOWS[slo.window];
  const budget = errorBudget(slo.objective);
  const budgetStep = chartStep(windowSec, points);
  const burnStep = chartStep(BURN_CHART_SECONDS, points);
  const b = timeline(now, budgetStep, windowSec);
  const r = timeline(now, burnStep, BURN_CHART_SECONDS);
  const base = {
    name: slo.name,
    displayName: slo.displayName,
    objective: slo.objective,
    window: slo.window,
  };
  const range = (
    query: string,
    t: { start: number; end: number },
    step: number,
  ) =>
    http.get<{ result: PromSeries[] }>(
      instance,
      '/api/v1/query_range',
      {
        query,
        start: String(t.start),
        end: String(t.end),
        step: String(step),
      },
      'prometheus',
      ['start', 'end'],
    );
  const thresholds = BURN_RATE_ALERTS.map(a => ({
    window: a.long,
    severity: a.severity,
    threshold: burnRateFactor(a, slo.window),
  }));
  try {
    const [budgetRes, burnRes] = await Promise.all([
      range(budgetChartQuery(slo, budgetStep), b, budgetStep),
      range(burnChartQuery(slo), r, burnStep),
    ]);
    const series = byLabel(budgetRes.value.result);
    const errors = series.get('errors') ?? new Map();
    const totals = series.get('total') ?? new Map();
    const requests = [...totals.values()].reduce((a, v) => a + v, 0);
    let spent = 0;
    const remaining = answered(budgetRes, budgetStep, b.ts.length).map(t => {
      const e = errors.get(t);
      if (e === undefined || !totals.has(t) || requests <= 0) {
        return { t, value: null };
      }
      spent += e;
      return { t, value: 1 - spent / (budget * requests) };
    });
    const burnSeries = byLabel(burnRes.value.result);
    const stale = budgetRes.stale ?? burnRes.stale;
    return {
      ...base,
      state: stale ? 'stale' : 'ok',
      error: stale?.error,
      budget: { step: budgetStep, points: remaining },
      burn: {
        step: burnStep,
        windows: thresholds.map(w => ({
          ...w,
          points: answered(burnRes, burnStep, r.ts.length).map(t => {
            const ratio = burnSeries.get(w.window)?.get(t);
            return { t, value: ratio === undefined ? null : ratio / budget };
          }),
        })),
      },
    };
  } catch (e) {
    return {
      ...base,
      state: 'error',
      error: (e as Error).message,
      budget: { step: budgetStep, points: [] },
      burn: {
        step: burnStep,
        windows: thresholds.map(w => ({ ...w, points: [] })),
      },
    };
  }
}
