import { evaluateDrReadiness } from './readiness';

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
      lastVerifiedBackupAt: ago(600),
      lastDrill: {
        startedAt: ago(86400),
        status: 'passed',
        restoreMs: 120_000,
      },
      now,
    });
    expect(r.status).toBe('pass');
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
        status: 'passed',
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
      status: 'passed',
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
});
