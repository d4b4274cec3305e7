import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { ConfigReader } from '@backstage/config';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import fs from 'fs';
import { Knex } from 'knex';
import os from 'os';
import path from 'path';
import { connectDatabase } from '../database';
import { testEngine } from '../operations/__testUtils__/engine';
import {
  readLocalStack,
  stackDrillConnection,
  stackPaymentsConnection,
} from '@internal/shipshape-test-utils';
import { readBackupConfig } from './config';
import {
  runDueDrills,
  SCHEDULED_DRILL_REQUESTER,
  ScheduledDrill,
} from './drillSchedule';
import { testBackupService } from './__testUtils__/service';

jest.setTimeout(180_000);

// The drill schedule on the local stack's PostgreSQL: two replicas (engines) share one plugin
// database, each runs a pass at the same moment; the due drill runs once, and a pass after it
// finds nothing due. Backups and drills are real pg_dump / pg_restore of the stack's payments DB.
const stack = readLocalStack();
process.env.SHIPSHAPE_TEST_SCHED_PG = stack.postgres.password;
process.env.SHIPSHAPE_TEST_SCHED_DRILL = stack.postgres.drillPassword;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shipshape-drill-sched-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const RUN = `s${process.pid.toString(36)}${Date.now().toString(36)}`;
const TARGET = `sched-${RUN}`;
const entity = (name: string, annotations: Record<string, string>): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name, namespace: 'default', annotations },
  spec: { type: 'service', lifecycle: 'production', owner: 'group:default/t' },
});
const payments = entity('payments-api', {
  'shipshape.dev/backup-target': TARGET,
  'shipshape.dev/restore-drill-interval': '30d',
});
// names a target app-config does not have: skipped with the configured names
const stray = entity('stray-api', {
  'shipshape.dev/backup-target': 'no-such-target',
  'shipshape.dev/tier': 'standard',
});

function replica(knex: Knex, id: string) {
  const config = readBackupConfig(
    new ConfigReader({
      shipshape: {
        backup: {
          binDir: stack.postgres.binDir,
          storage: { type: 'local', directory: dir },
          drill: {
            connection: stackDrillConnection('SHIPSHAPE_TEST_SCHED_DRILL'),
          },
          targets: [
            {
              name: TARGET,
              allowedEntities: ['component:default/payments-api'],
              connection: stackPaymentsConnection('SHIPSHAPE_TEST_SCHED_PG'),
            },
          ],
        },
      },
    }),
  )!;
  const logger = mockServices.logger.mock();
  const service = testBackupService({
    config,
    knex,
    logger,
    engine: testEngine(knex, { instanceId: id }),
  });
  const auth = mockServices.auth();
  const catalog = catalogServiceMock({ entities: [payments, stray] });
  // what DR readiness would grade from: the target's drills when the pass grades the entity
  const graded: Array<{ entityRef: string; drills: string[] }> = [];
  const readiness = {
    grade: async (_entity: Entity, entityRef: string) => {
      const drills = await service.store.drills(TARGET);
      graded.push({ entityRef, drills: drills.map(d => d.status) });
      return { status: 'pass' };
    },
  };
  const deps = { service, knex, logger, auth, catalog, readiness };
  return { service, logger, deps, graded };
}

const byRef = (results: ScheduledDrill[], ref: string) =>
  results.find(r => r.entityRef === ref)!;

describe('scheduled restore drills (two replicas, one PostgreSQL)', () => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15'] });

  it.each(databases.eachSupportedId())(
    'runs a due drill once, not twice, and grades the entity after it; on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await connectDatabase({ getClient: async () => knex } as any);
      const a = replica(knex, 'replica-a');
      const b = replica(knex, 'replica-b');

      // no verified backup yet: nothing to drill, said why
      const before = await runDueDrills(a.deps);
      expect(byRef(before, 'component:default/payments-api')).toMatchObject({
        outcome: 'skipped',
        reason: expect.stringContaining('has no verified backup to drill'),
      });
      expect(byRef(before, 'component:default/stray-api')).toMatchObject({
        outcome: 'skipped',
        reason: expect.stringContaining(`(configured: ${TARGET})`),
      });

      const { done } = await a.service.startBackup({
        target: a.service.target(TARGET),
        entityRef: 'component:default/payments-api',
        requestedBy: 'user:default/owner',
      });
      expect(await done).toMatchObject({
        status: 'succeeded',
        verifiedAt: expect.any(String),
      });

      // both replicas' passes at once: one starts the drill, the other skips it
      const [ra, rb] = await Promise.all([
        runDueDrills(a.deps),
        runDueDrills(b.deps),
      ]);
      const both = [ra, rb].map(r =>
        byRef(r, 'component:default/payments-api'),
      );
      const started = both.filter(r => r.outcome === 'started');
      expect(started).toHaveLength(1);
      expect(started[0].status).toBe('succeeded');
      // the other pass saw the drill running (its record, or the engine's one-per-target rule)
      // or, had the drill already ended, not due
      const other = both.find(r => r !== started[0])!;
      expect(
        other.outcome === 'not-due' ||
          /is running|is busy/.test(other.reason ?? ''),
      ).toBe(true);

      const drills = await a.service.store.drills(TARGET);
      expect(drills).toHaveLength(1);
      expect(drills[0]).toMatchObject({
        id: started[0].drillId,
        status: 'succeeded',
        requestedBy: SCHEDULED_DRILL_REQUESTER,
      });
      // graded once, by the pass that started the drill, after the drill ended
      expect([...a.graded, ...b.graded]).toEqual([
        { entityRef: 'component:default/payments-api', drills: ['succeeded'] },
      ]);

      // the next pass: the drill is recent (interval 30d), nothing is due
      const after = await runDueDrills(b.deps);
      expect(byRef(after, 'component:default/payments-api')).toMatchObject({
        outcome: 'not-due',
      });
      // a month later it is due again
      const later = await runDueDrills(
        b.deps,
        new Date(Date.now() + 31 * 86400_000),
      );
      expect(byRef(later, 'component:default/payments-api')).toMatchObject({
        outcome: 'started',
        status: 'succeeded',
      });
      expect(await a.service.store.drills(TARGET)).toHaveLength(2);
      await knex.destroy();
    },
  );
});
