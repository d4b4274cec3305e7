import {
  BackupBucket,
  DrReadinessInput,
  evaluateDrReadiness,
} from './readiness';

// The backup CronJob's bucket against the entity's backup target's storage: a CronJob writing
// where the portal does not look makes backups nobody ever verifies.
const cron = {
  name: 'payments-api-backup',
  namespace: 'production',
  schedule: '*/15 * * * *',
  lastRun: { at: '2026-12-07T01:30:00Z', status: 'succeeded' as const },
};
const targetStore = {
  bucket: 'shipshape-backups',
  prefix: 'prod/',
  endpoint: 'http://127.0.0.1:9000',
};

function destination(
  writesTo: BackupBucket | undefined,
  backupTargets: Partial<NonNullable<DrReadinessInput['backupTargets']>> = {},
  cluster: { unavailable?: string } = {},
) {
  const r = evaluateDrReadiness({
    entity: {
      metadata: {
        annotations: {
          'shipshape.dev/tier': 'critical',
          'shipshape.dev/backup-target': 'payments-db',
        },
      },
    },
    backupTargets: {
      configured: ['payments-db'],
      store: 's3://shipshape-backups/prod at http://127.0.0.1:9000',
      target: { name: 'payments-db', s3: targetStore },
      ...backupTargets,
    },
    cluster: {
      environment: 'production',
      backupCronJob: { ...cron, writesTo },
      ...cluster,
    },
  });
  return { check: r.checks.find(c => c.id === 'backup-destination'), r };
}

describe('backup-destination readiness check', () => {
  it("passes a CronJob writing to the target's bucket and prefix, naming it", () => {
    expect(
      destination({ bucket: 'shipshape-backups', prefix: 'prod/' }).check,
    ).toEqual({
      id: 'backup-destination',
      status: 'pass',
      message:
        'CronJob production/payments-api-backup writes to s3://shipshape-backups/prod/, where backup target payments-db stores: the portal finds and verifies its backups',
    });
    // the cluster reaches the store by another address: named, not compared
    expect(
      destination({
        bucket: 'shipshape-backups',
        prefix: 'prod/',
        endpoint: 'http://minio.storage:9000',
      }).check?.status,
    ).toBe('pass');
  });

  it('fails a CronJob writing to another bucket, naming both and the fix', () => {
    const { check, r } = destination({
      bucket: 'team-scratch',
      prefix: 'prod/',
      endpoint: 'http://minio.storage:9000',
    });
    expect(check).toEqual({
      id: 'backup-destination',
      status: 'fail',
      message:
        'CronJob production/payments-api-backup writes to s3://team-scratch/prod/ at http://minio.storage:9000, target payments-db stores in s3://shipshape-backups/prod/ at http://127.0.0.1:9000: the portal never sees these backups',
      fix: 'Set the chart\'s backup.s3.bucket to shipshape-backups and backup.s3.prefix to "prod/" (target payments-db\'s storage in app-config shipshape.backup.targets), or point that storage at bucket team-scratch and prefix "prod/"',
    });
    expect(r.status).toBe('fail');
    // the schedule check still says the CronJob itself runs fine
    expect(r.checks.find(c => c.id === 'backup-schedule')?.status).toBe('pass');
  });

  it('fails another prefix in the same bucket (a missing slash too: keys are joined as is)', () => {
    expect(destination({ bucket: 'shipshape-backups' }).check).toMatchObject({
      status: 'fail',
      message: expect.stringContaining(
        'writes to s3://shipshape-backups/, target payments-db stores in s3://shipshape-backups/prod/',
      ),
    });
    expect(
      destination({ bucket: 'shipshape-backups', prefix: 'prod' }).check
        ?.status,
    ).toBe('fail');
  });

  it('fails when the target stores in a local directory, which a CronJob cannot write', () => {
    expect(
      destination(
        { bucket: 'shipshape-backups', prefix: 'prod/' },
        {
          store: "the portal's local directory /var/backups",
          target: { name: 'payments-db' },
        },
      ).check,
    ).toMatchObject({
      status: 'fail',
      message:
        "CronJob production/payments-api-backup writes to s3://shipshape-backups/prod/, target payments-db stores in the portal's local directory /var/backups: the portal never sees these backups",
      fix: expect.stringContaining(
        'Give backup target payments-db the s3 storage the CronJob writes to (bucket shipshape-backups, prefix "prod/")',
      ),
    });
  });

  it('is left out without a bucket read, a usable target or a readable cluster', () => {
    expect(destination(undefined).check).toBeUndefined();
    const other = { bucket: 'team-scratch' };
    expect(
      destination(other, { target: undefined, store: undefined }).check,
    ).toBeUndefined();
    expect(
      destination(other, { refused: 'not in allowedEntities' }).check,
    ).toBeUndefined();
    expect(
      destination(other, {}, { unavailable: 'connect ECONNREFUSED' }).check,
    ).toBeUndefined();
  });
});
