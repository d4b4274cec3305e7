import { formatDuration } from './duration';

describe('formatDuration', () => {
  it('gives two units at most, no zero second unit, ms under a second', () => {
    expect(
      [
        0, 0.22, 0.9996, 1, 45, 59.6, 90, 900, 3600, 7500, 28800, 86400, 356400,
        2592000,
      ].map(formatDuration),
    ).toEqual([
      '0s',
      '220ms',
      '1s',
      '1s',
      '45s',
      '1m',
      '1m 30s',
      '15m',
      '1h',
      '2h 5m',
      '8h',
      '1d',
      '4d 3h',
      '30d',
    ]);
    expect(formatDuration(-5)).toBe('0s');
  });
});
