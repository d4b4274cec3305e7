import { parse } from 'yaml';
import { generateSloRules, parseOpenSlo, renderSloAnalysisFile } from '.';

const slo = (target: string, window = '30d') => `apiVersion: openslo/v1
kind: SLO
metadata:
  name: shop-availability
spec:
  service: shop
  indicator:
    spec:
      ratioMetric:
        counter: true
        good:
          metricSource:
            type: Prometheus
            spec:
              query: sum(http_requests_total{job="shop",code!~"5.."})
        total:
          metricSource:
            type: Prometheus
            spec:
              query: sum(http_requests_total{job="shop"})
  timeWindow:
    - duration: ${window}
      isRolling: true
  objectives:
    - target: ${target}
`;

describe('the SLO analysis of a canary or blue-green release', () => {
  it('is the 5m error ratio of the recording rules, failing above the fastest page alert', () => {
    const file = parse(renderSloAnalysisFile(slo('0.999'), 'slo.yaml'));
    const [metric] = file.metrics;
    const rules = generateSloRules(
      parseOpenSlo(slo('0.999'), 'slo.yaml').slos[0],
      {
        service: 'shop',
      },
    );
    const recorded = rules.groups[0].rules.find(
      r => r.record === 'slo:sli_error:ratio_rate5m',
    )!;
    const page = rules.groups[1].rules[0];
    // the same PromQL as the recording rule and the same number as the 1h/5m page alert
    expect(metric.query).toBe(recorded.expr);
    expect(page.expr).toContain(`> (14.4 * 0.001)`);
    expect(metric).toMatchObject({
      name: 'slo-shop-availability',
      threshold: 0.0144,
      failureCondition: 'len(result) > 0 && result[0] > 0.0144',
      window: '5m',
      failureLimit: 0,
    });
    // a 28-day window scales the factor as the alerts do (13.44 x 0.005)
    expect(
      parse(renderSloAnalysisFile(slo('0.995', '28d'), 'slo.yaml')).metrics[0]
        .threshold,
    ).toBe(0.0672);
  });

  it('names file, document and field of a bad slo.yaml', () => {
    expect(() => renderSloAnalysisFile(slo('1.5'), 'slo.yaml')).toThrow(
      /slo\.yaml.*document 1.*objectives\[0\]\.target/,
    );
  });
});
