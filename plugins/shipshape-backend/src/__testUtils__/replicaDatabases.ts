import knexFactory from 'knex';

/** Throws, naming the variable and how to set it, when the shared PostgreSQL is not given. */
export function requirePostgres(pg: string | undefined): asserts pg is string {
  if (!pg) {
    throw new Error(
      'BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING is not set: scripts/test-postgres.sh up prints it',
    );
  }
}

/** Drops every database on `pg` whose name starts with `prefix` (the replicas' plugin databases). */
export async function dropPrefixedDatabases(pg: string, prefix: string) {
  const admin = knexFactory({ client: 'pg', connection: pg });
  try {
    const { rows } = await admin.raw(
      'SELECT datname FROM pg_database WHERE datname LIKE ?',
      [`${prefix}%`],
    );
    for (const { datname } of rows) {
      await admin.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [datname]);
    }
  } finally {
    await admin.destroy();
  }
}

/**
 * Resolves once `n` signals backends have stored their subscription on the event bus of the
 * replicas' `${prefix}events` database (each does on its first poll); throws after about 10 s.
 */
export async function signalsSubscribed(pg: string, prefix: string, n = 2) {
  const eventsDb = new URL(pg);
  eventsDb.pathname = `/${prefix}events`;
  const events = knexFactory({ client: 'pg', connection: eventsDb.href });
  try {
    for (let i = 0; ; i++) {
      const [{ count }] = await events('event_bus_subscriptions')
        .whereRaw("'signals' = ANY(topics)")
        .count({ count: '*' });
      if (Number(count) >= n) return;
      if (i > 100) throw new Error('the signals backends never subscribed');
      await new Promise(r => setTimeout(r, 100));
    }
  } finally {
    await events.destroy();
  }
}
