import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { evaluateDrReadiness } from '@shipshape/plugin-shipshape-common';
import { renderWithBackend } from '../../__testUtils__/render';
import { DrReadinessCard } from './DrReadinessCard';

// ledger-api names no backup target: the production service nothing backs up
const entity = (name: string) => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name,
    namespace: 'default',
    annotations: {
      'shipshape.dev/rpo': '1h',
      'shipshape.dev/rto': '1h',
      'shipshape.dev/restore-drill-interval': '30d',
      ...(name === 'ledger-api'
        ? {}
        : { 'shipshape.dev/backup-target': 'payments-db' }),
      ...(name === 'billing-api'
        ? {
            'shipshape.dev/runbook': 'https://docs.example.com/billing/runbook',
          }
        : {}),
    },
  },
  spec: {
    type: 'service',
    owner: 'group:default/team',
    lifecycle: 'production',
  },
});

const ago = (s: number) => new Date(Date.now() - s * 1000).toISOString();

// Shape of GET /entities/.../backups (plugins/shipshape-backend/src/backup/router.ts).
const history = {
  target: 'payments-db',
  storage: 's3',
  retention: { keepLast: 7, maxAgeDays: 30 },
  items: [
    {
      id: 'c0ffee00-1111-4222-8333-444455556666',
      status: 'failed',
      method: 'in-cluster',
      failedStep: 'job',
      error: 'Job orders-api-backup-manual-abc123 failed: BackoffLimitExceeded',
      startedAt: ago(600),
      requestedBy: 'user:default/owner',
      drills: [],
    },
    {
      id: 'b2',
      status: 'succeeded',
      verifiedAt: ago(7100),
      sizeBytes: 667553,
      startedAt: ago(7200),
      requestedBy: 'user:default/owner',
      drills: [
        {
          id: 'd1',
          backupId: 'b2',
          status: 'succeeded',
          startedAt: ago(3600),
          restoreMs: 154,
          backupAgeSeconds: 3600,
        },
      ],
    },
  ],
};

// Shape of GET /entities/.../dr-readiness: the common rules on the same records, with the
// cluster facts the backend read (orders-api-like: no PDB, no zone spread) and a grade change.
function readiness(name: string) {
  const named = name !== 'ledger-api';
  return {
    entityRef: `component:default/${name}`,
    environment: 'production',
    target: named ? { name: 'payments-db', storage: 's3' } : undefined,
    ...evaluateDrReadiness({
      entity: entity(name),
      backupTargets: { configured: ['orders-db', 'payments-db'] },
      lastVerifiedBackupAt: ago(7200),
      lastDrill: { startedAt: ago(3600), status: 'succeeded', restoreMs: 154 },
      cluster: {
        environment: 'production',
        workload: {
          kind: 'Deployment',
          name,
          replicas: 3,
          pdbs: [],
          zoneSpreadConstraint: false,
        },
        ...(name === 'billing-api' && {
          backupCronJob: {
            name: 'billing-api-backup',
            schedule: '0 2 * * *',
            lastRun: { at: '2026-12-07T07:05:40.000Z', status: 'succeeded' },
          },
        }),
      },
    }),
    gradedAt: '2026-11-23T16:30:00.000Z',
    previous: { status: 'warn', gradedAt: '2026-11-22T09:15:00.000Z' },
    changes: [
      { id: 'pdb', from: 'pass', to: 'fail' },
      { id: 'runbook', to: 'fail' },
    ],
  };
}

