import { evaluateDrReadiness, mutableImageTag } from './readiness';

const now = new Date('2026-11-23T12:00:00Z');
const ago = (s: number) => new Date(now.getTime() - s * 1000).toISOString();
const entity = (annotations: Record<string, string>) => ({
  metadata: { annotations },
});
const declared = {
  'shipshape.dev/rpo': '1h',
  'shipshape.dev/rto': '1h',
  'shipshape.dev/restore-drill-interval': '30d',
  'shipshape.dev/backup-target': 'payments-db',
  'shipshape.dev/runbook': 'https://docs.example.com/payments-api/runbook',
};

describe('evaluateDrReadiness', () => {
  it('passes with objectives declared, a fresh backup and a recent fast drill', () => {
    const r = evaluateDrReadiness({
      entity: entity(declared),
      backupTargets: {
        configured: ['orders-db', 'payments-db'],
        store: 's3://dr-backups/payments',
      },
      lastVerifiedBackupAt: ago(600),
      lastDrill: {
        startedAt: ago(86400),
        status: 'succeeded',
        restoreMs: 120_000,
      },
      now,
    });
    expect(r.status).toBe('pass');
    // each pass names what the portal checked itself
    expect(r.checks.find(c => c.id === 'backup-target')?.message).toBe(
      'Backup target payments-db is configured: backups go to s3://dr-backups/payments',
    );
    expect(r.checks.find(c => c.id === 'backup-fresh')?.message).toBe(
      'Last verified backup is 10m old (verified by the portal in s3://dr-backups/payments) (RPO 1h)',
    );
    expect(r.checks.map(c => c.status)).toEqual([
      'pass',
      'pass',
      'pass',
      'pass',
      'pass',
      'pass',
      'pass',
    ]);
  });

  it('fails a backup older than the RPO and a drill slower than the RTO, with the fix', () => {
    const r = evaluateDrReadiness({
      entity: entity(declared),
      lastVerifiedBackupAt: ago(7200),
      lastDrill: {
        startedAt: ago(40 * 86400),
        status: 'succeeded',
        restoreMs: 2 * 3600_000,
      },
      now,
    });
    expect(r.status).toBe('fail');
    expect(r.checks.find(c => c.id === 'backup-fresh')).toEqual({
      id: 'backup-fresh',
      status: 'fail',
      message: 'Last verified backup is 2h old, older than the RPO of 1h',
      fix: 'Back up now, and schedule backups at least every 1h',
    });
    expect(r.checks.find(c => c.id === 'drill-recent')?.status).toBe('warn');
    expect(r.checks.find(c => c.id === 'drill-within-rto')?.message).toBe(
      'Restored in 2h, longer than the RTO of 1h',
    );
  });

  it('passes within the objectives naming them, and warns with the fix when there is none to compare with', () => {
    const backup = ago(600);
    const drill = {
      startedAt: ago(86400),
      status: 'succeeded',
      restoreMs: 120_000,
    } as const;
    const within = evaluateDrReadiness({
      entity: entity(declared),
      lastVerifiedBackupAt: backup,
      lastDrill: drill,
      now,
    });
    expect(within.checks.find(c => c.id === 'backup-fresh')).toEqual({
      id: 'backup-fresh',
      status: 'pass',
      message: 'Last verified backup is 10m old (RPO 1h)',
    });
    expect(within.checks.find(c => c.id === 'drill-within-rto')).toEqual({
      id: 'drill-within-rto',
      status: 'pass',
      message: 'Restored in 2m (RTO 1h)',
    });
    const fast = evaluateDrReadiness({
      entity: entity(declared),
      lastVerifiedBackupAt: backup,
      lastDrill: { ...drill, restoreMs: 220 },
      now,
    });
    expect(fast.checks.find(c => c.id === 'drill-within-rto')?.message).toBe(
      'Restored in 220ms (RTO 1h)',
    );
    const none = evaluateDrReadiness({
      entity: entity({}),
      lastVerifiedBackupAt: backup,
      lastDrill: drill,
      now,
    });
    expect(none.checks.find(c => c.id === 'backup-fresh')).toEqual({
      id: 'backup-fresh',
      status: 'warn',
      message: 'Last verified backup is 10m old; no RPO to compare with',
      fix: 'Declare shipshape.dev/rpo',
    });
    expect(none.checks.find(c => c.id === 'drill-within-rto')).toEqual({
      id: 'drill-within-rto',
      status: 'warn',
      message: 'Restored in 2m; no RTO to compare with',
      fix: 'Declare shipshape.dev/rto',
    });
  });

  it('warns on tier defaults and fails without backups, drills or target', () => {
    const r = evaluateDrReadiness({
      entity: entity({ 'shipshape.dev/tier': 'critical' }),
      now,
    });
    expect(r.rpoSeconds).toBe(900);
    expect(r.checks[0]).toMatchObject({
      status: 'warn',
      message: expect.stringContaining('critical tier defaults'),
    });
    expect(r.checks.filter(c => c.status === 'fail').map(c => c.id)).toEqual([
      'backup-target',
      'backup-fresh',
      'drill-recent',
      'second-copy',
      'runbook',
    ]);
  });

  it('fails a malformed objective with the parser error', () => {
    const r = evaluateDrReadiness({
      entity: entity({ 'shipshape.dev/rpo': 'soon' }),
      now,
    });
    expect(r.checks[0]).toMatchObject({
      status: 'fail',
      message: expect.stringContaining('shipshape.dev/rpo is "soon"'),
    });
  });

  describe('backup target: checked against configuration, never taken on the annotation alone', () => {
    const targets = { configured: ['orders-db', 'payments-db'] };

    it('fails an annotation naming an unknown target, listing the configured names', () => {
      const r = evaluateDrReadiness({
        entity: entity({
          ...declared,
          'shipshape.dev/backup-target': 'paymnts-db',
        }),
        backupTargets: targets,
        now,
      });
      expect(r.checks.find(c => c.id === 'backup-target')).toEqual({
        id: 'backup-target',
        status: 'fail',
        message:
          'shipshape.dev/backup-target names paymnts-db, which is not a configured backup target (configured: orders-db, payments-db)',
        fix: 'Set shipshape.dev/backup-target to a target from app-config shipshape.backup.targets (configured: orders-db, payments-db)',
      });
      const none = evaluateDrReadiness({
        entity: entity(declared),
        backupTargets: { configured: [] },
        now,
      });
      expect(none.checks.find(c => c.id === 'backup-target')?.message).toBe(
        'shipshape.dev/backup-target names payments-db, which is not a configured backup target (none is configured yet)',
      );
    });

    it('fails a production-tier service with no backup target, with the fix', () => {
      for (const e of [
        entity({ 'shipshape.dev/tier': 'critical' }),
        entity({ 'shipshape.dev/tier': 'standard' }),
        { metadata: { annotations: {} }, spec: { lifecycle: 'production' } },
      ]) {
        const r = evaluateDrReadiness({
          entity: e,
          backupTargets: targets,
          now,
        });
        expect(r.status).toBe('fail');
        expect(r.checks.find(c => c.id === 'backup-target')).toEqual({
          id: 'backup-target',
          status: 'fail',
          message: expect.stringMatching(
            /^No backup target: nothing backs up this (tier critical|tier standard|lifecycle production) service$/,
          ),
          fix: 'Set shipshape.dev/backup-target to a target from app-config shipshape.backup.targets (configured: orders-db, payments-db)',
        });
      }
      const bestEffort = evaluateDrReadiness({
        entity: entity({ 'shipshape.dev/tier': 'best-effort' }),
        backupTargets: targets,
        now,
      });
      expect(
        bestEffort.checks.find(c => c.id === 'backup-target'),
      ).toMatchObject({ status: 'warn', message: 'No backup target named' });
    });

    it('warns when configuration was not looked at, and fails a malformed name with the parser error', () => {
      const unchecked = evaluateDrReadiness({ entity: entity(declared), now });
      expect(
        unchecked.checks.find(c => c.id === 'backup-target'),
      ).toMatchObject({
        status: 'warn',
        message:
          'shipshape.dev/backup-target names payments-db; not checked against the configured targets',
      });
      const bad = evaluateDrReadiness({
        entity: entity({
          ...declared,
          'shipshape.dev/backup-target': 'postgres://u:p@db/x',
        }),
        backupTargets: targets,
        now,
      });
      expect(bad.checks.find(c => c.id === 'backup-target')).toMatchObject({
        status: 'fail',
        message: expect.stringContaining('shipshape.dev/backup-target'),
      });
    });

    it('fails a configured target the entity may not use, with what refused it', () => {
      const refused =
        "component:default/payments-api may not use backup target 'payments-db': no entity may until an admin lists it in app-config shipshape.backup.targets[name=payments-db].allowedEntities";
      const r = evaluateDrReadiness({
        entity: entity(declared),
        backupTargets: { ...targets, refused },
        now,
      });
      expect(r.checks.find(c => c.id === 'backup-target')).toEqual({
        id: 'backup-target',
        status: 'fail',
        message: refused,
        fix: 'An admin lists the entity in the allowedEntities of backup target payments-db in app-config',
      });
    });

    it('does not count a backup the in-cluster Job wrote, which the portal never verified', () => {
      const r = evaluateDrReadiness({
        entity: entity(declared),
        backupTargets: targets,
        lastInClusterBackup: {
          at: ago(600),
          status: 'succeeded',
          location: 'local/payments-api/job/payments-api-backup-1',
        },
        now,
      });
      expect(r.checks.find(c => c.id === 'backup-fresh')).toMatchObject({
        status: 'fail',
        message: `No verified backup; the newest in-cluster backup (succeeded ${ago(
          600,
        )}, local/payments-api/job/payments-api-backup-1) is not one: the portal never read its dump in a store outside the cluster`,
      });
    });
  });

  describe('workload checks: probes and pinned images', () => {
    const cluster = (containers: Array<Record<string, unknown>>) => ({
      environment: 'production',
      workloads: [
        {
          kind: 'Deployment',
          name: 'payments-api',
          replicas: 3,
          pdbs: ['payments-api'],
          zoneSpreadConstraint: true,
          containers: containers.map(c => ({
            name: 'app',
            image: 'ghcr.io/example/payments-api:1.4.2',
            readinessProbe: true,
            livenessProbe: true,
            ...c,
          })) as any,
        },
      ],
    });
    const grade = (containers: Array<Record<string, unknown>>) =>
      evaluateDrReadiness({
        entity: entity(declared),
        cluster: cluster(containers),
        now,
      }).checks.filter(c => c.id === 'probes' || c.id === 'image-pinned');

    it('passes probes on every container and an image by version tag or digest', () => {
      expect(
        grade([
          {},
          {
            name: 'proxy',
            image: 'envoyproxy/envoy@sha256:0123456789abcdef0123456789abcdef',
          },
        ]),
      ).toEqual([
        {
          id: 'probes',
          status: 'pass',
          message:
            'Every container of Deployment payments-api has readiness and liveness probes',
        },
        {
          id: 'image-pinned',
          status: 'pass',
          message:
            'Deployment payments-api runs images pinned by version tag or digest (ghcr.io/example/payments-api:1.4.2, envoyproxy/envoy@sha256:0123456789abcdef0123456789abcdef)',
        },
      ]);
    });

    it('fails a container without probes and an image by a mutable tag, naming each', () => {
      const [probes, images] = grade([
        { readinessProbe: false },
        {
          name: 'worker',
          image: 'registry:5000/example/worker:latest',
          livenessProbe: false,
          readinessProbe: false,
        },
      ]);
      expect(probes).toMatchObject({
        status: 'fail',
        message:
          'Deployment payments-api in production: app (no readiness probe), worker (no readiness or liveness probe)',
        fix: expect.stringContaining('readinessProbe'),
      });
      expect(images).toMatchObject({
        status: 'fail',
        message:
          'Deployment payments-api in production: worker runs registry:5000/example/worker:latest (tag latest moves); a restore or reschedule may start other code',
        fix: expect.stringContaining('digest'),
      });
    });

    it('tells a mutable image reference from a pinned one', () => {
      expect(mutableImageTag('nginx')).toBe('no tag, which means latest');
      expect(mutableImageTag('registry:5000/app')).toBe(
        'no tag, which means latest',
      );
      expect(mutableImageTag('postgres:16')).toBe(
        'tag 16 moves to each 16.x release',
      );
      expect(mutableImageTag('app:Stable')).toBe('tag Stable moves');
      expect(mutableImageTag('postgres:16.4-bookworm')).toBeUndefined();
      expect(mutableImageTag('app:3f2c1a9')).toBeUndefined();
      expect(
        mutableImageTag('app:latest@sha256:0123456789abcdef0123456789abcdef'),
      ).toBeUndefined();
    });
  });
});
