/**
 * Proves the generated alerts with Prometheus' own rule engine: `promtool test rules`
 * evaluates the rules over synthetic series. Each burn-rate pair must fire a little above
 * its factor and stay quiet a little below it; a spike that has ended must not page.
 */
import { execFileSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { stringify } from 'yaml';
import {
  BURN_RATE_ALERTS,
  burnRateFactor,
  errorBudget,
  generateSloRules,
  PrometheusRule,
  slosFromInline,
  SloWindow,
} from '.';

const PROMTOOL = process.env.PROMTOOL ?? '/usr/bin/promtool';
const TOTAL_PER_MIN = 100000;

function alertsFor(rules: PrometheusRule[], longWindows: string[]) {
  return rules
    .filter(r => longWindows.includes(r.labels!.long_window))
    .map(r => ({ exp_labels: r.labels, exp_annotations: r.annotations }));
}

function runPromtool(window: SloWindow) {
  if (!fs.existsSync(PROMTOOL)) {
    throw new Error(
      `promtool not found at ${PROMTOOL}: install Debian's prometheus package or set PROMTOOL`,
    );
  }
  const [slo] = slosFromInline(
    { availability: 0.999, window },
    'checkout',
    'test',
  );
  const spec = generateSloRules(slo, { service: 'checkout' });
  const alerts = spec.groups[1].rules;
  const budget = errorBudget(slo.objective);
  const factors = BURN_RATE_ALERTS.map(a => burnRateFactor(a, window));
  const series = (
    errorsPerMin: string,
    totalPerMin = TOTAL_PER_MIN,
    minutes = 75,
  ) => [
    {
      series: 'http_requests_total{service="checkout",code="500"}',
      values: errorsPerMin,
    },
    {
      series: 'http_requests_total{service="checkout",code="200"}',
      values: `0+${totalPerMin}x${minutes}`,
    },
  ];
  const tests = [];
  for (const [i, a] of BURN_RATE_ALERTS.entries()) {
    for (const mult of [1.05, 0.95]) {
      const ratio = factors[i] * budget * mult;
      // good requests per minute are TOTAL - errors, so errors/total is exactly `ratio`
      const errors = TOTAL_PER_MIN * ratio;
      const firing = BURN_RATE_ALERTS.filter(
        (_, j) => factors[j] < factors[i] * mult,
      ).map(b => b.long);
      tests.push({
        name: `${window}: ${mult}x the ${a.long}/${a.short} factor ${
          factors[i]
        } ${mult > 1 ? 'fires' : 'stays quiet'}`,
        interval: '1m',
        input_series: [
          {
            series: 'http_requests_total{service="checkout",code="500"}',
            values: `0+${errors}x75`,
          },
          {
            series: 'http_requests_total{service="checkout",code="200"}',
            values: `0+${TOTAL_PER_MIN - errors}x75`,
          },
        ],
        alert_rule_test: [
          {
            eval_time: '70m',
            alertname: 'SLOErrorBudgetBurn',
            exp_alerts: alertsFor(alerts, firing),
          },
        ],
        // promtool 2.42 compares floats exactly: check the recorded ratio to 1e-12
        promql_expr_test: [
          {
            expr: `abs(slo:sli_error:ratio_rate1h{service="checkout",slo="availability"} - ${ratio}) < bool 1e-12`,
            eval_time: '70m',
            exp_samples: [
              { labels: '{service="checkout",slo="availability"}', value: 1 },
            ],
          },
        ],
      });
    }
  }
  // A 20-minute spike at 50x that ended 40 minutes ago: the long windows are still above
  // the page factors but the short ones (5m, 30m) are clean, so nothing pages; the ticket
  // pairs (short windows 2h and 6h still see the spike) do fire.
  const spike = TOTAL_PER_MIN * budget * 50;
  tests.push({
    name: `${window}: an ended spike does not page`,
    interval: '1m',
    input_series: series(`0+${spike}x20 ${spike * 20}+0x55`),
    alert_rule_test: [
      {
        eval_time: '60m',
        alertname: 'SLOErrorBudgetBurn',
        exp_alerts: alertsFor(alerts, ['1d', '3d']),
      },
    ],
  });
  // No traffic at all: NaN ratios, no alert.
  tests.push({
    name: `${window}: no traffic, no alert`,
    interval: '1m',
    input_series: series('0+0x75', 0),
    alert_rule_test: [
      { eval_time: '70m', alertname: 'SLOErrorBudgetBurn', exp_alerts: [] },
    ],
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slo-promtool-'));
  fs.writeFileSync(path.join(dir, 'rules.yaml'), stringify(spec));
  fs.writeFileSync(
    path.join(dir, 'test.yaml'),
    stringify({ rule_files: ['rules.yaml'], evaluation_interval: '1m', tests }),
  );
  try {
    execFileSync(PROMTOOL, ['check', 'rules', 'rules.yaml'], {
      cwd: dir,
      encoding: 'utf8',
    });
    const out = execFileSync(PROMTOOL, ['test', 'rules', 'test.yaml'], {
      cwd: dir,
      encoding: 'utf8',
    });
    fs.rmSync(dir, { recursive: true, force: true }); // kept when promtool fails
    return out;
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    throw new Error(`promtool failed in ${dir}:\n${err.stdout}\n${err.stderr}`);
  }
}

describe('generated SLO rules under promtool', () => {
  it.each(['28d', '30d'] as SloWindow[])(
    'fire at each burn rate and stay quiet below it (%s window)',
    window => {
      expect(runPromtool(window)).toMatch(/SUCCESS/);
    },
    60000,
  );
});