function render(name: string, allowed: boolean, readinessStatus = 200) {
  const polls = new Map<string, number>();
  const fetch = jest.fn(async (_url: string, init?: any): Promise<Response> => {
    if (_url.endsWith('/dr-readiness')) {
      return readinessStatus === 200
        ? new Response(JSON.stringify(readiness(name)), { status: 200 })
        : // as the backend's error middleware answers (a JSON body, not the empty 404 of a
          // portal without the Shipshape backend)
          new Response(
            JSON.stringify({
              error: { name: 'NotFoundError', message: `No entity ${name}` },
              response: { statusCode: readinessStatus },
            }),
            {
              status: readinessStatus,
              headers: { 'content-type': 'application/json' },
            },
          );
    }
    // Following what the buttons started: the first long poll sees the next step, then the end.
    const followed = /\/(backups\/b3|restore-drills\/d2)\?wait=25$/.exec(_url);
    if (followed) {
      const drill = followed[1].startsWith('restore');
      polls.set(_url, (polls.get(_url) ?? 0) + 1);
      const id = drill ? 'd2' : 'b3';
      const ended = drill
        ? { status: 'failed', failedStep: 'compare', error: 'x' }
        : { status: 'succeeded', verifiedAt: ago(0), step: 'commit' };
      const body =
        polls.get(_url) === 1
          ? { id, status: 'running', step: 'upload' }
          : { id, ...ended };
      return new Response(JSON.stringify(body), { status: 200 });
    }
    if (init?.method === 'POST' && _url.endsWith('/restore-drills')) {
      return new Response(JSON.stringify({ id: 'd2', status: 'running' }), {
        status: 202,
      });
    }
    if (init?.method === 'POST') {
      return new Response(JSON.stringify({ id: 'b3', status: 'running' }), {
        status: 202,
      });
    }
    if (name === 'ledger-api') {
      const message = `component:default/${name} has no shipshape.dev/backup-target annotation`;
      return new Response(
        JSON.stringify({ error: { name: 'InputError', message } }),
        { status: 400 },
      );
    }
    // fresh-api: its only backup failed, so nothing is verified yet
    const body =
      name === 'fresh-api'
        ? { ...history, items: history.items.filter(b => !b.verifiedAt) }
        : history;
    return new Response(JSON.stringify(body), { status: 200 });
  });
  renderWithBackend(<DrReadinessCard />, entity(name), fetch, allowed);
  return fetch;
}

