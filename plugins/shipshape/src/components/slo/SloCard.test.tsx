import {
  EntitySlosResponse,
  SloStatus,
} from '@shipshape/plugin-shipshape-common';
import { screen, waitFor, within } from '@testing-library/react';
import { apiView } from '../../__testUtils__/render';
import { SloCard } from './SloCard';

const entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'orders-api', namespace: 'default' },
  spec: { type: 'service', owner: 'team-a', lifecycle: 'production' },
};

const day = 86400;
const now = Math.floor(Date.now() / 1000);
const history = Array.from({ length: 28 }, (_, i) => ({
  t: now - (27 - i) * day,
  remaining: 1 - (i + 1) * 0.032,
}));

const slo = (over: Partial<SloStatus> = {}): SloStatus => ({
  name: 'availability',
  displayName: 'Availability',
  source: 'shipshape.dev/slo',
  kind: 'availability',
  objective: 0.999,
  window: '28d',
  state: 'ok',
  asOf: new Date().toISOString(),
  sli: 0.99911,
  errorBudgetRemaining: 0.104,
  burnRates: { '5m': 20, '1h': 19.6, '6h': 4.2, '3d': 1.2 },
  history,
  alerts: [
    {
      name: 'SLOErrorBudgetBurn',
      state: 'firing',
      severity: 'page',
      activeAt: new Date(Date.now() - 7 * 60_000).toISOString(),
      summary:
        'orders-api: SLO Availability burns its error budget 13.44x too fast',
      slo: 'availability',
      labels: { service: 'orders-api', slo: 'availability' },
    },
  ],
  link: 'http://prom.example/graph?g0.expr=x',
  ...over,
});

const response = (
  over: Partial<EntitySlosResponse> = {},
): EntitySlosResponse => ({
  entityRef: 'component:default/orders-api',
  service: 'orders-api',
  declared: true,
  prometheus: { instance: 'local', url: 'http://prom.example' },
  state: 'ok',
  errors: [],
  slos: [slo()],
  alerts: [],
  alertsState: 'ok',
  evaluatedAt: new Date().toISOString(),
  ...over,
});

/** The compact chart's line (recharts' path), once drawn. */
function curve(chart: HTMLElement): Element {
  const path = chart.querySelector('path.recharts-line-curve');
  if (!path) throw new Error('no line drawn yet');
  return path;
}

const view = apiView(<SloCard />, 'getEntitySlos', entity);
const render = view.render;

