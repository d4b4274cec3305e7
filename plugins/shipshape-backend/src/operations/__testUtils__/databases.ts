import { TestDatabases } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { connectDatabase } from '../../database';

/** SQLite always; PostgreSQL 15 when the test environment provides one (scripts/test.sh). */
export const databases = TestDatabases.create({
  ids: ['SQLITE_3', 'POSTGRES_15'],
});

/** A fresh test database with the plugin's migrations applied. */
export async function migrated(databaseId: any): Promise<Knex> {
  const knex = await databases.init(databaseId);
  await connectDatabase({ getClient: async () => knex } as any);
  return knex;
}
