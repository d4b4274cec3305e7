import { mockServices } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { NotificationSendOptions } from '@backstage/plugin-notifications-node';
import {
  DrReadiness,
  ReadinessCheck,
} from '@shipshape/plugin-shipshape-common';
import { locationRedactor } from '../backup/redact';
import { readBackupConfig } from '../backup/config';
import { ConfigReader } from '@backstage/config';
import { databases, migrated } from '../operations/__testUtils__/databases';
import { GradeStore } from '../readiness/grades';
import { GradeNotifier } from './grades';

jest.setTimeout(60_000);

const service = (name: string, owner?: string) => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name, namespace: 'default' },
  spec: { type: 'service', lifecycle: 'production', owner },
});

const CHECKS: Record<string, Record<string, ReadinessCheck>> = {
  'backup-fresh': {
    pass: {
      id: 'backup-fresh',
      status: 'pass',
      message:
        'Last verified backup is 3m old (verified by the portal in s3://backups/payments-db/) (RPO 15m)',
    },
    fail: {
      id: 'backup-fresh',
      status: 'fail',
      message:
        'Last verified backup is 2h old (verified by the portal in s3://backups/payments-db/), older than the RPO of 15m',
      fix: 'Back up now, and schedule backups at least every 15m',
    },
  },
  'drill-recent': {
    pass: {
      id: 'drill-recent',
      status: 'pass',
      message: 'Last restore drill passed 1d ago',
    },
    fail: {
      id: 'drill-recent',
      status: 'fail',
      message: 'The last restore drill (1m ago) failed',
      fix: 'Read the drill error, fix the backup, run a new drill',
    },
  },
  probes: {
    pass: { id: 'probes', status: 'pass', message: 'Every container probed' },
    fail: {
      id: 'probes',
      status: 'fail',
      message: 'Deployment payments: container api has no livenessProbe',
      fix: 'Add a livenessProbe',
    },
  },
};

/** A grade: every check passes but the ones named. */
function grade(failing: Record<string, 'fail'> = {}): DrReadiness {
  const checks = Object.keys(CHECKS).map(
    id => CHECKS[id][failing[id] ?? 'pass'],
  );
  return {
    status: checks.some(c => c.status === 'fail') ? 'fail' : 'pass',
    checks,
  } as unknown as DrReadiness;
}

describe('GradeNotifier', () => {
  it.each(databases.eachSupportedId())(
    'tells the owner of an RPO breach and a dropped grade once each, and of the recovery; on %p',
    async databaseId => {
      const knex = await migrated(databaseId);
      const grades = new GradeStore(knex);
      const sent: NotificationSendOptions[] = [];
      const logger = mockServices.logger.mock();
      const notifier = GradeNotifier.create({
        notifications: { send: async n => void sent.push(n) },
        catalog: catalogServiceMock({
          entities: [
            service('payments', 'payments-team'),
            service('orphan'),
            service('newcomer', 'team-b'),
          ],
        }),
        auth: mockServices.auth(),
        logger,
        grades,
        redact: locationRedactor(
          readBackupConfig(
            new ConfigReader({
              shipshape: {
                backup: {
                  storage: { type: 's3', bucket: 'backups' },
                  targets: [
                    {
                      name: 'payments-db',
                      connection: { host: 'db', user: 'u' },
                    },
                  ],
                },
              },
            }),
          )!,
        ),
      });
      const pending: Promise<void>[] = [];
      grades.onRecorded(g => pending.push(notifier.gradeRecorded(g)));
      const record = async (ref: string, readiness: DrReadiness) => {
        sent.length = 0;
        await grades.record(ref, 'production', readiness);
        await Promise.all(pending.splice(0));
        return sent.map(n => [n.payload.title, n.payload.severity]);
      };
      const REF = 'component:default/payments';

      // the first grade: nothing dropped, nothing to say
      expect(await record(REF, grade())).toEqual([]);

      // the backup grew older than the RPO: one notice, the RPO's (the grade's drop is the same incident)
      expect(await record(REF, grade({ 'backup-fresh': 'fail' }))).toEqual([
        [
          'RPO breached: payments in production has no verified backup within its RPO',
          'high',
        ],
      ]);
      const [breach] = sent;
      expect(breach.recipients).toEqual({
        type: 'entity',
        entityRef: 'group:default/payments-team',
      });
      expect(breach.payload).toMatchObject({
        link: '/catalog/default/component/payments',
        topic: 'shipshape-rpo',
        scope: 'shipshape:rpo:component:default/payments:production',
      });
      expect(breach.payload.description).toContain(
        'older than the RPO of 15m. Fix: Back up now',
      );
      expect(breach.payload.description).not.toContain('s3://backups');

      // graded again, unchanged: not recorded, nothing sent
      expect(await record(REF, grade({ 'backup-fresh': 'fail' }))).toEqual([]);

      // a new verified backup: the same scope says it recovered
      expect(await record(REF, grade())).toEqual([
        ['payments in production is within its RPO again', 'normal'],
      ]);
      expect(sent[0].payload.scope).toBe(breach.payload.scope);
      expect(sent[0].payload.description).toMatch(/^Recovered: /);

      // a container lost its liveness probe: the grade dropped, naming the check and its fix
      expect(await record(REF, grade({ probes: 'fail' }))).toEqual([
        [
          'DR readiness of payments in production dropped from pass to fail',
          'high',
        ],
      ]);
      const drop = sent[0].payload;
      expect(drop).toMatchObject({
        topic: 'shipshape-dr-grade',
        scope: 'shipshape:dr-grade:component:default/payments:production',
        description:
          'Deployment payments: container api has no livenessProbe. Fix: Add a livenessProbe',
      });
      expect(await record(REF, grade())).toEqual([
        ['DR readiness of payments in production is back to pass', 'normal'],
      ]);
      expect(sent[0].payload.scope).toBe(drop.scope);

      // a failed drill: its operation's own notice tells of it, the grade adds nothing
      expect(await record(REF, grade({ 'drill-recent': 'fail' }))).toEqual([]);
      expect(await record(REF, grade())).toEqual([]);

      // a service that never had a fresh backup gets its first: no "again" about a breach never told
      const NEW = 'component:default/newcomer';
      expect(await record(NEW, grade({ 'backup-fresh': 'fail' }))).toEqual([]);
      expect(await record(NEW, grade())).toEqual([]);

      // no owner: nothing sent, said in the log
      const ORPHAN = 'component:default/orphan';
      await record(ORPHAN, grade());
      expect(await record(ORPHAN, grade({ probes: 'fail' }))).toEqual([]);
      expect(logger.warn).toHaveBeenCalledWith(
        expect.stringContaining(
          'DR grade of component:default/orphan: no owner to notify (no spec.owner)',
        ),
      );

      // a notifications backend that fails: logged, the grade is recorded all the same
      const failing = GradeNotifier.create({
        notifications: {
          send: async () => {
            throw new Error('notifications backend unavailable');
          },
        },
        catalog: catalogServiceMock({
          entities: [service('payments', 'payments-team')],
        }),
        auth: mockServices.auth(),
        logger,
        grades,
        redact: m => m,
      });
      await grades.record(REF, 'production', grade({ probes: 'fail' }));
      await Promise.all(pending.splice(0));
      await failing.gradeRecorded({
        entityRef: REF,
        environment: 'production',
        readiness: grade({ probes: 'fail' }),
      });
      expect(logger.warn).toHaveBeenCalledWith(
        expect.stringContaining(
          'about its DR grade failed: Error: notifications backend unavailable',
        ),
      );
      await knex.destroy();
    },
  );
});
