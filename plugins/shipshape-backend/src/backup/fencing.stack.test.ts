import {
  TestDatabaseId,
  TestDatabases,
  mockServices,
} from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import {
  readLocalStack,
  stackPaymentsConnection,
} from '@internal/shipshape-test-utils';
import fs from 'fs';
import { Knex } from 'knex';
import os from 'os';
import path from 'path';
import { connectDatabase } from '../database';
import { testEngine } from '../operations/__testUtils__/engine';
import { readBackupConfig } from './config';
import { testBackupService } from './__testUtils__/service';

jest.setTimeout(60_000);

// A backup whose runner loses its claim (another replica took the operation over while this
// one was frozen) must not commit its object, mark itself verified or run retention: the
// runner that took over owns the record. On the local stack's real PostgreSQL (pg_dump).
const stack = readLocalStack();
process.env.SHIPSHAPE_TEST_FENCING_PG = stack.postgres.password;
const ENTITY = 'component:default/payments-api';

/** Files under dir that are not `.partial`: the committed backups. */
function committed(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter(
    f => fs.statSync(path.join(dir, f)).isFile() && !f.endsWith('.partial'),
  );
}

describe('a backup whose runner lost its claim', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

  async function setup(databaseId: TestDatabaseId) {
    const knex: Knex = await connectDatabase(
      mockServices.database.mock({
        getClient: async () => databases.init(databaseId),
      }),
    );
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fencing-backup-'));
    const config = readBackupConfig(
      new ConfigReader({
        shipshape: {
          backup: {
            binDir: stack.postgres.binDir,
            storage: { type: 'local', directory: dir },
            targets: [
              {
                name: 'payments-db',
                connection: stackPaymentsConnection(
                  'SHIPSHAPE_TEST_FENCING_PG',
                ),
                allowedEntities: [ENTITY],
              },
            ],
          },
        },
      }),
    )!;
    const engine = testEngine(knex, { heartbeatMs: 100 });
    const service = testBackupService({ config, knex, engine });
    await engine.start();
    const backUp = () =>
      service.startBackup({
        target: config.targets.get('payments-db')!,
        entityRef: ENTITY,
        requestedBy: 'user:default/guest',
      });
    return { knex, dir, engine, service, backUp };
  }

  it.each(databases.eachSupportedId())(
    'commits nothing and records nothing, while the same backup with its claim is verified (%p)',
    async databaseId => {
      const { knex, dir, engine, backUp } = await setup(databaseId);
      try {
        // control: with its claim held, the backup is verified and committed
        const kept = await backUp();
        expect(await kept.done).toMatchObject({
          status: 'succeeded',
          verifiedAt: expect.any(String),
        });
        expect(committed(dir)).toHaveLength(1);

        // the claim moves on at once, as a takeover by another replica does
        const lost = await backUp();
        await knex('shipshape_operations')
          .where({ id: lost.record.id })
          .increment('claim_generation', 1);
        // long enough for the dump, verification and commit to have finished (the control
        // took well under this)
        await new Promise(r => setTimeout(r, 3000));
        const record = await knex('shipshape_backups')
          .where({ operation_id: lost.record.id })
          .first();
        expect(record).toMatchObject({ verified_at: null, size_bytes: null });
        expect(committed(dir)).toHaveLength(1);
        const op = await knex('shipshape_operations')
          .where({ id: lost.record.id })
          .first();
        expect(op.status).toBe('running');
      } finally {
        await engine.stop();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
