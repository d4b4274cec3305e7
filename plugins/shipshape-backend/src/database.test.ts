import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { connectDatabase } from './database';
import { databases } from './operations/__testUtils__/databases';

jest.setTimeout(60_000);

/** Every table and column the code reads or writes (operations/store.ts, backup/*). */
const SCHEMA: Record<string, string[]> = {
  shipshape_operations: [
    'id',
    'kind',
    'entity_ref',
    'target',
    'status',
    'requested_by',
    'reason',
    'input',
    'result',
    'outcome_reason',
    'claimed_by',
    'claim_generation',
    'heartbeat_at',
    'created_at',
    'updated_at',
    'finished_at',
    'step',
    'failed_step',
    'error',
  ],
  shipshape_operation_log: ['seq', 'operation_id', 'at', 'level', 'message'],
  shipshape_backups: [
    'operation_id',
    'target',
    'method',
    'storage_type',
    'storage_key',
    'location',
    'size_bytes',
    'sha256',
    'duration_ms',
    'tables',
    'taken_at',
    'verified_at',
    'deleted_at',
  ],
  shipshape_restore_drills: [
    'operation_id',
    'backup_id',
    'target',
    'restore_ms',
    'backup_age_seconds',
    'comparison',
    'database_name',
  ],
  shipshape_backup_copies: [
    'id',
    'backup_id',
    'target',
    'location',
    'status',
    'size_bytes',
    'sha256',
    'failed_step',
    'error',
    'started_at',
    'verified_at',
  ],
  shipshape_dr_grades: [
    'id',
    'entity_ref',
    'environment',
    'status',
    'checks',
    'graded_at',
  ],
};

describe('the plugin database', () => {
  it.each(databases.eachSupportedId())(
    'migrates an empty database to exactly the tables and columns the code uses, and back, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await connectDatabase({ getClient: async () => knex } as any);
      // idempotent: a restarted backend runs it again
      await connectDatabase({ getClient: async () => knex } as any);

      for (const [table, columns] of Object.entries(SCHEMA)) {
        const info = await knex(table).columnInfo();
        expect({ table, columns: Object.keys(info).sort() }).toEqual({
          table,
          columns: [...columns].sort(),
        });
      }

      // one active operation per target, enforced by the database
      const op = (id: string, target: string, status: string) => ({
        id,
        kind: 'deploy',
        entity_ref: 'component:default/x',
        target,
        status,
        requested_by: 'user:default/a',
        input: '{}',
        created_at: new Date(),
        updated_at: new Date(),
      });
      await knex('shipshape_operations').insert([
        op('a', 't', 'succeeded'),
        op('b', 't', 'failed'),
        op('c', 't', 'running'),
      ]);
      const second = await knex('shipshape_operations')
        .insert(op('d', 't', 'queued'))
        .then(
          () => 'inserted',
          e => String(e?.message),
        );
      expect(second).toMatch(/unique/i);
      const row = await knex('shipshape_operations').where({ id: 'c' }).first();
      expect(Number(row.claim_generation)).toBe(0);

      await knex.migrate.rollback(
        {
          directory: resolvePackagePath(
            '@shipshape/plugin-shipshape-backend',
            'migrations',
          ),
        },
        true,
      );
      for (const table of Object.keys(SCHEMA)) {
        expect({ table, exists: await knex.schema.hasTable(table) }).toEqual({
          table,
          exists: false,
        });
      }
    },
  );
});
