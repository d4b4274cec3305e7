import { backupAgeChart } from './age';

const now = new Date('2026-12-07T12:00:00Z');
const at = (hoursAgo: number) =>
  new Date(now.getTime() - hoursAgo * 3600_000).toISOString();
/** A backup taken `hoursAgo` that took 6 minutes and was verified as it ended. */
const backup = (hoursAgo: number, deletedAgo?: number) => ({
  status: 'succeeded',
  startedAt: at(hoursAgo),
  finishedAt: at(hoursAgo - 0.1),
  verifiedAt: at(hoursAgo - 0.1),
  deletedAt: deletedAgo === undefined ? undefined : at(deletedAgo),
});

describe('backupAgeChart', () => {
  it('draws the highest age per step, a gap before the first backup, and counts the window', () => {
    const chart = backupAgeChart({
      target: 'payments-db',
      // newest first, as the store lists them; one deleted by retention, one failed, one running
      backups: [
        { status: 'running', startedAt: at(0.5) },
        // the record as the store gives it with the verification time of its own
        {
          status: 'succeeded',
          startedAt: at(3),
          finishedAt: at(2.8),
          verifiedAt: at(2.9),
        },
        // an in-cluster Job's backup the portal never read: it does not count
        { status: 'succeeded', startedAt: at(4), finishedAt: at(3.9) },
        { status: 'failed', startedAt: at(5), finishedAt: at(4.9) },
        backup(10),
        backup(20, 1),
      ],
      now,
      days: 1,
      points: 24,
      rpoSeconds: 4 * 3600,
    });
    expect(chart).toMatchObject({
      target: 'payments-db',
      rpoSeconds: 14400,
      to: now.getTime() / 1000,
      from: now.getTime() / 1000 - 86400,
      step: 3600,
      ageSeconds: 3 * 3600,
      lastBackupAt: at(3),
      verified: 3,
      failed: 1,
    });
    const hours = chart.points.map(p =>
      p.value === null ? null : Math.round((p.value / 3600) * 10) / 10,
    );
    expect(hours).toEqual([
      // 24 h ago to 19.9 h ago nothing was verified yet: a gap, not an age of 0
      null,
      null,
      null,
      null,
      // the step ending 19 h ago: the 20 h backup, verified at 19.9 h ago, is 1 h old
      1,
      2,
      3,
      4,
      5,
      6,
      7,
      8,
      9,
      // the step ending 10 h ago: still the old one (the 10 h backup ends at 9.9 h ago)
      10,
      // its highest age was just before the new one: 10.1 h
      10.1,
      2,
      3,
      4,
      5,
      6,
      7,
      // the step in which the 3 h backup ended
      7.1,
      // the deleted one's deletion (1 h ago) changes nothing: a newer one counts
      2,
      3,
    ]);
  });

  it('has only gaps without a verified backup, and no age', () => {
    const chart = backupAgeChart({
      target: 't',
      backups: [{ status: 'failed', startedAt: at(2), finishedAt: at(1.9) }],
      now,
      days: 7,
      points: 120,
    });
    expect(chart.points).toHaveLength(120);
    expect(chart.points.every(p => p.value === null)).toBe(true);
    expect(chart.ageSeconds).toBeUndefined();
    expect(chart.lastBackupAt).toBeUndefined();
    expect(chart.rpoSeconds).toBeUndefined();
    expect(chart).toMatchObject({ step: 5040, verified: 0, failed: 1 });
  });
});
