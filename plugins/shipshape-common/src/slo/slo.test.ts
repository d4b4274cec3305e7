import { SHIPSHAPE_ANNOTATIONS, readAnnotation } from '../contract';
import {
  BURN_RATE_ALERTS,
  burnRateFactor,
  errorRatioExpr,
  formatSloError,
  generateSloRules,
  parseCounterQuery,
  parseOpenSlo,
  promString,
  renderSelector,
  slosFromInline,
} from '.';

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

describe('OpenSLO parsing', () => {
  it('reads a multi-document file with Service, SLI, DataSource and SLO kinds', () => {
    const text = `apiVersion: openslo/v1
kind: Service
metadata: { name: payments-api }
spec: {}
---
apiVersion: openslo/v1
kind: DataSource
metadata: { name: prom }
spec: { type: Prometheus, connectionDetails: {} }
---
apiVersion: openslo/v1
kind: SLI
metadata: { name: fast-requests }
spec:
  ratioMetric:
    counter: true
    good:
      metricSource:
        metricSourceRef: prom
        spec: { query: 'http_request_duration_seconds_bucket{service="payments-api",le="0.25"}' }
    total:
      metricSource:
        metricSourceRef: prom
        spec: { query: 'http_request_duration_seconds_count{service="payments-api"}' }
---
apiVersion: openslo/v1
kind: SLO
metadata: { name: payments-latency }
spec:
  indicatorRef: fast-requests
  timeWindow: [{ duration: 30d, isRolling: true }]
  objectives: [{ targetPercent: 99 }]
---
${availabilityDoc('target: 0.999')}`;
    const { slos, errors } = parseOpenSlo(text, 'slo.yaml');
    expect(errors).toEqual([]);
    expect(
      slos.map(s => [s.name, s.objective, s.window, s.indicator.kind]),
    ).toEqual([
      ['payments-latency', 0.99, '30d', 'latency'],
      ['payments-availability', 0.999, '28d', 'availability'],
    ]);
    expect(slos[0].indicator.latencyThresholdSeconds).toBe(0.25);
    expect(slos[1].source).toBe('slo.yaml, document 5');
    expect(errorRatioExpr(slos[1], '1h')).toBe(
      '(1 - sum(rate(http_requests_total{job="payments-api",code!~"5.."}[1h])) / sum(rate(http_requests_total{job="payments-api"}[1h])))',
    );
  });

  it('reads the file the templates write (after rendering)', () => {
    const fs = require('fs') as typeof import('fs');
    const path = require('path') as typeof import('path');
    const tpl = fs.readFileSync(
      path.resolve(
        __dirname,
        '../../../../templates/_shared/skeleton/slo.yaml',
      ),
      'utf8',
    );
    const rendered = tpl
      .replace(/\$\{\{ values\.name \}\}/g, 'orders-api')
      .replace(/\$\{\{ values\.description \| dump \}\}/g, '"Orders"')
      .replace(/\$\{\{ values\.tier \}\}/g, 'critical')
      .replace(/\$\{\{ values\.latencyThresholdMs \}\}/g, '250')
      .replace(/\$\{\{ values\.latencyLe \}\}/g, '0.25')
      .replace(/\$\{\{ values\.(availability|latency)Target \}\}/g, '99.9')
      .replace(/\$\{\{ \(values\.\w+ \/ 100\) \| round\(6\) \}\}/g, '0.999');
    const { slos, errors } = parseOpenSlo(rendered, 'slo.yaml');
    expect(errors).toEqual([]);
    expect(slos.map(s => [s.name, s.indicator.kind])).toEqual([
      ['orders-api-availability', 'availability'],
      ['orders-api-latency', 'latency'],
    ]);
  });

  it.each([
    ['target: 1', 'spec.objectives[0].target: 1 is 100% or above'],
    ['target: 1.5', 'spec.objectives[0].target: 1.5 is 100% or above'],
    [
      'targetPercent: 100',
      'spec.objectives[0].targetPercent: 100% is 100% or above',
    ],
    [
      'targetPercent: 0',
      'spec.objectives[0].targetPercent: 0% must be above 0',
    ],
    ['target: "high"', 'spec.objectives[0].target: must be a number'],
  ])(
    'refuses the objective %s with file, document and field',
    (target, msg) => {
      const { slos, errors } = parseOpenSlo(
        `apiVersion: openslo/v1\nkind: Service\nmetadata: {name: x}\n---\n${availabilityDoc(
          target,
        )}`,
        'repo/slo.yaml',
      );
      expect(slos).toEqual([]);
      expect(errors.map(formatSloError)).toEqual([
        expect.stringContaining(`repo/slo.yaml: document 2: ${msg}`),
      ]);
    },
  );

  it('refuses an unknown window and a calendar window', () => {
    const r1 = parseOpenSlo(
      availabilityDoc('target: 0.99').replace('duration: 28d', 'duration: 7d'),
      'slo.yaml',
    );
    expect(r1.errors.map(formatSloError)).toEqual([
      'slo.yaml: document 1: spec.timeWindow[0].duration: "7d" is not a supported window; expected 28d or 30d',
    ]);
    const r2 = parseOpenSlo(
      availabilityDoc('target: 0.99').replace(
        'isRolling: true',
        'isRolling: false',
      ),
      'slo.yaml',
    );
    expect(formatSloError(r2.errors[0])).toMatch(
      /document 1: spec.timeWindow\[0\].isRolling: must be true/,
    );
  });

  it('reports a file that does not parse, with line and column, and keeps the valid documents', () => {
    const text = `${availabilityDoc(
      'target: 0.99',
    )}---\napiVersion: openslo/v1\nkind: SLO\nmetadata: {name: [broken\n`;
    const { slos, errors } = parseOpenSlo(text, 'slo.yaml');
    expect(slos.map(s => s.name)).toEqual(['payments-availability']);
    expect(errors).toHaveLength(1);
    expect(formatSloError(errors[0])).toMatch(
      /^slo\.yaml: document 2: is not valid YAML at line \d+, column \d+: /,
    );
  });

  it('refuses non-openslo documents, missing SLIs, other data sources and PromQL beyond a selector', () => {
    const cases: [string, RegExp][] = [
      [
        'apiVersion: sloth/v1\nkind: SLO\n',
        /document 1: apiVersion: is "sloth\/v1"; expected "openslo\/v1"/,
      ],
      [
        availabilityDoc('target: 0.9').replace(
          'type: Prometheus',
          'type: Datadog',
        ),
        /ratioMetric.good.metricSource.type: is "Datadog"; only Prometheus/,
      ],
      [
        availabilityDoc('target: 0.9').replace(
          'sum(http_requests_total{job="payments-api"})',
          'sum(http_requests_total{job="payments-api"}) or vector(1)',
        ),
        /ratioMetric.total.metricSource.spec.query: only a vector selector, optionally inside sum\(...\), is allowed; unexpected text at character \d+/,
      ],
      [
        availabilityDoc('target: 0.9').replace(
          'sum(http_requests_total{job="payments-api"})',
          'rate(http_requests_total[5m])',
        ),
        /spec.query: .*at character/,
      ],
      [
        'apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: Bad_Name}\nspec: {}\n',
        /document 1: metadata.name: "Bad_Name" is not a valid SLO name/,
      ],
      [
        'apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: a}\nspec: {indicatorRef: nope}\n',
        /spec.indicatorRef: no SLI named "nope"/,
      ],
    ];
    for (const [text, re] of cases) {
      const { errors } = parseOpenSlo(text, 'slo.yaml');
      expect(errors.map(formatSloError).join('\n')).toMatch(re);
    }
  });
});

