import { fireEvent, screen, within } from '@testing-library/react';
import { renderWithBackend } from '../../__testUtils__/render';
import { ActivityContent } from './ActivityContent';

// the first render of a test app takes seconds on a busy 2-core machine
jest.setTimeout(30_000);

const entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'payments-api', namespace: 'default' },
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

const operation = (
  id: string,
  kind: string,
  minutesAgo: number,
  more: Record<string, unknown>,
) => ({
  id,
  kind,
  entityRef: 'component:default/payments-api',
  target: `t/${id}`,
  status: 'succeeded',
  requestedBy: 'user:default/alice',
  createdAt: new Date(Date.now() - minutesAgo * 60_000).toISOString(),
  updatedAt: new Date(Date.now() - minutesAgo * 60_000).toISOString(),
  ...more,
});

// As GET /entities/.../operations answers it (the backend's store orders newest first).
const items = [
  operation('op-deploy', 'deploy', 2, {
    status: 'rolled-back',
    reason: 'release 1.4.0',
    input: {
      environment: 'production',
      changes: [
        { name: 'payments-api', toImage: 'reg.example/payments:1.4.0' },
      ],
    },
    outcomeReason: 'payments-api stalled: ProgressDeadlineExceeded',
  }),
  operation('op-pause', 'pause', 5, {
    input: { environment: 'staging', rollouts: ['payments-api'] },
    outcomeReason: 'Paused payments-api in staging',
  }),
  operation('op-backup', 'backup', 30, {
    status: 'failed',
    input: { target: 'payments-db' },
    outcomeReason: 'pg_dump: connection refused',
  }),
  operation('op-drill', 'restore-drill', 60, {
    requestedBy: 'shipshape:restore-drill-schedule',
    input: { target: 'payments-db', backupId: '0123456789abcdef' },
  }),
];

describe('the Activity tab', () => {
  it("lists the entity's operations of every kind, newest first, and opens an operation's log from its link", async () => {
    const fetch = jest.fn(async (url: string) => {
      if (url.includes('/operations/op-backup/log')) {
        return json({
          status: 'failed',
          done: true,
          next: 2,
          lines: [
            {
              seq: 1,
              at: '2026-12-07T00:01:00Z',
              level: 'info',
              message: 'pg_dump started',
            },
            {
              seq: 2,
              at: '2026-12-07T00:01:02Z',
              level: 'error',
              message: 'connection refused',
            },
          ],
        });
      }
      return json({ items, total: 4, limit: 20, offset: 0 });
    });
    await renderWithBackend(<ActivityContent />, entity, fetch);

    const table = await screen.findByRole('table', {
      name: 'operations, newest first',
    });
    expect(fetch.mock.calls[0][0]).toBe(
      'http://backend/api/shipshape/entities/component/default/payments-api/operations?limit=20&offset=0',
    );
    const rows = within(table).getAllByRole('row').slice(1);
    const cells = rows.map(r =>
      within(r)
        .getAllByRole('cell')
        .slice(1, 5)
        .map(c => c.textContent),
    );
    expect(cells).toEqual([
      [
        'Deploy reg.example/payments:1.4.0release 1.4.0',
        'production',
        'alice',
        'rolled-backpayments-api stalled: ProgressDeadlineExceeded',
      ],
      [
        'Pause payments-api',
        'staging',
        'alice',
        'succeededPaused payments-api in staging',
      ],
      [
        'Backup',
        'target payments-db',
        'alice',
        'failedpg_dump: connection refused',
      ],
      [
        'Restore drill of backup 01234567',
        'target payments-db',
        'schedule',
        'succeeded',
      ],
    ]);
    expect(within(rows[0]).getByText('2m ago')).toBeInTheDocument();
    expect(screen.getByText('1–4 of 4')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Older' })).toBeDisabled();

    // The log is a link (?operation=<id>): it can be shared, and opens under its row.
    const link = within(rows[2]).getByRole('link', { name: /^Log of Backup/ });
    expect(link.getAttribute('href')).toMatch(/\?operation=op-backup$/);
    fireEvent.click(link);
    const log = await screen.findByRole('list', {
      name: 'log of operation op-backup',
    });
    expect(
      within(log)
        .getAllByRole('listitem')
        .map(l => l.textContent),
    ).toEqual([
      expect.stringMatching(/ pg_dump started$/),
      expect.stringMatching(/ ERROR: connection refused$/),
    ]);
    expect(
      screen.getByRole('link', { name: /^Hide log of Backup/ }),
    ).toBeInTheDocument();
  });

  it('says whose a withheld log is instead of "No log lines yet."', async () => {
    // A backup as a reader without shipshape.operation.backup gets it (backup/redact.ts).
    const reduced = operation('op-backup', 'backup', 30, {
      status: 'failed',
      input: { target: 'payments-db' },
      outcomeReason:
        'failed at dump (the details and the log are shown to those who may run backups of component:default/payments-api)',
      redacted: true,
    });
    const fetch = jest.fn(async (url: string) => {
      if (url.includes('/operations/op-backup/log')) {
        return json({
          status: 'failed',
          done: true,
          next: 0,
          lines: [],
          withheld: true,
        });
      }
      return json({ items: [reduced], total: 1, limit: 20, offset: 0 });
    });
    await renderWithBackend(<ActivityContent />, entity, fetch);
    fireEvent.click(
      await screen.findByRole('link', { name: /^Log of Backup/ }),
    );
    expect(
      await screen.findByText(
        'The log of this backup is shown to those who may run backups of component:default/payments-api.',
      ),
    ).toBeInTheDocument();
    expect(screen.queryByText('No log lines yet.')).not.toBeInTheDocument();
  });

  it('pages through older operations', async () => {
    const fetch = jest.fn(async (url: string) => {
      const offset = Number(new URL(url).searchParams.get('offset'));
      return json({
        items:
          offset === 0
            ? Array(20)
                .fill(items[1])
                .map((o, i) => ({ ...o, id: `p${i}` }))
            : [items[3]],
        total: 21,
        limit: 20,
        offset,
      });
    });
    await renderWithBackend(<ActivityContent />, entity, fetch);
    expect(await screen.findByText('1–20 of 21')).toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: 'Older' }));
    expect(await screen.findByText('21–21 of 21')).toBeInTheDocument();
    expect(fetch.mock.calls.at(-1)![0]).toMatch(/limit=20&offset=20$/);
    expect(
      screen.getByText('Restore drill of backup 01234567'),
    ).toBeInTheDocument();
  });

  it('says what will appear when there is nothing yet', async () => {
    await renderWithBackend(<ActivityContent />, entity, async () =>
      json({ items: [], total: 0, limit: 20, offset: 0 }),
    );
    expect(await screen.findByText(/^No operations yet\./)).toBeInTheDocument();
  });

  it("shows the backend's error", async () => {
    await renderWithBackend(<ActivityContent />, entity, async () =>
      json(
        {
          error: {
            name: 'NotFoundError',
            message: 'No entity component:default/payments-api',
          },
          response: { statusCode: 404 },
        },
        404,
      ),
    );
    expect(
      (
        await screen.findAllByText(/No entity component:default\/payments-api/)
      )[0],
    ).toBeInTheDocument();
  });
});
