import { SloBurningResponse } from '@shipshape/plugin-shipshape-common';
import { fireEvent, screen, within } from '@testing-library/react';
import { apiView } from '../../__testUtils__/render';
import { SloBurningPage } from './SloBurningPage';

const response: SloBurningResponse = {
  rows: [
    {
      entityRef: 'component:default/orders-api',
      slo: 'availability',
      displayName: 'Availability',
      objective: 0.9991,
      window: '28d',
      state: 'ok',
      errorBudgetRemaining: 0.112,
      burnRates: { '5m': 50, '1h': 19.6, '6h': 3.4, '3d': 1.1 },
    },
    {
      entityRef: 'component:default/payments-api',
      slo: 'latency-p90',
      objective: 0.9,
      window: '28d',
      state: 'error',
      error: 'Prometheus "local" is unreachable (ECONNREFUSED)',
      errorBudgetRemaining: null,
      burnRates: { '5m': null, '1h': null, '6h': null, '3d': null },
    },
  ],
  entities: 2,
  truncated: false,
  errors: [
    {
      entityRef: 'component:default/legacy-billing',
      error: 'Unknown Prometheus instance "eu"; configured: local',
    },
  ],
  evaluatedAt: new Date().toISOString(),
};

const view = apiView(<SloBurningPage />, 'getSloBurning');
const render = view.render;

describe('SloBurningPage', () => {
  it('lists SLOs fastest burn first with their budget, links and per-entity errors', async () => {
    render({ getSloBurning: async () => response });
    const link = await screen.findByRole('link', {
      name: 'orders-api',
    });
    expect(link).toHaveAttribute(
      'href',
      '/catalog/default/component/orders-api',
    );
    const row = link.closest('tr')!;
    expect(within(row).getByText('11.2%')).toBeInTheDocument();
    expect(within(row).getByText('20x')).toBeInTheDocument();
    expect(within(row).getByText('99.91% / 28d')).toBeInTheDocument();
    expect(
      screen.getByText(
        /error: Prometheus "local" is unreachable \(ECONNREFUSED\)/,
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        'component:default/legacy-billing: Unknown Prometheus instance "eu"; configured: local',
      ),
    ).toBeInTheDocument();
  });

  it('sorts by a column and searches', async () => {
    render({ getSloBurning: async () => response });
    const grid = await screen.findByRole('grid', { name: 'SLOs by burn rate' });
    const names = () =>
      within(grid)
        .getAllByRole('link')
        .map(l => l.textContent);
    // fastest 1h burn first; an SLO without a rate last
    expect(names()).toEqual(['orders-api', 'payments-api']);
    fireEvent.click(
      within(grid).getByRole('columnheader', { name: 'Budget left' }),
    );
    expect(names()).toEqual(['payments-api', 'orders-api']);
    fireEvent.change(
      screen.getByRole('searchbox', { name: 'Search SLOs by burn rate' }),
      { target: { value: 'latency' } },
    );
    expect(names()).toEqual(['payments-api']);
  });

  it('pages beyond 20 SLOs', async () => {
    const rows = Array.from({ length: 25 }, (_, i) => ({
      ...response.rows[0],
      entityRef: `component:default/service-${i}`,
      burnRates: { '5m': 1, '1h': 100 - i, '6h': 1, '3d': 1 },
    }));
    render({ getSloBurning: async () => ({ ...response, rows, errors: [] }) });
    const grid = await screen.findByRole('grid', { name: 'SLOs by burn rate' });
    expect(within(grid).getAllByRole('link')).toHaveLength(20);
    expect(screen.getByText('1 - 20 of 25')).toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: 'Next table page' }));
    expect(
      within(grid)
        .getAllByRole('link')
        .map(l => l.textContent),
    ).toEqual([20, 21, 22, 23, 24].map(i => `service-${i}`));
  });

  it('shows progress while loading', view.showsProgress());

  it(
    'shows the backend error',
    view.showsError('limit must be an integer from 1 to 500'),
  );

  it('says when no SLO is visible', async () => {
    render({
      getSloBurning: async () => ({ ...response, rows: [], errors: [] }),
    });
    expect(
      await screen.findByText('No entity you can see declares an SLO.'),
    ).toBeInTheDocument();
  });
});
