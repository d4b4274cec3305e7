import { fireEvent, screen, within } from '@testing-library/react';
import { DrOverview, DrOverviewQuery } from '../../api';
import { apiView } from '../../__testUtils__/render';
import { DrOverviewPage, overviewCsv } from './DrOverviewPage';

const minutesAgo = (m: number) =>
  new Date(Date.now() - m * 60_000).toISOString();

const overview: DrOverview = {
  rows: [
    {
      entityRef: 'component:default/payments-api',
      name: 'payments-api',
      link: '/catalog/default/component/payments-api',
      owner: 'group:default/team-b',
      system: 'system:default/payments',
      tier: 'critical',
      grade: 'fail',
      gradedAt: minutesAgo(60),
      rpoSeconds: 900,
      rtoSeconds: 60,
      lastBackupAt: minutesAgo(125),
      backupAgeSeconds: 7500,
      backupWithinRpo: false,
      lastDrillAt: minutesAgo(30),
      lastDrillStatus: 'failed',
      restoreMs: 90_000,
      restoreWithinRto: false,
    },
    {
      entityRef: 'component:default/legacy-api',
      name: 'legacy-api',
      title: 'Legacy, "old" API',
      link: '/catalog/default/component/legacy-api',
      owner: 'group:default/team-a',
      grade: 'none',
    },
    {
      entityRef: 'component:default/orders-api',
      name: 'orders-api',
      link: '/catalog/default/component/orders-api',
      owner: 'group:default/team-a',
      tier: 'standard',
      grade: 'pass',
      rpoSeconds: 3600,
      rtoSeconds: 14400,
      lastBackupAt: minutesAgo(10),
      backupAgeSeconds: 600,
      backupWithinRpo: true,
      lastDrillAt: minutesAgo(50),
      lastDrillStatus: 'succeeded',
      restoreMs: 30_000,
      restoreWithinRto: true,
    },
  ],
  total: 3,
  entities: 3,
  truncated: false,
  owners: ['group:default/team-a', 'group:default/team-b'],
  evaluatedAt: new Date().toISOString(),
};

const view = apiView(<DrOverviewPage />, 'getDrOverview');

