import { screen } from '@testing-library/react';
import { renderWithBackend } from '../../__testUtils__/render';
import { BackupAgeCard, ageTicks, summary } from './BackupAgeChart';
import { timeTicks } from '../TimeChart';

// the first render of a test app takes seconds on a busy 2-core machine
jest.setTimeout(30_000);

const entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'payments-api',
    namespace: 'default',
    annotations: { 'shipshape.dev/backup-target': 'payments-db' },
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

// 2026-12-01T00:00:00Z, steps of 6 h
const T = 1_796_083_200;
const H = 3600;
const series = (values: Array<number | null>) =>
  values.map((value, i) => ({ t: T + (i + 1) * 6 * H, value }));

// As GET /entities/.../backup-age answers: no backup known for the first two steps (a gap),
// then a backup every 6 h until one was missed (12 h, over the 8 h RPO), then back.
const age = {
  target: 'payments-db',
  rpoSeconds: 8 * H,
  from: T,
  to: T + 8 * 6 * H,
  step: 6 * H,
  ageSeconds: 2 * H,
  lastBackupAt: '2026-12-02T22:00:00Z',
  verified: 5,
  failed: 1,
  points: series([null, null, 6 * H, 6 * H, 12 * H, 6 * H, 6 * H, 2 * H]),
};

describe('the DR tab backup age chart', () => {
  it('draws the backup age against the RPO and says in words what it shows', async () => {
    const fetch = jest.fn(async () => json(age));
    await renderWithBackend(<BackupAgeCard />, entity, fetch);
    const chart = await screen.findByRole('img', {
      name: /^Age of the newest verified backup, last 7 days: /,
    });
    expect(fetch.mock.calls[0]).toEqual([
      'http://backend/api/shipshape/entities/component/default/payments-api/backup-age?days=7&points=120',
      expect.anything(),
    ]);
    expect(chart.getAttribute('aria-label')).toBe(
      'Age of the newest verified backup, last 7 days: The newest backup is 2h old (within the ' +
        'RPO of 8h); at most 12h old (2 Dec); over the RPO for about 6h; 5 backups verified and ' +
        '1 failed in the last 7 days; no backup known before 1 Dec.',
    );
    // the age axis at round steps up to the highest age (12 h): 0, 6 h, 12 h
    expect(ageTicks(age)).toEqual([0, 6 * H, 12 * H]);
    // one backup, never late, none failed: singular, and no 'in 0 of 1 steps'
    expect(
      summary({
        ...age,
        ageSeconds: 40,
        verified: 1,
        failed: 0,
        points: series([null, null, null, null, null, null, null, 40]),
      }),
    ).toBe(
      'The newest backup is 40s old (within the RPO of 8h); at most 40s old (3 Dec); never over ' +
        'the RPO; 1 backup verified and none failed in the last 7 days; no backup known before 2 Dec.',
    );
    // the time axis: midnights UTC, one a day over 7 days (recharts' own fell 1-3 days apart)
    expect(timeTicks(T - 5 * H, T + 7 * 24 * H - 5 * H)).toEqual(
      Array.from({ length: 7 }, (_, i) => T + i * 24 * H),
    );
    // a fresh backup against a 15 min RPO: every 5 min up to the RPO
    expect(
      ageTicks({ ...age, rpoSeconds: 900, points: series([null, 40]) }),
    ).toEqual([0, 300, 600, 900]);
  });

  it('says what to do when the target has no verified backup', async () => {
    await renderWithBackend(<BackupAgeCard />, entity, async () =>
      json({
        ...age,
        ageSeconds: undefined,
        lastBackupAt: undefined,
        verified: 0,
        failed: 2,
        points: series(Array(8).fill(null)),
      }),
    );
    expect(
      await screen.findByText(
        'No verified backup of payments-db in the last 7 days',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        /^2 backups failed in that time: .*Press Back up now on the DR readiness card/,
      ),
    ).toBeInTheDocument();
    expect(screen.queryByRole('img', { name: /^Age of/ })).toBeNull();
  });

  it("shows the backend's error naming what is wrong", async () => {
    await renderWithBackend(<BackupAgeCard />, entity, async () =>
      json(
        {
          error: {
            name: 'NotFoundError',
            message:
              "No backup target 'payments-db' in shipshape.backup.targets",
          },
          response: { statusCode: 404 },
        },
        404,
      ),
    );
    expect(
      (await screen.findAllByText(/No backup target 'payments-db'/))[0],
    ).toBeInTheDocument();
  });
});
