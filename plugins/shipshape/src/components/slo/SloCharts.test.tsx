import { screen, within } from '@testing-library/react';
import { renderWithBackend } from '../../__testUtils__/render';
import { SloChartsCard } from './SloCharts';

// the first render of a test app takes seconds on a busy 2-core machine
jest.setTimeout(30_000);

const entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'orders-api',
    namespace: 'default',
    annotations: { 'shipshape.dev/slo': 'availability=99.9%' },
  },
  spec: {
    type: 'service',
    owner: 'group:default/team-a',
    lifecycle: 'production',
  },
};

const json = (body: unknown, status = 200) =>
  Promise.resolve(
    new Response(JSON.stringify(body), {
      status,
      headers: { 'Content-Type': 'application/json' },
    }),
  );

const T = 1_780_000_000;
const series = (values: Array<number | null>, step: number) =>
  values.map((value, i) => ({ t: T + i * step, value }));

// As GET /entities/.../slos/charts answers (values made simple): the budget falls from 80 % to
// 12 % with a gap of 2 points, the 1h burn is above its threshold now.
const charts = {
  entityRef: 'component:default/orders-api',
  declared: true,
  errors: [],
  evaluatedAt: '2026-12-07T00:00:00Z',
  slos: [
    {
      name: 'availability',
      objective: 0.999,
      window: '28d',
      state: 'ok',
      budget: {
        step: 20160,
        points: series([0.8, 0.6, null, null, 0.3, 0.12], 20160),
      },
      burn: {
        step: 2160,
        windows: [
          {
            window: '1h',
            severity: 'page',
            threshold: 13.44,
            points: series([0.8, 1, 20], 2160),
          },
          {
            window: '6h',
            severity: 'page',
            threshold: 5.6,
            points: series([0.8, 0.9, 4], 2160),
          },
          {
            window: '1d',
            severity: 'ticket',
            threshold: 2.8,
            points: series([0.8, 0.8, 1.5], 2160),
          },
          {
            window: '3d',
            severity: 'ticket',
            threshold: 0.9333333333,
            points: series([null, null, null], 2160),
          },
        ],
      },
    },
  ],
};

describe('the SLO tab charts', () => {
  it('draws the budget left and the burn rate per alert window, and says in words what they show', async () => {
    const fetch = jest.fn(async () => json(charts));
    await renderWithBackend(<SloChartsCard />, entity, fetch);
    const section = await screen.findByRole('region', {
      name: 'charts of availability',
    });
    expect(fetch.mock.calls[0]).toEqual([
      'http://backend/api/shipshape/entities/component/default/orders-api/slos/charts?points=120',
      expect.anything(),
    ]);
    expect(
      within(section).getByText('availability · 99.9% over 28d'),
    ).toBeInTheDocument();
    const images = within(section)
      .getAllByRole('img')
      .map(i => i.getAttribute('aria-label'));
    expect(images).toEqual([
      'Error budget left over 28d: 12% left now, 80% on 28 May; no data for 2 of 6 points (gaps)',
      'Burn rate over 1h, last 3 days: 20x now; pages above 13.44x (above now)',
      'Burn rate over 6h, last 3 days: 4x now; pages above 5.6x',
      'Burn rate over 1d, last 3 days: 1.5x now; opens a ticket above 2.8x',
      'Burn rate over 3d, last 3 days: no data; opens a ticket above 0.93x',
    ]);
  });

  it('tells an entity without an SLO how to declare one', async () => {
    await renderWithBackend(
      <SloChartsCard />,
      { ...entity, metadata: { name: 'plain', namespace: 'default' } },
      async () => json({ ...charts, declared: false, slos: [] }),
    );
    expect(await screen.findByText('No SLO declared')).toBeInTheDocument();
    expect(screen.getByText(/^Add shipshape\.dev\/slo/)).toBeInTheDocument();
  });

  it("shows the backend's error", async () => {
    await renderWithBackend(<SloChartsCard />, entity, async () =>
      json(
        {
          error: {
            name: 'InputError',
            message: "points: '5' is not an integer from 10 to 500",
          },
          response: { statusCode: 400 },
        },
        400,
      ),
    );
    expect(
      (await screen.findAllByText(/is not an integer from 10 to 500/))[0],
    ).toBeInTheDocument();
  });

  it('says when Prometheus did not answer: no chart for an error, the last good ones marked stale', async () => {
    // as the backend answers when Prometheus stalls (sloTab.stack.test.ts): 200, per SLO
    const [ok] = charts.slos;
    const timeout = 'Prometheus "local" did not answer within 5000 ms';
    const answer = {
      ...charts,
      slos: [
        { ...ok, state: 'stale', error: timeout },
        {
          ...ok,
          name: 'latency-p99',
          state: 'error',
          error: timeout,
          budget: { step: 20160, points: [] },
          burn: {
            step: 2160,
            windows: ok.burn.windows.map(w => ({ ...w, points: [] })),
          },
        },
      ],
    };
    await renderWithBackend(<SloChartsCard />, entity, async () =>
      json(answer),
    );
    const stale = await screen.findByRole('region', {
      name: 'charts of availability',
    });
    expect(within(stale).getByText(`Stale: ${timeout}`)).toBeInTheDocument();
    // the last good charts are still drawn
    expect(within(stale).getAllByRole('img')[0]).toHaveAttribute(
      'aria-label',
      expect.stringMatching(/^Error budget left over 28d: 12% left now/),
    );
    const failed = screen.getByRole('region', {
      name: 'charts of latency-p99',
    });
    expect(within(failed).getByText(timeout)).toBeInTheDocument();
    // no budget line, and each burn chart says it has no data
    expect(
      within(failed)
        .getAllByRole('img')
        .map(i => i.getAttribute('aria-label')),
    ).toEqual([
      'Burn rate over 1h, last 3 days: no data; pages above 13.44x',
      'Burn rate over 6h, last 3 days: no data; pages above 5.6x',
      'Burn rate over 1d, last 3 days: no data; opens a ticket above 2.8x',
      'Burn rate over 3d, last 3 days: no data; opens a ticket above 0.93x',
    ]);
  });
});
