import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { databases } from '../operations/__testUtils__/databases';

jest.setTimeout(60_000);

const directory = resolvePackagePath(
  '@shipshape/plugin-shipshape-backend',
  'migrations',
);

describe('migration 20261123200000_backups_on_engine', () => {
  it.each(databases.eachSupportedId())(
    'fails runs left by the code before the engine, leaves the rest, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      // the schema as it was before this migration
      while (
        !(await knex.migrate.currentVersion({ directory })).startsWith(
          '20261123190000',
        )
      ) {
        await knex.migrate.up({ directory });
      }
      const now = new Date();
      const backup = (id: string, status: string, step?: string) => ({
        id,
        target: `db-${id}`,
        entity_ref: 'component:default/x',
        status,
        step: step ?? null,
        storage_type: 'local',
        storage_key: `db/${id}`,
        requested_by: 'user:default/a',
        started_at: now,
      });
      await knex('shipshape_backups').insert([
        backup('legacy-running', 'running', 'upload'),
        backup('legacy-verified', 'verified'),
        backup('engine-running', 'running', 'dump'),
      ]);
      await knex('shipshape_operations').insert({
        id: 'engine-running',
        kind: 'backup',
        entity_ref: 'component:default/x',
        target: 'backup:db',
        status: 'running',
        requested_by: 'user:default/a',
        input: '{}',
        created_at: now,
        updated_at: now,
      });
      await knex('shipshape_restore_drills').insert({
        id: 'legacy-drill',
        backup_id: 'legacy-verified',
        target: 'db',
        entity_ref: 'component:default/x',
        status: 'running',
        requested_by: 'user:default/a',
        database_name: 'shipshape_drill_x',
        started_at: now,
      });
      await knex.migrate.latest({ directory });

      const rows = await knex('shipshape_backups')
        .select('id', 'status', 'failed_step', 'error')
        .orderBy('id');
      expect(rows.map(r => [r.id, r.status, r.failed_step])).toEqual([
        ['engine-running', 'running', null],
        ['legacy-running', 'failed', 'upload'],
        ['legacy-verified', 'verified', null],
      ]);
      expect(rows[1].error).toMatch(
        /^abandoned: it was running when the backend was upgraded/,
      );
      const drill = await knex('shipshape_restore_drills').first();
      expect(drill).toMatchObject({
        status: 'failed',
        failed_step: 'abandoned',
      });
      expect(drill.error).toMatch(
        /temporary database .* may need dropping by hand$/,
      );
    },
  );
});