describe('DrReadinessCard', () => {
  it('shows the cluster checks with their fixes and what changed since the last grade', async () => {
    // A name of its own: usePermission caches its answer per resourceRef across tests.
    render('inventory-api', true);
    expect(
      await screen.findByText(
        'No PodDisruptionBudget selects the pods of Deployment inventory-api',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        'Fix: Add a PodDisruptionBudget (minAvailable: 1) whose selector matches the pods',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/^Fix: Add topologySpreadConstraints/),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        'Deployment inventory-api runs 3 replicas in production',
      ),
    ).toBeInTheDocument();
    expect(screen.getByText('No runbook linked')).toBeInTheDocument();
    expect(
      screen.getByText(
        'Graded FAIL 2026-11-23 16:30 UTC; changed since 2026-11-22 09:15 UTC (was WARN): pdb pass → fail, runbook new → fail',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText('Cluster checks from production'),
    ).toBeInTheDocument();
  });

  it("links the runbook (a new tab, named as the runbook) and shows the CronJob run time like the card's other times", async () => {
    render('billing-api', true);
    const link = await screen.findByRole('link', {
      name: 'Runbook https://docs.example.com/billing/runbook (opens in a new tab)',
    });
    expect(link).toHaveAttribute(
      'href',
      'https://docs.example.com/billing/runbook',
    );
    expect(link).toHaveAttribute('target', '_blank');
    expect(link).toHaveAttribute('rel', 'noopener noreferrer');
    expect(link).toHaveTextContent(
      /^https:\/\/docs\.example\.com\/billing\/runbook$/,
    );
    expect(
      screen.getByText(
        'CronJob billing-api-backup (0 2 * * *); last run 2026-12-07 07:05 UTC succeeded',
      ),
    ).toBeInTheDocument();
    expect(screen.queryByText(/2026-12-07T07:05/)).not.toBeInTheDocument();
  });

  it('fails a production service with no backup target visibly, with the fix and no backup buttons', async () => {
    render('ledger-api', true);
    expect(await screen.findByText('No backup target')).toBeInTheDocument();
    expect(screen.getByText('FAIL')).toBeInTheDocument();
    expect(
      screen.getByText(
        'No backup target: nothing backs up this lifecycle production service',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        'Fix: Set shipshape.dev/backup-target to a target from app-config shipshape.backup.targets (configured: orders-db, payments-db)',
      ),
    ).toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: 'Back up now' }),
    ).not.toBeInTheDocument();
  });

  it('shows the error when the backend cannot grade the entity', async () => {
    render('gone-api', true, 404);
    expect(await screen.findByText(/No entity gone-api/)).toBeInTheDocument();
    expect(screen.queryByText('FAIL')).not.toBeInTheDocument();
  });

  it('shows each rule with its fix and backs up on click', async () => {
    const fetch = render('payments-api', true);
    expect(await screen.findByText('FAIL')).toBeInTheDocument();
    expect(
      screen.getByText(
        'Last verified backup is 2h old, older than the RPO of 1h',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        'Fix: Back up now, and schedule backups at least every 1h',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/Last restore drill passed 1h ago/),
    ).toBeInTheDocument();
    const button = screen.getByRole('button', { name: 'Back up now' });
    await screen.findByText('Target payments-db (s3)');
    const gradings = () =>
      fetch.mock.calls.filter(([u]) => u.endsWith('/dr-readiness')).length;
    const before = gradings();
    fireEvent.click(button);
    // The card follows the backup it started to its end, then grades the entity again.
    expect(await screen.findByText('Backup b3 verified')).toBeInTheDocument();
    expect(fetch).toHaveBeenCalledWith(
      'http://backend/api/shipshape/entities/component/default/payments-api/backups',
      expect.objectContaining({ method: 'POST' }),
    );
    const base =
      'http://backend/api/shipshape/entities/component/default/payments-api';
    expect(
      fetch.mock.calls.map(([u]) => u).filter(u => u.includes('b3')),
    ).toEqual([`${base}/backups/b3?wait=25`, `${base}/backups/b3?wait=25`]);
    await waitFor(() => expect(gradings()).toBe(before + 2));
    await waitFor(() =>
      expect(
        screen.getByRole('button', { name: 'Run restore drill' }),
      ).toBeEnabled(),
    );
    fireEvent.click(screen.getByRole('button', { name: 'Run restore drill' }));
    expect(
      await screen.findByText('Restore drill d2 failed at compare: x'),
    ).toBeInTheDocument();
    // two button runs with their long polls and gradings: over jest's 5 s on a loaded machine
  }, 30_000);

  it('lists the recent restore drills: which backup, outcome, restore time, backup age', async () => {
    render('payments-api', true);
    const table = await screen.findByRole('table', {
      name: 'restore drill history',
    });
    expect(
      within(table)
        .getAllByRole('row')
        .map(r => r.textContent),
    ).toEqual([
      expect.stringMatching(
        /UTCd1 of backup b2succeeded · restored in 154ms · backup 1h old$/,
      ),
    ]);
  });

  it('lists the recent backups: how each ran and how it ended, a failure with its error as text', async () => {
    render('payments-api', true);
    const table = await screen.findByRole('table', { name: 'backup history' });
    const rows = within(table).getAllByRole('row');
    expect(rows.map(r => r.textContent)).toEqual([
      expect.stringMatching(
        /c0ffee00 · in-clusterfailed at jobJob orders-api-backup-manual-abc123 failed: BackoffLimitExceededowner$/,
      ),
      expect.stringMatching(/b2 · pg_dumpverified · 652 KiBowner$/),
    ]);
  });

  it('says in words why Run restore drill is disabled while no backup is verified', async () => {
    render('fresh-api', true);
    const reason = await screen.findByText(
      'A restore drill needs a verified backup: back up first',
    );
    const drill = screen.getByRole('button', { name: 'Run restore drill' });
    expect(drill).toBeDisabled();
    expect(drill).toHaveAccessibleDescription(reason.textContent!);
    expect(
      screen.getByRole('button', { name: 'Back up now' }),
    ).not.toBeDisabled();
  });

  it('has no drill reason once a backup is verified', async () => {
    render('verified-api', true);
    await waitFor(() =>
      expect(
        screen.getByRole('button', { name: 'Run restore drill' }),
      ).not.toBeDisabled(),
    );
    expect(
      screen.queryByText(/A restore drill needs a verified backup/),
    ).not.toBeInTheDocument();
  });

  it('disables Back up now for a user without the permission', async () => {
    render('orders-api', false);
    expect(
      await screen.findByText('You may not back up this entity'),
    ).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Back up now' })).toBeDisabled();
    expect(
      screen.getByRole('button', { name: 'Run restore drill' }),
    ).toBeDisabled();
  });
});