describe('DrOverviewPage', () => {
  it('lists each service with its grade, backup against its RPO and drill against its RTO, and says how many are late', async () => {
    view.render({ getDrOverview: async () => overview });
    expect(
      await screen.findByText(
        '2 of 3 services have no verified backup within their RPO',
      ),
    ).toBeInTheDocument();
    const link = screen.getByRole('link', { name: 'payments-api' });
    expect(link).toHaveAttribute(
      'href',
      '/catalog/default/component/payments-api',
    );
    const row = within(link.closest('tr')!);
    expect(row.getByText('fail')).toBeInTheDocument();
    expect(row.getByText('2h 5m ago (RPO 15m)')).toBeInTheDocument();
    expect(row.getByText('failed 30m ago')).toBeInTheDocument();
    expect(row.getByText('1m 30s (RTO 1m)')).toBeInTheDocument();
    expect(row.getByText('team-b')).toBeInTheDocument();
    expect(row.getByText('payments')).toBeInTheDocument();

    const legacy = within(
      screen.getByRole('link', { name: 'Legacy, "old" API' }).closest('tr')!,
    );
    expect(legacy.getByText('not graded')).toBeInTheDocument();
    expect(legacy.getByText('none (no RPO)')).toBeInTheDocument();
    // backup targets are configured: no hint
    expect(screen.queryByText(/Not configured/)).not.toBeInTheDocument();
  });

  it('names the key to set, with its docs, when the backend has no backup target', async () => {
    view.render({
      getDrOverview: async () => ({
        ...overview,
        unconfigured: ['shipshape.backup.targets'],
      }),
    });
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'Not configured: shipshape.backup.targets',
    );
    expect(screen.getByRole('alert')).toHaveTextContent(
      'How to configure it: docs/backup.md',
    );
    expect(
      screen.getByRole('link', { name: 'payments-api' }),
    ).toBeInTheDocument();
  });

  it('asks the backend again for each filter, with the owners it answered as choices', async () => {
    const queries: DrOverviewQuery[] = [];
    view.render({
      getDrOverview: async (query?: DrOverviewQuery) => {
        queries.push(query ?? {});
        return query?.grade === 'warn'
          ? { ...overview, rows: [], total: 0 }
          : overview;
      },
    });
    await screen.findByText(/of 3 services have no verified backup/);
    // Backstage UI's Select: its button is named by its label, its options by their text
    const choose = async (label: string, option: string) => {
      fireEvent.click(
        screen.getByRole('button', { name: new RegExp(`${label}$`) }),
      );
      fireEvent.click(await screen.findByRole('option', { name: option }));
    };
    await choose('Owner', 'team-b');
    await screen.findByText(/of 3 services have no verified backup/);
    await choose('Tier', 'no tier');
    await screen.findByText(/of 3 services have no verified backup/);
    await choose('Grade', 'warn');
    expect(
      await screen.findByText('No service matches these filters.'),
    ).toBeInTheDocument();
    expect(queries).toEqual([
      { limit: 5000 },
      { owner: 'group:default/team-b', limit: 5000 },
      { owner: 'group:default/team-b', tier: 'none', limit: 5000 },
      {
        owner: 'group:default/team-b',
        tier: 'none',
        grade: 'warn',
        limit: 5000,
      },
    ]);
    // three selects opened and chosen from, each answered: over jest's 5 s on a loaded machine
  }, 30_000);

  it('sorts by a column, searches and pages beyond 20 services', async () => {
    view.render({
      getDrOverview: async () => ({
        ...overview,
        rows: [
          ...overview.rows,
          ...Array.from({ length: 22 }, (_, i) => ({
            entityRef: `component:default/service-${i}`,
            name: `service-${i}`,
            link: `/catalog/default/component/service-${i}`,
            owner: 'group:default/team-c',
            grade: 'pass' as const,
          })),
        ],
        total: 25,
      }),
    });
    const grid = await screen.findByRole('grid', {
      name: 'DR readiness of 25 services',
    });
    const names = () =>
      within(grid)
        .getAllByRole('link')
        .map(l => l.textContent);
    // the backend's order (worst grade first); 20 a page
    expect(names()).toHaveLength(20);
    expect(names().slice(0, 3)).toEqual([
      'payments-api',
      'Legacy, "old" API',
      'orders-api',
    ]);
    expect(screen.getByText('1 - 20 of 25')).toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: 'Next table page' }));
    expect(names()).toEqual([
      'service-17',
      'service-18',
      'service-19',
      'service-20',
      'service-21',
    ]);
    fireEvent.click(
      screen.getByRole('button', { name: 'Previous table page' }),
    );
    // restore time: fastest first, none last
    fireEvent.click(
      within(grid).getByRole('columnheader', { name: 'Restore time' }),
    );
    expect(names().slice(0, 2)).toEqual(['orders-api', 'payments-api']);
    fireEvent.change(
      screen.getByRole('searchbox', {
        name: 'Search DR readiness of 25 services',
      }),
      { target: { value: 'team-b' } },
    );
    expect(names()).toEqual(['payments-api']);
    // 25 services rendered, sorted, paged and searched: over jest's 5 s on a loaded machine
  }, 30_000);

  it('exports the rows shown as CSV', () => {
    const csv = overviewCsv(overview.rows).split('\r\n');
    expect(csv[0]).toBe(
      'entity,owner,tier,system,grade,graded at,rpo seconds,last verified backup,backup age seconds,within rpo,last drill,drill outcome,restore ms,rto seconds,within rto,link',
    );
    expect(csv[1]).toMatch(
      /^component:default\/payments-api,group:default\/team-b,critical,system:default\/payments,fail,[^,]+,900,[^,]+,7500,false,[^,]+,failed,90000,60,false,\/catalog\/default\/component\/payments-api$/,
    );
    expect(csv[2]).toBe(
      'component:default/legacy-api,group:default/team-a,,,none,,,,,,,,,,,/catalog/default/component/legacy-api',
    );
    expect(csv).toHaveLength(5); // header, three rows, the final line break
  });

  it('says when no service is visible', async () => {
    view.render({
      getDrOverview: async () => ({
        ...overview,
        rows: [],
        total: 0,
        entities: 0,
        owners: [],
      }),
    });
    expect(
      await screen.findByText(
        'No service you can see names a backup target, a kubernetes-id or a tier.',
      ),
    ).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Export CSV' })).toBeDisabled();
  });

  it('shows progress while loading', view.showsProgress());

  it(
    'shows the backend error',
    view.showsError('Invalid query: grade: Invalid enum value'),
  );
});