describe('inline annotation', () => {
  const entity = (v: string) => ({
    metadata: { annotations: { 'shipshape.dev/slo': v } },
  });

  it('parses availability, latency and window', () => {
    const r = readAnnotation(
      entity('availability=99.9%; latency-p99=250ms; window=30d'),
      'slo',
    );
    expect(r).toEqual({
      ok: true,
      value: {
        availability: 0.999,
        latency: { objective: 0.99, thresholdSeconds: 0.25 },
        window: '30d',
      },
    });
    const slos = slosFromInline(
      r!.ok ? r!.value : (undefined as never),
      'payments-api',
      'annotation',
    );
    expect(slos.map(s => errorRatioExpr(s, '5m'))).toEqual([
      '(sum(rate(http_requests_total{service="payments-api",code=~"5.."}[5m])) / sum(rate(http_requests_total{service="payments-api"}[5m])))',
      '(1 - sum(rate(http_request_duration_seconds_bucket{service="payments-api",le="0.25"}[5m])) / sum(rate(http_request_duration_seconds_count{service="payments-api"}[5m])))',
    ]);
  });

  it.each([
    ['availability=100%', /availability 100% is 100% or above/],
    [
      'availability=99.99%; window=7d',
      /window "7d" is not supported \(28d or 30d\)/,
    ],
    ['availability=high', /availability "high" must be a percentage/],
    ['latency-p99=fast', /latency-p99 threshold "fast" must be a duration/],
    ['window=28d', /no objective/],
    ['availability=99%; availability=98%', /"availability" is given twice/],
    ['colour=blue', /unknown key "colour"/],
  ])('refuses %s precisely', (v, re) => {
    const r = SHIPSHAPE_ANNOTATIONS.slo.parse(v);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/^shipshape\.dev\/slo: /);
    expect(!r.ok && r.error).toMatch(re);
  });
});

