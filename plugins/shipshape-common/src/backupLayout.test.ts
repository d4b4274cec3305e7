import {
  CRONJOB_BACKUP_LAYOUT,
  cronJobBackupKey,
  parseCronJobBackupKey,
  parseCronJobBackupManifest,
} from './backupLayout';

const manifest = {
  format: CRONJOB_BACKUP_LAYOUT.format,
  target: 'payments-db',
  environment: 'production',
  service: 'payments-api',
  database: 'payments',
  serverVersion: '15.10',
  startedAt: '2026-12-07T00:15:00Z',
  finishedAt: '2026-12-07T00:15:04Z',
  sizeBytes: 1234,
  sha256: 'a'.repeat(64),
  tables: [{ schema: 'public', table: 'orders', rows: 3 }],
};

describe('CronJob backup layout', () => {
  it('writes and reads a key, from the dump or its manifest', () => {
    const key = cronJobBackupKey(
      'payments-db',
      'production',
      new Date('2026-12-07T00:15:00.123Z'),
    );
    expect(key).toBe(CRONJOB_BACKUP_LAYOUT.example);
    for (const k of [key, `${key}.manifest.json`]) {
      expect(parseCronJobBackupKey(k)).toEqual({
        ok: true,
        value: {
          target: 'payments-db',
          environment: 'production',
          at: new Date('2026-12-07T00:15:00Z'),
          dumpKey: key,
          manifestKey: `${key}.manifest.json`,
          verifiedKey: `${key}.verified`,
        },
      });
    }
  });

  it.each([
    ['payments-db/production/20261207T001500Z.dump', 'not under cronjob/'],
    ['cronjob/payments-db/20261207T001500Z.dump', 'expected 3 path segments'],
    ['cronjob/Payments/production/20261207T001500Z.dump', 'not a target name'],
    ['cronjob/payments-db/production/yesterday.dump', 'not a UTC stamp'],
    ['cronjob/payments-db/production/20261207T001500Z.toc', 'ends neither'],
    // the portal's marker is not a backup to verify
    [
      'cronjob/payments-db/production/20261207T001500Z.dump.verified',
      'ends neither',
    ],
  ])('refuses %s, saying why', (key, why) => {
    const r = parseCronJobBackupKey(key);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toContain(why);
  });

  it('reads a manifest and names the field that is wrong', () => {
    expect(parseCronJobBackupManifest(manifest)).toEqual({
      ok: true,
      value: manifest,
    });
    const bad: Array<[unknown, string]> = [
      [[], 'not a JSON object'],
      [{ ...manifest, format: 'v0' }, 'format is "v0"'],
      [{ ...manifest, database: '' }, 'database is missing'],
      [{ ...manifest, finishedAt: 'soon' }, 'finishedAt is not an ISO time'],
      [
        { ...manifest, startedAt: '2026-12-08T00:00:00Z' },
        'is after finishedAt',
      ],
      [{ ...manifest, sizeBytes: -1 }, 'sizeBytes'],
      [{ ...manifest, sha256: 'ABC' }, 'sha256'],
      [{ ...manifest, tables: [{ schema: 'public', rows: 1 }] }, 'tables[0]'],
    ];
    for (const [json, why] of bad) {
      const r = parseCronJobBackupManifest(json);
      expect(!r.ok && r.error).toContain(why);
    }
  });
});
