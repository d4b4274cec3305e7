import { promString, renderSelector } from './promql';
import { checkSloName } from './openslo';
import { errorBudget, Slo, SLO_WINDOWS } from './types';

/**
 * Windows of the recorded SLI error ratios, besides the SLO window itself.
 *
 * @public
 */
export const SLI_WINDOWS = ['5m', '30m', '1h', '2h', '6h', '1d', '3d'] as const;
/** @public */
export type SliWindow = (typeof SLI_WINDOWS)[number] | '28d' | '30d';

/**
 * The multi-window, multi-burn-rate alerts of the Google SRE workbook (chapter 5,
 * "Alerting on SLOs"), as the share of the whole budget each pair may consume over its
 * long window before it alerts.
 *
 * The workbook's factors are for a 30-day (720 h) window: a burn rate B sustained for L
 * hours consumes B * L / 720 of the budget, so 14.4x over 1 h = 2 %, 6x over 6 h = 5 %,
 * 3x over 1 d = 10 % and 1x over 3 d = 10 %. Shipshape keeps the consumed share and
 * derives the factor from the SLO's own window W (in hours): B = share * W / L. For 30 d
 * this gives the workbook's 14.4 / 6 / 3 / 1; for 28 d (672 h) it gives
 * 0.02 * 672 / 1 = 13.44, 0.05 * 672 / 6 = 5.6, 0.10 * 672 / 24 = 2.8 and
 * 0.10 * 672 / 72 = 0.9333..., i.e. the 30-day factors times 28/30. (Sloth does the same;
 * using 14.4 unchanged on a 28-day window would page only after 2.14 % of the budget.)
 *
 * @public
 */
export const BURN_RATE_ALERTS = [
  { severity: 'page', long: '1h', short: '5m', budgetShare: 0.02 },
  { severity: 'page', long: '6h', short: '30m', budgetShare: 0.05 },
  { severity: 'ticket', long: '1d', short: '2h', budgetShare: 0.1 },
  { severity: 'ticket', long: '3d', short: '6h', budgetShare: 0.1 },
] as const;

const WINDOW_HOURS: Record<string, number> = {
  '5m': 5 / 60,
  '30m': 0.5,
  '1h': 1,
  '2h': 2,
  '6h': 6,
  '1d': 24,
  '3d': 72,
  '28d': 672,
  '30d': 720,
};

/** @public */
export function windowSeconds(w: SliWindow): number {
  return WINDOW_HOURS[w] * 3600;
}

/**
 * The burn-rate factor of an alert pair for an SLO window (see BURN_RATE_ALERTS).
 *
 * @public
 */
export function burnRateFactor(
  alert: (typeof BURN_RATE_ALERTS)[number],
  window: keyof typeof SLO_WINDOWS,
): number {
  return Number(
    (
      (alert.budgetShare * WINDOW_HOURS[window]) /
      WINDOW_HOURS[alert.long]
    ).toPrecision(10),
  );
}

/**
 * Name of the recording rule of the SLI error ratio over a window.
 *
 * @public
 */
export function sliErrorRecord(window: SliWindow): string {
  return `slo:sli_error:ratio_rate${window}`;
}

/**
 * PromQL of the SLI's error ratio over a window, from the raw counters: one number
 * (no labels), NaN when there was no traffic. Only parsed selectors reach it.
 *
 * @public
 */
export function errorRatioExpr(slo: Slo, window: SliWindow | string): string {
  if (!/^\d+[mhd]$/.test(window)) throw new Error(`invalid window "${window}"`);
  const rate = (sel: Parameters<typeof renderSelector>[0]) =>
    `sum(rate(${renderSelector(sel)}[${window}]))`;
  const { good, bad, total } = slo.indicator;
  if (bad) return `(${rate(bad)} / ${rate(total)})`;
  return `(1 - ${rate(good!)} / ${rate(total)})`;
}

/**
 * PromQL of the error count and total count increase over a window (for budget history).
 *
 * @public
 */
export function increaseExprs(
  slo: Slo,
  window: string,
): { errors: string; total: string } {
  if (!/^\d+[mhd]$/.test(window)) throw new Error(`invalid window "${window}"`);
  const inc = (sel: Parameters<typeof renderSelector>[0]) =>
    `sum(increase(${renderSelector(sel)}[${window}]))`;
  const { good, bad, total } = slo.indicator;
  return {
    errors: bad ? inc(bad) : `(${inc(total)} - ${inc(good!)})`,
    total: inc(total),
  };
}

/**
 * A rule as in a Prometheus rule file / PrometheusRule `spec.groups[].rules[]`.
 *
 * @public
 */
export interface PrometheusRule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** @public */
export interface PrometheusRuleGroups {
  groups: { name: string; rules: PrometheusRule[] }[];
}

/** @public */
export interface RuleOptions {
  /** The entity's `backstage.io/kubernetes-id`: the `service` label of every rule. */
  service: string;
  /** Extra labels on the alerts (e.g. team, environment); names and values validated. */
  alertLabels?: Record<string, string>;
  runbookUrl?: string;
  /** Severity label of the two fast pairs (default `page`). */
  pageSeverity?: string;
  ticketSeverity?: string;
}

