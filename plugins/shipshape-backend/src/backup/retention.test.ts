import { ConfigReader } from '@backstage/config';
import { RetentionConfig, readBackupConfig } from './config';
import { retentionPlan } from './retention';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// Wednesday 2026-12-02 12:00 UTC
const NOW = Date.UTC(2026, 11, 2, 12);
const at = (ms: number) => new Date(NOW - ms).toISOString();
const policy = (over: Partial<RetentionConfig> = {}): RetentionConfig => ({
  keepLast: 2,
  keepDaily: 3,
  keepWeekly: 2,
  keepMonthly: 3, // December, November (last-week), October
  minAgeHours: 1,
  maxAgeDays: 60,
  ...over,
});

describe('retentionPlan', () => {
  // history: yesterday, 8 days ago (the week before), 40 days ago (October), then a burst
  const history = [
    { id: 'yesterday', startedAt: at(DAY) },
    { id: 'last-week', startedAt: at(8 * DAY) },
    { id: 'october', startedAt: at(40 * DAY) },
  ];
  const burst = [1, 2, 3, 4, 5, 6].map(i => ({
    id: `burst-${i}`,
    startedAt: at(i * 60_000),
  }));
  const all = [...burst, ...history];
  const kept = (p: ReturnType<typeof retentionPlan>) =>
    p.filter(d => d.keep).map(d => d.id);

  it('keeps a young burst whole and the time tiers behind it', () => {
    expect(kept(retentionPlan(all, policy(), NOW))).toEqual(all.map(b => b.id));
  });

  it('once the burst is older than minAgeHours, keeps keepLast of it and every tier', () => {
    const plan = retentionPlan(all, policy({ minAgeHours: 0 }), NOW);
    expect(kept(plan)).toEqual([
      'burst-1',
      'burst-2',
      'yesterday',
      'last-week',
      'october',
    ]);
    expect(plan.find(d => d.id === 'yesterday')!.why).toBe('daily');
    expect(plan.find(d => d.id === 'october')!.why).toBe('monthly');
    expect(plan.find(d => d.id === 'burst-3')!.why).toMatch(
      /^beyond keepLast 2, not the newest of its day, week or month/,
    );
  });

  it('keepLast alone (no tiers) lets a burst push history out', () => {
    const plan = retentionPlan(
      all,
      policy({ keepDaily: 0, keepWeekly: 0, keepMonthly: 0, minAgeHours: 0 }),
      NOW,
    );
    expect(kept(plan)).toEqual(['burst-1', 'burst-2']);
  });

  it('drops what is older than maxAgeDays, but never the newest', () => {
    const plan = retentionPlan(all, policy({ maxAgeDays: 30 }), NOW);
    expect(plan.find(d => d.id === 'october')).toEqual({
      id: 'october',
      keep: false,
      why: 'older than maxAgeDays 30',
    });
    expect(
      retentionPlan([history[2]], policy({ maxAgeDays: 1 }), NOW)[0],
    ).toMatchObject({ keep: true, why: expect.stringContaining('newest') });
  });

  it('a week is the ISO week: Sunday belongs to the week before Monday', () => {
    const sunday = Date.UTC(2026, 10, 29, 12); // Sunday 2026-11-29
    const plan = retentionPlan(
      [
        { id: 'monday', startedAt: new Date(sunday + DAY).toISOString() },
        { id: 'sunday', startedAt: new Date(sunday).toISOString() },
        { id: 'saturday', startedAt: new Date(sunday - DAY).toISOString() },
      ],
      policy({
        keepLast: 1,
        keepDaily: 0,
        keepWeekly: 2,
        keepMonthly: 0,
        minAgeHours: 0,
      }),
      sunday + 2 * DAY,
    );
    expect(kept(plan)).toEqual(['monday', 'sunday']);
  });

  it('refuses a bad tier in config, naming the key and the target', () => {
    const read = (retention: object) =>
      readBackupConfig(
        new ConfigReader({
          shipshape: {
            backup: {
              storage: { type: 'local', directory: '/tmp' },
              targets: [
                {
                  name: 'x',
                  connection: { host: 'h', user: 'u' },
                  retention,
                },
              ],
            },
          },
        }),
      );
    expect(() => read({ keepDaily: -1 })).toThrow(
      'shipshape.backup.targets[0].retention.keepDaily is -1; expected an integer >= 0',
    );
    expect(() => read({ minAgeHours: 1.5 })).toThrow(
      'shipshape.backup.targets[0].retention.minAgeHours is 1.5; expected an integer >= 0',
    );
    expect(read({ keepMonthly: 12 })!.targets.get('x')!.retention).toEqual({
      keepLast: 7,
      keepDaily: 7,
      keepWeekly: 4,
      keepMonthly: 12,
      minAgeHours: 24,
      maxAgeDays: 30,
    });
  });
});
