import { databases, migrated } from '../operations/__testUtils__/databases';
import { OperationStore } from '../operations/store';
import { BackupStore, isVerified } from './store';

jest.setTimeout(60_000);

describe('BackupStore: one record per run', () => {
  it.each(databases.eachSupportedId())(
    "keeps the run on the operation and the artefact's facts beside it; a failure is recorded once and never over a verification or a pass, on %p",
    async databaseId => {
      const knex = await migrated(databaseId);
      const ops = OperationStore.create(knex);
      const store = new BackupStore(knex, ops.changes);
      const run = async (kind: string, target: string) => {
        const op = await ops.create({
          kind,
          entityRef: 'component:default/payments-api',
          target: `${kind}:${target}`,
          requestedBy: 'user:default/owner',
          reason: 'before the migration',
          input: { target },
        });
        await ops.claim(op.id, 'replica-a');
        return op.id;
      };

      // a verified backup: the run's facts from its operation, the dump's from its row
      const verified = await run('backup', 'db-a');
      await store.start({
        id: verified,
        target: 'db-a',
        storageType: 'local',
        storageKey: 'db-a/1.dump',
        step: 'dump',
      });
      await store.setStep(verified, 'verify');
      await store.finish(verified, {
        end: 'verified',
        sizeBytes: 10,
        sha256: 'a'.repeat(64),
        tables: [{ schema: 'public', table: 'orders', rows: 3 }],
      });
      // a replica that took the run over fails it: the verification stands
      await store.finish(verified, {
        end: 'failed',
        failedStep: 'abandoned',
        error: 'abandoned at step verify',
      });
      expect(await store.get(verified)).toMatchObject({
        status: 'running',
        step: 'verify',
        requestedBy: 'user:default/owner',
        reason: 'before the migration',
        entityRef: 'component:default/payments-api',
        sizeBytes: 10,
        error: undefined,
        failedStep: undefined,
      });
      expect(BackupStore.succeeded(await store.get(verified))).toBe(true);
      await ops.finish(verified, 'succeeded', {}, 'verified');
      const done = await store.get(verified);
      expect(done).toMatchObject({ status: 'succeeded' });
      expect(isVerified(done)).toBe(true);
      await store.markDeleted(verified);
      expect(isVerified(await store.get(verified))).toBe(false);
      expect(await store.verified('db-a')).toEqual([]);

      // a failed backup: the first failure is the record, a second one is not written
      const failed = await run('backup', 'db-b');
      await store.start({
        id: failed,
        target: 'db-b',
        storageType: 'local',
        storageKey: 'db-b/1.dump',
        step: 'dump',
      });
      await store.finish(failed, {
        end: 'failed',
        failedStep: 'dump',
        error: 'pg_dump exited with 1',
        durationMs: 5,
      });
      await store.finish(failed, {
        end: 'failed',
        failedStep: 'abandoned',
        error: 'later',
      });
      const f = await store.get(failed);
      expect(f).toMatchObject({
        failedStep: 'dump',
        error: 'pg_dump exited with 1',
        durationMs: 5,
      });
      expect(BackupStore.succeeded(f)).toBe(false);

      // a drill that passed is not failed by a takeover
      const drill = await run('restore-drill', 'db-a');
      await store.startDrill({
        id: drill,
        backupId: verified,
        target: 'db-a',
        databaseName: 'shipshape_drill_x',
        backupAgeSeconds: 60,
        step: 'create-database',
      });
      expect(await store.runningDrillDatabases()).toEqual([
        'shipshape_drill_x',
      ]);
      await store.finishDrill(drill, {
        end: 'passed',
        restoreMs: 7,
        comparison: [
          {
            table: 'public.orders',
            expectedRows: 3,
            restoredRows: 3,
            ok: true,
          },
        ],
      });
      await store.finishDrill(drill, {
        end: 'failed',
        failedStep: 'abandoned',
        error: 'abandoned',
      });
      const d = await store.getDrill(drill);
      expect(d).toMatchObject({ restoreMs: 7, error: undefined });
      expect(BackupStore.passed(d)).toBe(true);
      await ops.finish(drill, 'succeeded', {}, 'restored');
      expect(await store.runningDrillDatabases()).toEqual([]);
      expect(await store.drills('db-a')).toMatchObject([
        { id: drill, status: 'succeeded', backupId: verified },
      ]);
    },
  );
});