const SERVICE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const RESERVED = new Set([
  'service',
  'slo',
  'severity',
  'long_window',
  'short_window',
  'burn_rate',
]);

/** Annotations are Go templates in Prometheus: user text must not open one. */
function literal(text: string): string {
  return text.replace(/\{\{/g, '{ {').replace(/\}\}/g, '} }');
}

function fmt(n: number): string {
  return String(Number(n.toPrecision(10)));
}

/**
 * The recording and alerting rules of one SLO, as PrometheusRule `spec` (`groups`).
 * Throws on a service or SLO name that is not a plain lower-case name: they become label
 * values and selector strings, and are also escaped where they meet PromQL.
 *
 * @public
 */
export function generateSloRules(
  slo: Slo,
  opts: RuleOptions,
): PrometheusRuleGroups {
  if (!SERVICE.test(opts.service) || opts.service.length > 63) {
    throw new Error(
      `service "${opts.service}" is not a valid kubernetes-id; expected lower-case a-z, 0-9 and -, at most 63 characters`,
    );
  }
  const nameError = checkSloName(slo.name);
  if (nameError) throw new Error(nameError);
  const extra = opts.alertLabels ?? {};
  for (const [k, v] of Object.entries(extra)) {
    if (!LABEL_NAME.test(k) || RESERVED.has(k)) {
      throw new Error(
        `alert label "${k}" is not a valid, unreserved label name`,
      );
    }
    if (typeof v !== 'string' || v.length > 256) {
      throw new Error(
        `alert label "${k}" must be a string of at most 256 characters`,
      );
    }
  }
  const ids = { service: opts.service, slo: slo.name };
  const filter = `{service=${promString(opts.service)},slo=${promString(
    slo.name,
  )}}`;
  const budget = errorBudget(slo.objective);
  const windowDays = SLO_WINDOWS[slo.window] / 86400;

  const recordings: PrometheusRule[] = SLI_WINDOWS.map(w => ({
    record: sliErrorRecord(w),
    expr: errorRatioExpr(slo, w),
    labels: { ...ids },
  }));
  // The window's ratio averages the 5m ratio (as Sloth and the chart do): cheap to
  // evaluate; the backend computes the exact ratio of sums over the window for the card.
  recordings.push(
    {
      record: sliErrorRecord(slo.window),
      expr: `avg_over_time(${sliErrorRecord('5m')}${filter}[${slo.window}])`,
      labels: { ...ids },
    },
    {
      record: 'slo:objective:ratio',
      expr: `vector(${fmt(slo.objective)})`,
      labels: { ...ids },
    },
    {
      record: 'slo:error_budget:ratio',
      expr: `vector(${fmt(budget)})`,
      labels: { ...ids },
    },
    {
      record: 'slo:error_budget_remaining:ratio',
      expr: `1 - ${sliErrorRecord(slo.window)}${filter} / ${fmt(budget)}`,
      labels: { ...ids },
    },
  );

  const title = literal(slo.displayName ?? slo.name);
  const alerts: PrometheusRule[] = BURN_RATE_ALERTS.map(a => {
    const factor = burnRateFactor(a, slo.window);
    const threshold = `(${fmt(factor)} * ${fmt(budget)})`;
    const severity =
      a.severity === 'page'
        ? opts.pageSeverity ?? 'page'
        : opts.ticketSeverity ?? 'ticket';
    const daysToExhaust = fmt(Number((windowDays / factor).toFixed(1)));
    return {
      alert: 'SLOErrorBudgetBurn',
      expr:
        `${sliErrorRecord(a.long)}${filter} > ${threshold}\n` +
        `and\n${sliErrorRecord(a.short)}${filter} > ${threshold}`,
      labels: {
        ...extra,
        ...ids,
        severity,
        long_window: a.long,
        short_window: a.short,
        burn_rate: fmt(factor),
      },
      annotations: {
        summary: `${opts.service}: SLO ${title} burns its error budget ${fmt(
          factor,
        )}x too fast`,
        description:
          `The error ratio over the last ${a.long} and ${
            a.short
          } is above ${fmt(factor)} times ` +
          `the ${fmt(budget * 100)}% budget of the ${fmt(
            slo.objective * 100,
          )}% objective; ` +
          `at this rate the ${slo.window} budget lasts ${daysToExhaust} days.`,
        ...(opts.runbookUrl ? { runbook_url: literal(opts.runbookUrl) } : {}),
      },
    };
  });
  return {
    groups: [
      { name: `${opts.service}-slo-${slo.name}-recordings`, rules: recordings },
      { name: `${opts.service}-slo-${slo.name}-alerts`, rules: alerts },
    ],
  };
}

/**
 * Rules of several SLOs of one service, in one `groups` object.
 *
 * @public
 */
export function generateServiceSloRules(
  slos: Slo[],
  opts: RuleOptions,
): PrometheusRuleGroups {
  return { groups: slos.flatMap(s => generateSloRules(s, opts).groups) };
}