describe('PromQL escaping', () => {
  it('escapes every value that reaches PromQL and re-prints parsed selectors', () => {
    expect(promString('a"b\\c\nd')).toBe('"a\\"b\\\\c\\nd"');
    const sel = parseCounterQuery(
      `sum(http_requests_total{job='x"}) or vector(1) or up{a="', code=~"5.."})`,
    );
    expect(sel.matchers[0]).toEqual({
      name: 'job',
      op: '=',
      value: 'x"}) or vector(1) or up{a="',
    });
    // printed back, the quote is escaped: still one selector, one matcher value
    expect(renderSelector(sel)).toBe(
      'http_requests_total{job="x\\"}) or vector(1) or up{a=\\"",code=~"5.."}',
    );
  });

  it('makes an injection through a service label value impossible', () => {
    const [slo] = slosFromInline(
      { availability: 0.99, window: '28d' },
      'svc"} or vector(1) #',
      'annotation',
    );
    // the query built for the backend keeps the value inside one string literal
    expect(errorRatioExpr(slo, '5m')).toContain(
      'service="svc\\"} or vector(1) #"',
    );
    // and rules refuse such a service name outright
    expect(() =>
      generateSloRules(slo, { service: 'svc"} or vector(1) #' }),
    ).toThrow(/not a valid kubernetes-id/);
    expect(() =>
      generateSloRules(slo, {
        service: 'svc',
        alertLabels: { 'bad-name': 'x' },
      }),
    ).toThrow(/alert label "bad-name"/);
    expect(() => parseCounterQuery('http_requests_total{job="a"}[5m]')).toThrow(
      /range selector is not allowed/,
    );
    expect(() => errorRatioExpr(slo, '5m]) or vector(1) #')).toThrow(
      /invalid window/,
    );
  });
});

describe('rule generation', () => {
  const [slo] = slosFromInline(
    { availability: 0.999, window: '28d' },
    'payments-api',
    'a',
  );

  it('adjusts the workbook factors to the window', () => {
    expect(BURN_RATE_ALERTS.map(a => burnRateFactor(a, '30d'))).toEqual([
      14.4, 6, 3, 1,
    ]);
    expect(BURN_RATE_ALERTS.map(a => burnRateFactor(a, '28d'))).toEqual([
      13.44, 5.6, 2.8, 0.9333333333,
    ]);
  });

  it('records 8 windows + 3 metadata series and 4 alerts, labelled with service and slo', () => {
    const { groups } = generateSloRules(slo, {
      service: 'payments-api',
      runbookUrl: 'https://x/{{ $value }}',
    });
    expect(groups.map(g => [g.name, g.rules.length])).toEqual([
      ['payments-api-slo-availability-recordings', 11],
      ['payments-api-slo-availability-alerts', 4],
    ]);
    expect(groups[0].rules.map(r => r.record)).toEqual([
      'slo:sli_error:ratio_rate5m',
      'slo:sli_error:ratio_rate30m',
      'slo:sli_error:ratio_rate1h',
      'slo:sli_error:ratio_rate2h',
      'slo:sli_error:ratio_rate6h',
      'slo:sli_error:ratio_rate1d',
      'slo:sli_error:ratio_rate3d',
      'slo:sli_error:ratio_rate28d',
      'slo:objective:ratio',
      'slo:error_budget:ratio',
      'slo:error_budget_remaining:ratio',
    ]);
    const page = groups[1].rules[0];
    expect(page.expr).toBe(
      'slo:sli_error:ratio_rate1h{service="payments-api",slo="availability"} > (13.44 * 0.001)\nand\nslo:sli_error:ratio_rate5m{service="payments-api",slo="availability"} > (13.44 * 0.001)',
    );
    expect(page.labels).toEqual({
      service: 'payments-api',
      slo: 'availability',
      severity: 'page',
      long_window: '1h',
      short_window: '5m',
      burn_rate: '13.44',
    });
    // user text cannot open a Go template in an annotation
    expect(page.annotations!.runbook_url).toBe('https://x/{ { $value } }');
  });
});

describe('the examples', () => {
  it('declare valid SLOs (payments-api: OpenSLO file, orders-api: inline)', () => {
    const fs = require('fs') as typeof import('fs');
    const path = require('path') as typeof import('path');
    const root = path.resolve(__dirname, '../../../..');
    const { slos, errors } = parseOpenSlo(
      fs.readFileSync(
        path.join(root, 'examples/slo/payments-api.yaml'),
        'utf8',
      ),
      'payments-api.yaml',
    );
    expect(errors).toEqual([]);
    expect(slos.map(s => [s.name, s.objective, s.indicator.kind])).toEqual([
      ['availability', 0.999, 'availability'],
      ['latency-p99', 0.99, 'latency'],
      ['latency-p90', 0.9, 'latency'],
    ]);
    const entities = fs.readFileSync(
      path.join(root, 'examples/entities.yaml'),
      'utf8',
    );
    const inline = /shipshape\.dev\/slo: (.*)/.exec(entities)![1];
    expect(SHIPSHAPE_ANNOTATIONS.slo.parse(inline)).toMatchObject({
      ok: true,
      value: {
        availability: 0.9991,
        latency: { objective: 0.9, thresholdSeconds: 0.25 },
      },
    });
  });
});