describe('SloCard', () => {
  it('shows progress while loading', view.showsProgress());

  it(
    'shows the backend error',
    view.showsError('Unknown Prometheus instance "nowhere"; configured: local'),
  );

  it('says when no SLO is declared', async () => {
    render({
      getEntitySlos: async () => response({ declared: false, slos: [] }),
    });
    expect(await screen.findByText('No SLO declared')).toBeInTheDocument();
  });

  it('shows budget, burn-rate badges in words, the compact chart, firing alerts with age and their Prometheus and Alertmanager links', async () => {
    const calls: unknown[] = [];
    render({
      getEntitySlos: async ref => {
        calls.push(ref);
        return response({ alertmanager: { url: 'http://am.example/' } });
      },
    });
    const block = await screen.findByTestId('slo-availability');
    expect(calls).toEqual([
      { kind: 'Component', namespace: 'default', name: 'orders-api' },
    ]);
    const b = within(block);
    expect(b.getByText('10.4% of the error budget left')).toBeInTheDocument();
    expect(
      b.getByText(/SLI 99\.911% \/ objective 99\.9% over 28d/),
    ).toBeInTheDocument();
    // the rate's meaning is written on the badge, not only in its colour
    expect(b.getByText('5m 20x paging')).toBeInTheDocument();
    expect(b.getByText('6h 4.2x over')).toBeInTheDocument();
    expect(b.getByText('3d 1.2x over')).toBeInTheDocument();
    // the compact budget chart (recharts, a lazy chunk): one line through the 28 days
    const chart = await b.findByRole('img', {
      name: 'Availability: error budget remaining, day by day over 28d, ending at 10.4%',
    });
    const line = await waitFor(() => curve(chart));
    expect(line.getAttribute('d')!.match(/M/g)).toHaveLength(1);
    // the line ends where the text says: 10.4 % on a 0..100 % axis, 32 px high, 2 px margin
    const ys = [
      ...line.getAttribute('d')!.matchAll(/[ML]([\d.-]+),([\d.-]+)/g),
    ];
    expect(ys).toHaveLength(28);
    expect(Number(ys[27][2])).toBeCloseTo(2 + (1 - 0.104) * 32, 1);
    const alert = b.getByTestId('slo-alert');
    expect(alert).toHaveTextContent('page');
    expect(alert).toHaveTextContent('SLOErrorBudgetBurn firing for 7m');
    expect(b.queryByText('Grafana')).toBeNull();
    expect(b.getAllByText('Prometheus')[0].closest('a')).toHaveAttribute(
      'href',
      'http://prom.example/graph?g0.expr=x',
    );
    const inPrometheus = within(alert).getByRole('link', {
      name: /^SLOErrorBudgetBurn in Prometheus/,
    });
    expect(
      new URL(inPrometheus.getAttribute('href')!).searchParams.get('g0.expr'),
    ).toBe('ALERTS{alertname="SLOErrorBudgetBurn",service="orders-api"}');
    expect(
      within(alert)
        .getByRole('link', { name: /^SLOErrorBudgetBurn in Alertmanager/ })
        .getAttribute('href'),
    ).toBe(
      `http://am.example/#/alerts?filter=${encodeURIComponent(
        '{alertname="SLOErrorBudgetBurn",service="orders-api"}',
      )}`,
    );
  });

  it('marks stale numbers, shows a failed SLO and declaration errors', async () => {
    render({
      getEntitySlos: async () =>
        response({
          state: 'error',
          errors: [
            './slo.yaml: document 2: spec.objectives[0].target: 1 is 100% or above',
          ],
          slos: [
            slo({
              state: 'stale',
              error: 'Prometheus "local" did not answer within 5000 ms',
              alerts: [],
            }),
            slo({
              name: 'latency',
              displayName: 'Latency',
              state: 'error',
              error: 'Prometheus "local" is unreachable (ECONNREFUSED)',
              sli: null,
              errorBudgetRemaining: null,
              alerts: [],
            }),
          ],
        }),
    });
    expect(
      await screen.findByText(/document 2: spec.objectives\[0\].target/),
    ).toBeInTheDocument();
    const stale = screen.getByTestId('slo-availability');
    expect(
      within(stale).getByText(
        /Stale: Prometheus "local" did not answer within 5000 ms/,
      ),
    ).toBeInTheDocument();
    expect(
      within(stale).getByText('10.4% of the error budget left'),
    ).toBeInTheDocument();
    const failed = screen.getByTestId('slo-latency');
    expect(
      within(failed).getByText(
        'Prometheus "local" is unreachable (ECONNREFUSED)',
      ),
    ).toBeInTheDocument();
  });

  it('draws a day without data as a gap in the compact chart, not a line to 0 or a bridge', async () => {
    const gapped = history.map((p, i) =>
      i === 10 || i === 11 ? { ...p, remaining: null } : p,
    );
    render({
      getEntitySlos: async () =>
        response({ slos: [slo({ history: gapped, alerts: [] })] }),
    });
    const chart = await screen.findByRole('img', {
      name: 'Availability: error budget remaining, day by day over 28d, ending at 10.4%',
    });
    const d = (await waitFor(() => curve(chart))).getAttribute('d')!;
    // two segments (a move to the first point after the gap), 26 points in all
    expect(d.match(/M/g)).toHaveLength(2);
    const ys = [...d.matchAll(/[ML]([\d.-]+),([\d.-]+)/g)].map(m =>
      Number(m[2]),
    );
    expect(ys).toHaveLength(26);
    // the zero line is the dashed reference line; no point of the budget line drops to it
    const zero = Number(
      chart.querySelector('.recharts-reference-line line')!.getAttribute('y1'),
    );
    expect(Math.max(...ys)).toBeLessThan(zero);
  });

  it('links to Grafana when the instance has it', async () => {
    render({
      getEntitySlos: async () =>
        response({
          slos: [
            slo({ grafanaLink: 'https://grafana.example.com/explore?x=1' }),
          ],
        }),
    });
    const link = await screen.findByText('Grafana');
    expect(link.closest('a')).toHaveAttribute(
      'href',
      'https://grafana.example.com/explore?x=1',
    );
  });

  it('says when the budget is exhausted', async () => {
    render({
      getEntitySlos: async () =>
        response({ slos: [slo({ errorBudgetRemaining: -0.37, alerts: [] })] }),
    });
    expect(
      await screen.findByText('Budget exhausted (-37%)'),
    ).toBeInTheDocument();
  });
});
