import { parse } from 'yaml';
import { runCli } from './sloRulesCli';

const availabilityDoc = (target: string, extra = '') => `apiVersion: openslo/v1
kind: SLO
metadata:
  name: payments-availability
  displayName: Availability
spec:
  service: payments-api
  indicator:
    metadata:
      name: payments-non-5xx
    spec:
      ratioMetric:
        counter: true
        good:
          metricSource:
            type: Prometheus
            spec:
              query: sum(http_requests_total{job="payments-api",code!~"5.."})
        total:
          metricSource:
            type: Prometheus
            spec:
              query: sum(http_requests_total{job="payments-api"})
  timeWindow:
    - duration: 28d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - ${target}
${extra}`;

describe('rules CLI', () => {
  it('renders a PrometheusRule or a rule file from an OpenSLO file, and reports errors with exit codes', () => {
    const text = availabilityDoc('target: 0.999');
    const ok = runCli(
      ['--service', 'payments-api', '--label', 'team=payments', 'slo.yaml'],
      () => text,
    );
    expect(ok.code).toBe(0);
    const obj = parse(ok.out);
    expect(obj.kind).toBe('PrometheusRule');
    expect(obj.spec.groups[1].rules[0].labels).toMatchObject({
      team: 'payments',
      severity: 'page',
    });
    const rules = runCli(
      ['--service', 'payments-api', '--format', 'rules', 'slo.yaml'],
      () => text,
    );
    expect(Object.keys(parse(rules.out))).toEqual(['groups']);
    // --format chart: the same groups under the header of chart/files/slo-rules.yaml
    const chart = runCli(
      ['--service', 'payments-api', '--format', 'chart', 'slo.yaml'],
      () => text,
    );
    expect(chart.out).toMatch(/^# Generated from slo\.yaml by Shipshape/);
    expect(chart.out.endsWith(rules.out)).toBe(true);
    const bad = runCli(['--service', 'payments-api', 'slo.yaml'], () =>
      availabilityDoc('target: 1'),
    );
    expect(bad).toMatchObject({ code: 1, out: '' });
    expect(bad.err).toMatch(
      /slo\.yaml: document 1: spec\.objectives\[0\]\.target: 1 is 100% or above/,
    );
    expect(runCli(['slo.yaml'], () => text).code).toBe(2);
  });
});
