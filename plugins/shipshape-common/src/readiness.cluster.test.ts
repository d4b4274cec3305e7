import {
  ClusterFacts,
  evaluateDrReadiness,
  readinessChanges,
} from './readiness';

const now = new Date('2026-11-23T12:00:00Z');
const entity = (annotations: Record<string, string>) => ({
  metadata: { annotations },
});
const critical = { 'shipshape.dev/tier': 'critical' };
const workload = {
  kind: 'Deployment',
  name: 'payments-api',
  replicas: 3,
  pdbs: ['payments-api'],
  zoneSpreadConstraint: true,
  zones: ['zone-a', 'zone-b'],
};
const cron = {
  name: 'payments-api-backup',
  schedule: '0 2 * * *',
  lastRun: { at: '2026-11-23T02:00:00Z', status: 'succeeded' as const },
};
function check(
  id: string,
  cluster: Partial<ClusterFacts> | undefined,
  annotations: Record<string, string> = critical,
) {
  const r = evaluateDrReadiness({
    entity: entity(annotations),
    cluster: cluster && {
      environment: 'production',
      workload,
      backupCronJob: cron,
      ...cluster,
    },
    now,
  });
  return r.checks.find(c => c.id === id);
}

describe('evaluateDrReadiness cluster checks', () => {
  it('leaves the cluster checks out when the cluster was not looked at', () => {
    for (const id of ['backup-schedule', 'replicas', 'pdb', 'zone-spread']) {
      expect(check(id, undefined)).toBeUndefined();
    }
  });

  it('passes a scheduled CronJob whose last run succeeded, warns on a running or unrun one, fails a failed, suspended or missing one', () => {
    expect(check('backup-schedule', {})).toEqual({
      id: 'backup-schedule',
      status: 'pass',
      message:
        'CronJob payments-api-backup (0 2 * * *); last run 2026-11-23T02:00:00Z succeeded',
    });
    const running = {
      ...cron,
      lastRun: { at: cron.lastRun.at, status: 'running' as const },
    };
    expect(check('backup-schedule', { backupCronJob: running })?.status).toBe(
      'warn',
    );
    expect(
      check('backup-schedule', {
        backupCronJob: { ...cron, lastRun: undefined },
      }),
    ).toMatchObject({
      status: 'warn',
      message: expect.stringContaining('has not run yet'),
    });
    expect(
      check('backup-schedule', {
        backupCronJob: {
          ...cron,
          lastRun: { at: cron.lastRun.at, status: 'failed', job: 'j-1' },
        },
      }),
    ).toMatchObject({
      status: 'fail',
      message: expect.stringContaining('(Job j-1) failed'),
      fix: expect.stringContaining('pod logs'),
    });
    expect(
      check('backup-schedule', { backupCronJob: { ...cron, suspended: true } }),
    ).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining('spec.suspend'),
    });
    expect(
      check('backup-schedule', { backupCronJob: undefined }),
    ).toMatchObject({
      status: 'fail',
      message: 'No backup CronJob in production',
      fix: expect.stringContaining('backup.enabled'),
    });
  });

  it('checks replicas against the tier: pass at >= max(2, tier), warn below 2 when the tier allows, fail below the tier', () => {
    expect(check('replicas', {})).toEqual({
      id: 'replicas',
      status: 'pass',
      message: 'Deployment payments-api runs 3 replicas in production',
    });
    expect(
      check('replicas', { workload: { ...workload, replicas: 2 } }),
    ).toMatchObject({
      status: 'fail',
      message: expect.stringContaining('the critical tier asks for 3'),
      fix: 'Set replicas to at least 3',
    });
    expect(
      check(
        'replicas',
        { workload: { ...workload, replicas: 1 } },
        { 'shipshape.dev/tier': 'best-effort' },
      ),
    ).toMatchObject({ status: 'warn', fix: 'Set replicas to at least 2' });
    expect(check('replicas', { workload: undefined })).toMatchObject({
      status: 'fail',
      message: 'No Deployment or Rollout of the service in production',
    });
    // Without a workload the PDB and zone checks are not repeated.
    expect(check('pdb', { workload: undefined })).toBeUndefined();
  });

  it('fails a missing PodDisruptionBudget with the fix (warns where the tier needs none)', () => {
    expect(check('pdb', {})?.status).toBe('pass');
    expect(check('pdb', { workload: { ...workload, pdbs: [] } })).toEqual({
      id: 'pdb',
      status: 'fail',
      message:
        'No PodDisruptionBudget selects the pods of Deployment payments-api',
      fix: 'Add a PodDisruptionBudget (minAvailable: 2) whose selector matches the pods',
    });
    expect(
      check(
        'pdb',
        { workload: { ...workload, pdbs: [] } },
        { 'shipshape.dev/tier': 'best-effort' },
      )?.status,
    ).toBe('warn');
  });

  it('passes zone spread by constraint, warns on chance spread, fails one or unknown zones', () => {
    expect(check('zone-spread', {})).toEqual({
      id: 'zone-spread',
      status: 'pass',
      message:
        'Pods of Deployment payments-api spread across zones by topologySpreadConstraints (now in zone-a, zone-b)',
    });
    const loose = { ...workload, zoneSpreadConstraint: false };
    expect(check('zone-spread', { workload: loose })).toMatchObject({
      status: 'warn',
      message:
        'Pods of Deployment payments-api happen to run in zone-a, zone-b, but nothing keeps them spread across zones',
      fix: expect.stringContaining('topologySpreadConstraints'),
    });
    expect(
      check('zone-spread', { workload: { ...loose, zones: ['zone-a'] } }),
    ).toMatchObject({
      status: 'fail',
      message: 'All pods of Deployment payments-api run in zone zone-a',
    });
    expect(
      check('zone-spread', { workload: { ...loose, zones: undefined } }),
    ).toMatchObject({ status: 'fail' });
  });

  it('warns when the zone constraint is there but every pod runs in one zone', () => {
    const oneZone = { ...workload, zones: ['zone-b'], zonePods: 3 };
    expect(check('zone-spread', { workload: oneZone })).toEqual({
      id: 'zone-spread',
      status: 'warn',
      message:
        'Deployment payments-api has a topologySpreadConstraint on topology.kubernetes.io/zone, but all 3 pods run in zone zone-b: whenUnsatisfiable ScheduleAnyway or a single-zone node pool?',
      fix: 'Set whenUnsatisfiable: DoNotSchedule on the zone constraint, run the pods on nodes in at least 2 zones and at least 2 replicas, then restart the workload so its pods are placed again',
    });
    expect(
      check('zone-spread', {
        workload: { ...oneZone, replicas: 1, zonePods: 1 },
      })?.message,
    ).toContain('but its one pod runs in zone zone-b:');
    // facts without a pod count still warn
    expect(
      check('zone-spread', { workload: { ...oneZone, zonePods: undefined } }),
    ).toMatchObject({
      status: 'warn',
      message: expect.stringContaining('but all pods run in zone zone-b:'),
    });
    // a critical service's weakest workload counts: the one-zone one
    expect(
      check('zone-spread', { workloads: [workload, oneZone] }),
    ).toMatchObject({
      status: 'warn',
      message: expect.stringContaining('zone-b'),
    });
  });

  it('passes on the constraint alone when the zones are unknown, saying why', () => {
    expect(
      check('zone-spread', {
        workload: {
          ...workload,
          zones: undefined,
          zonePods: undefined,
          zonesUnknown: 'the read token may not get nodes',
        },
      }),
    ).toEqual({
      id: 'zone-spread',
      status: 'pass',
      message:
        'Pods of Deployment payments-api spread across zones by topologySpreadConstraints (zones of its pods unknown: the read token may not get nodes)',
    });
    // no pod running yet (zones known to be none): the constraint alone
    expect(
      check('zone-spread', {
        workload: { ...workload, zones: [], zonePods: 0 },
      }),
    ).toEqual({
      id: 'zone-spread',
      status: 'pass',
      message:
        'Pods of Deployment payments-api spread across zones by topologySpreadConstraints',
    });
  });

  it('checks every workload (Deployment and Rollout) and keeps the weakest result, naming the workload', () => {
    const rollout = {
      ...workload,
      kind: 'Rollout',
      name: 'payments-api-canary',
      replicas: 1,
      pdbs: [],
      zoneSpreadConstraint: false,
      zones: ['zone-a'],
    };
    const both = { workloads: [workload, rollout] };
    expect(check('replicas', both)).toEqual({
      id: 'replicas',
      status: 'fail',
      message:
        'Rollout payments-api-canary runs 1 replica(s) in production; the critical tier asks for 3',
      fix: 'Set replicas to at least 3',
    });
    expect(check('pdb', both)).toMatchObject({
      status: 'fail',
      message:
        'No PodDisruptionBudget selects the pods of Rollout payments-api-canary',
    });
    expect(check('zone-spread', both)).toMatchObject({
      status: 'fail',
      message: 'All pods of Rollout payments-api-canary run in zone zone-a',
    });
    // Both pass: both named.
    const good = { ...workload, kind: 'Rollout', name: 'checkout-api' };
    expect(check('pdb', { workloads: [workload, good] })).toEqual({
      id: 'pdb',
      status: 'pass',
      message:
        'PodDisruptionBudget payments-api covers the pods of Deployment payments-api; PodDisruptionBudget payments-api covers the pods of Rollout checkout-api',
    });
    // `workloads` wins over `workload`; an empty list is no workload at all.
    expect(check('replicas', { workloads: [] })).toMatchObject({
      status: 'fail',
      message: 'No Deployment or Rollout of the service in production',
    });
  });

  it('warns the PDB and zone checks of a Rollout whose pod template is behind spec.workloadRef, and still checks its replicas', () => {
    const ref = {
      ...workload,
      kind: 'Rollout',
      name: 'checkout-api',
      replicas: 1,
      pdbs: [],
      zoneSpreadConstraint: false,
      workloadRef: 'Deployment checkout-api-template',
    };
    for (const id of ['pdb', 'zone-spread']) {
      expect(check(id, { workloads: [ref] })).toMatchObject({
        status: 'warn',
        message:
          'Rollout checkout-api takes its pod template from spec.workloadRef (Deployment checkout-api-template), which Shipshape does not read',
        fix: expect.stringContaining('Deployment checkout-api-template'),
      });
    }
    expect(check('replicas', { workloads: [ref] })?.status).toBe('fail');
  });

  it('warns every cluster check with the reason when the cluster cannot be read', () => {
    const r = evaluateDrReadiness({
      entity: entity(critical),
      cluster: {
        environment: 'production',
        unavailable: 'connect ECONNREFUSED',
      },
      now,
    });
    const cluster = r.checks.filter(c =>
      ['backup-schedule', 'replicas', 'pdb', 'zone-spread'].includes(c.id),
    );
    expect(cluster).toHaveLength(4);
    for (const c of cluster) {
      expect(c).toMatchObject({
        status: 'warn',
        message: 'Cannot read the production cluster: connect ECONNREFUSED',
      });
    }
  });

  it('fails a missing second copy when the tier requires one, passes otherwise', () => {
    expect(check('second-copy', undefined)).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining('Configure a second location'),
    });
    expect(
      check('second-copy', undefined, {
        ...critical,
        'shipshape.dev/dr-region': 'eu-central-1',
      })?.message,
    ).toContain(
      'shipshape.dev/dr-region names eu-central-1, but nothing copies backups there',
    );
    expect(
      check('second-copy', undefined, { 'shipshape.dev/tier': 'standard' })
        ?.status,
    ).toBe('pass');
    const copied = evaluateDrReadiness({
      entity: entity(critical),
      secondCopy: { location: 's3://dr-bucket (eu-central-1)' },
      now,
    });
    expect(copied.checks.find(c => c.id === 'second-copy')?.status).toBe(
      'pass',
    );
  });

  it('passes a runbook link, fails a missing or malformed one', () => {
    const link = 'https://docs.example.com/x/runbook';
    expect(
      check('runbook', undefined, { 'shipshape.dev/runbook': link }),
    ).toEqual({
      id: 'runbook',
      status: 'pass',
      message: `Runbook ${link}`,
    });
    expect(check('runbook', undefined, {})).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining('shipshape.dev/runbook'),
    });
    expect(
      check('runbook', undefined, { 'shipshape.dev/runbook': 'not a url' }),
    ).toMatchObject({
      status: 'fail',
      message: expect.stringContaining('shipshape.dev/runbook'),
    });
  });

  it('lists the checks whose status changed between two gradings', () => {
    expect(
      readinessChanges(
        [
          { id: 'pdb', status: 'fail' },
          { id: 'replicas', status: 'pass' },
          { id: 'runbook', status: 'fail' },
        ],
        [
          { id: 'pdb', status: 'pass' },
          { id: 'replicas', status: 'pass' },
          { id: 'zone-spread', status: 'warn' },
        ],
      ),
    ).toEqual([
      { id: 'pdb', from: 'fail', to: 'pass' },
      { id: 'zone-spread', from: undefined, to: 'warn' },
      { id: 'runbook', from: 'fail', to: undefined },
    ]);
  });
});
