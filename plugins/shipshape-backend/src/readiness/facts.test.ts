import {
  backupTargetsFact,
  cronJobBucket,
  inClusterFact,
  selects,
  storageLocation,
} from './facts';

describe('selects (a PodDisruptionBudget selector against pod labels)', () => {
  const pod = { app: 'orders-api', tier: 'web' };

  it('matches matchLabels and every matchExpressions operator', () => {
    expect(selects({ matchLabels: { app: 'orders-api' } }, pod)).toBe(true);
    expect(selects({ matchLabels: { app: 'payments-api' } }, pod)).toBe(false);
    const expr = (operator: string, values?: string[], key = 'tier') =>
      selects({ matchExpressions: [{ key, operator, values }] }, pod);
    expect(expr('In', ['web', 'api'])).toBe(true);
    expect(expr('In', ['api'])).toBe(false);
    expect(expr('NotIn', ['api'])).toBe(true);
    expect(expr('NotIn', ['web'])).toBe(false);
    expect(expr('Exists')).toBe(true);
    expect(expr('Exists', undefined, 'zone')).toBe(false);
    expect(expr('DoesNotExist', undefined, 'zone')).toBe(true);
    expect(expr('Gt', ['1'])).toBe(false);
  });

  it('selects every pod with an empty selector and none without one', () => {
    expect(selects({}, pod)).toBe(true);
    expect(selects(undefined, pod)).toBe(false);
  });
});

describe('the evidence the backup checks name', () => {
  it('names where a target stores its backups, and lists the configured targets sorted', () => {
    const s3 = {
      type: 's3' as const,
      bucket: 'backups',
      region: 'eu-central-1',
      prefix: '/payments/',
      requestTimeoutMs: 60_000,
    };
    expect(storageLocation(s3)).toBe('s3://backups/payments (eu-central-1)');
    expect(
      storageLocation({ ...s3, prefix: undefined, endpoint: 'http://s3:7070' }),
    ).toBe('s3://backups at http://s3:7070');
    expect(storageLocation({ type: 'local', directory: '/var/backups' })).toBe(
      "the portal's local directory /var/backups",
    );
    const target = { name: 'payments-db', storage: s3 } as any;
    const config = {
      targets: new Map([
        ['payments-db', target],
        ['orders-db', {}],
      ]),
    } as any;
    expect(backupTargetsFact(config, target)).toEqual({
      configured: ['orders-db', 'payments-db'],
      store: 's3://backups/payments (eu-central-1)',
      refused: undefined,
      target: {
        name: 'payments-db',
        s3: { bucket: 'backups', prefix: '/payments/' },
      },
    });
    expect(backupTargetsFact(config, undefined, 'may not')).toEqual({
      configured: ['orders-db', 'payments-db'],
      store: undefined,
      refused: 'may not',
    });
  });

  it('takes the newest in-cluster backup, which the portal never verified', () => {
    const b = (method: string, status: string, startedAt: string) =>
      ({
        method,
        status,
        startedAt,
        location: `local/x/job/${startedAt}`,
      } as any);
    expect(
      inClusterFact([
        b('pg_dump', 'succeeded', '3'),
        b('in-cluster', 'succeeded', '2'),
        b('in-cluster', 'failed', '1'),
      ]),
    ).toEqual({ at: '2', status: 'succeeded', location: 'local/x/job/2' });
    expect(inClusterFact([b('pg_dump', 'succeeded', '3')])).toBeUndefined();
  });
});

describe("the backup CronJob's bucket", () => {
  const cron = (env: Array<{ name: string; value?: string }>) =>
    ({
      spec: {
        jobTemplate: {
          spec: {
            template: {
              spec: {
                initContainers: [
                  { name: 'dump', env: [{ name: 'APP_ENV', value: 'x' }] },
                ],
                containers: [{ name: 'upload', env }],
              },
            },
          },
        },
      },
    } as any);

  it('reads S3_BUCKET, S3_PREFIX and S3_ENDPOINT values from the env (empty ones left out)', () => {
    expect(
      cronJobBucket(
        cron([
          { name: 'S3_BUCKET', value: 'team-scratch' },
          { name: 'S3_PREFIX', value: 'prod/' },
          { name: 'S3_ENDPOINT', value: '' },
        ]),
      ),
    ).toEqual({ bucket: 'team-scratch', prefix: 'prod/' });
  });

  it('is undefined without an S3_BUCKET value (a valueFrom is not read)', () => {
    expect(cronJobBucket(cron([]))).toBeUndefined();
    expect(cronJobBucket(cron([{ name: 'S3_BUCKET' }]))).toBeUndefined();
    expect(cronJobBucket({} as any)).toBeUndefined();
  });
});
