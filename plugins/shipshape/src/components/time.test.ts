import { absoluteTime, NO_TIME, relativeTime } from './time';

const now = Date.parse('2026-11-23T16:30:00.000Z');
const before = (seconds: number) =>
  new Date(now - seconds * 1000).toISOString();

describe('relativeTime', () => {
  it('says how long ago, two units at most (formatDuration)', () => {
    expect(
      [0, 12, 59.6, 60, 7 * 60 + 59, 3600, 2 * 3600 + 5 * 60 + 30, 86400].map(
        s => relativeTime(before(s), { now }),
      ),
    ).toEqual([
      '0s ago',
      '12s ago',
      '1m ago',
      '1m ago',
      '7m ago',
      '1h ago',
      '2h 5m ago',
      '1d ago',
    ]);
    expect(relativeTime(before(4 * 86400 + 3 * 3600 + 59 * 60), { now })).toBe(
      '4d 3h ago',
    );
  });

  it('says "in" for a time in the future (a clock ahead of the browser)', () => {
    expect(relativeTime(before(-3), { now })).toBe('in 3s');
    expect(relativeTime(before(-(2 * 3600 + 60)), { now })).toBe('in 2h 1m');
  });

  it('gives the span alone without the suffix, a future time counting as now', () => {
    expect(relativeTime(before(7 * 60), { now, suffix: false })).toBe('7m');
    expect(relativeTime(before(-30), { now, suffix: false })).toBe('0s');
  });

  it('takes ISO strings, epoch milliseconds and Dates, and defaults to the current time', () => {
    expect(relativeTime(now - 90_000, { now })).toBe('1m ago');
    expect(relativeTime(new Date(now - 90_000), { now: new Date(now) })).toBe(
      '1m ago',
    );
    expect(relativeTime(new Date(Date.now() - 5 * 3600_000))).toBe('5h ago');
  });

  it('shows a placeholder, never NaN, for a missing or unreadable time', () => {
    for (const bad of [undefined, null, '', 'yesterday', NaN, new Date('x')]) {
      expect(relativeTime(bad, { now })).toBe(NO_TIME);
    }
    expect(relativeTime(before(5), { now: NaN })).toBe(NO_TIME);
    expect(NO_TIME).toBe('–');
  });
});

describe('absoluteTime', () => {
  it('gives the minute in UTC, whatever the offset of the input', () => {
    expect(absoluteTime('2026-11-23T16:30:59.999Z')).toBe(
      '2026-11-23 16:30 UTC',
    );
    expect(absoluteTime('2026-11-23T17:30:00+01:00')).toBe(
      '2026-11-23 16:30 UTC',
    );
    expect(absoluteTime(now)).toBe('2026-11-23 16:30 UTC');
    expect(absoluteTime(new Date(now))).toBe('2026-11-23 16:30 UTC');
  });

  it('shows a placeholder for a missing or unreadable time', () => {
    for (const bad of [undefined, null, '', 'not a time', NaN]) {
      expect(absoluteTime(bad)).toBe(NO_TIME);
    }
  });
});
