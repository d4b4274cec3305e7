import fs from 'fs';
import path from 'path';
import { parse } from 'yaml';
import { EXAMPLES } from '@internal/shipshape-test-utils';
import { runCli } from './sloRulesCli';

// The example service's OpenSLO file (a Service, a DataSource, then its SLOs).
const text = fs.readFileSync(
  path.join(EXAMPLES, 'slo/payments-api.yaml'),
  'utf8',
);

describe('rules CLI', () => {
  it('renders a PrometheusRule or a rule file from an OpenSLO file, and reports errors with exit codes', () => {
    const ok = runCli(
      ['--service', 'payments-api', '--label', 'team=payments', 'slo.yaml'],
      () => text,
    );
    expect(ok.code).toBe(0);
    const obj = parse(ok.out);
    expect(obj.kind).toBe('PrometheusRule');
    const alerts = obj.spec.groups.flatMap(
      (g: { rules: { alert?: string; labels?: object }[] }) =>
        g.rules.filter(r => r.alert),
    );
    expect(alerts[0].labels).toMatchObject({ team: 'payments' });
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
    // --format analysis: chart/files/slo-analysis.yaml, one metric per SLO
    const analysis = runCli(
      ['--service', 'payments-api', '--format', 'analysis', 'slo.yaml'],
      () => text,
    );
    expect(analysis.code).toBe(0);
    expect(analysis.out).toMatch(/^# Generated from slo\.yaml by Shipshape/);
    expect(
      parse(analysis.out).metrics.map((m: { name: string }) => m.name),
    ).toEqual(
      parse(rules.out)
        .groups.filter((g: { name: string }) => g.name.endsWith('-alerts'))
        .map(
          (g: { rules: { labels: { slo: string } }[] }) =>
            `slo-${g.rules[0].labels.slo}`,
        ),
    );
    const bad = runCli(['--service', 'payments-api', 'slo.yaml'], () =>
      text.replace('target: 0.999', 'target: 1'),
    );
    expect(bad).toMatchObject({ code: 1, out: '' });
    expect(bad.err).toMatch(
      /slo\.yaml: document 3: spec\.objectives\[0\]\.target: 1 is 100% or above/,
    );
    expect(runCli(['slo.yaml'], () => text).code).toBe(2);
  });
});
