import { OwnershipSummary } from '@shipshape/plugin-shipshape-common';
import { fireEvent, screen, within } from '@testing-library/react';
import { apiView } from '../../__testUtils__/render';
import { OwnershipPage, loadWholeSummary, summaryCsv } from './OwnershipPage';

const summary: OwnershipSummary = {
  totals: {
    entities: 5,
    violations: 4,
    entitiesWithViolations: 2,
    monthlyUsd: 49.2,
  },
  costCenters: {
    items: [
      {
        costCenter: 'CC-1000',
        entities: 2,
        violations: 1,
        entitiesWithViolations: 1,
        monthlyUsd: 32.32,
      },
      {
        costCenter: 'CC-1001',
        entities: 2,
        violations: 0,
        entitiesWithViolations: 0,
        monthlyUsd: 16.16,
      },
      {
        entities: 1,
        violations: 3,
        entitiesWithViolations: 1,
        monthlyUsd: 0.72,
      },
    ],
    totalCount: 3,
  },
  owners: {
    items: [
      {
        owner: 'group:default/payments-team',
        entities: 2,
        violations: 0,
        entitiesWithViolations: 0,
        monthlyUsd: 16.16,
      },
    ],
    totalCount: 1,
  },
  cost: { status: 'ok', errors: [] },
  limit: 1000,
  offset: 0,
};

const view = apiView(<OwnershipPage />, 'getOwnershipSummary');
const render = view.render;

describe('OwnershipPage', () => {
  it('shows progress while loading', view.showsProgress());

  it('shows the backend error', view.showsError('Invalid paging: limit'));

  it('says so when the caller may read nothing under the policy', async () => {
    render({
      getOwnershipSummary: async () => ({
        ...summary,
        totals: { entities: 0, violations: 0, entitiesWithViolations: 0 },
        costCenters: { items: [], totalCount: 0 },
        owners: { items: [], totalCount: 0 },
        cost: { status: 'no-cluster' },
      }),
    });
    expect(
      await screen.findByText(/No catalog entities you may read/),
    ).toBeInTheDocument();
  });

  it('lists cost centers and owners with totals, cost and violations', async () => {
    render({ getOwnershipSummary: async () => summary });
    expect(await screen.findByText('5 entities')).toBeInTheDocument();
    expect(screen.getByText('4 violations in 2 entities')).toBeInTheDocument();
    expect(screen.getByText('$49.20 per month')).toBeInTheDocument();
    const table = screen.getByRole('grid', { name: 'Cost centers' });
    const names = () =>
      within(table)
        .getAllByRole('rowheader')
        .map(c => c.textContent);
    // most expensive first
    expect(names()).toEqual(['CC-1000', 'CC-1001', '(none)']);
    expect(within(table).getByText('$32.32')).toBeInTheDocument();
    expect(
      within(screen.getByRole('grid', { name: 'Owners' })).getByText(
        'group:default/payments-team',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getAllByRole('button', { name: /^Export CSV of / }),
    ).toHaveLength(2);
    fireEvent.click(
      within(table).getByRole('columnheader', { name: 'Violations' }),
    );
    expect(names()).toEqual(['CC-1001', 'CC-1000', '(none)']);
    fireEvent.change(
      screen.getByRole('searchbox', { name: 'Search Cost centers' }),
      { target: { value: 'cc-1001' } },
    );
    expect(names()).toEqual(['CC-1001']);
  });

  it('says when no cluster is configured instead of showing zero', async () => {
    render({
      getOwnershipSummary: async () => ({
        ...summary,
        totals: { entities: 5, violations: 4, entitiesWithViolations: 2 },
        cost: { status: 'no-cluster' },
      }),
    });
    expect(
      await screen.findByText('Cost: no cluster configured'),
    ).toBeInTheDocument();
    expect(screen.queryByText('Monthly cost')).not.toBeInTheDocument();
  });

  it('exports CSV safely and pages through the whole summary', async () => {
    expect(
      summaryCsv(
        [
          {
            id: 'a',
            name: '=HYPERLINK("x")',
            entities: 1,
            violations: 0,
            entitiesWithViolations: 0,
            monthlyUsd: 1.5,
          },
          {
            id: 'b',
            name: 'a,b',
            entities: 2,
            violations: 1,
            entitiesWithViolations: 1,
          },
        ],
        'Cost center',
        true,
      ),
    ).toBe(
      'Cost center,entities,violations,entities with violations,monthly USD\r\n"\'=HYPERLINK(""x"")",1,0,0,1.5\r\n"a,b",2,1,1,\r\n',
    );
    const pages: Array<{ limit?: number; offset?: number }> = [];
    const all = await loadWholeSummary({
      getOwnershipSummary: async page => {
        pages.push(page!);
        const row = {
          costCenter: `CC-${page!.offset}`,
          entities: 1,
          violations: 0,
          entitiesWithViolations: 0,
        };
        return {
          ...summary,
          costCenters: { items: [row], totalCount: 2500 },
          owners: { items: [], totalCount: 1 },
        };
      },
    });
    expect(pages.map(p => p.offset)).toEqual([0, 1000, 2000]);
    expect(all.costCenters.items.map(r => r.costCenter)).toEqual([
      'CC-0',
      'CC-1000',
      'CC-2000',
    ]);
  });
});
