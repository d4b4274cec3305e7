/**
 * Applies migrations/NNN_name.sql in order, each in its own transaction, recording them in
 * schema_migrations. A PostgreSQL advisory lock keeps concurrent runs from interleaving.
 * Run by the Helm pre-install/pre-upgrade hook: `node dist/src/migrate.js`.
 */
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createLogger } from './logger.js';

const LOCK_ID = 0x5e55;
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

export async function migrate(url: string, dir = MIGRATIONS_DIR): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_ID]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const done = new Set((await client.query<{ version: string }>('SELECT version FROM schema_migrations')).rows.map(r => r.version));
    const files = (await readdir(dir)).filter(f => /^\d+_[\w-]+\.sql$/.test(f)).sort();
    for (const file of files) {
      const version = file.replace(/\.sql$/, '');
      if (done.has(version)) continue;
      const sql = await readFile(`${dir}/${file}`, 'utf8');
      await client.query('BEGIN');
      try {
        await client.query(sql);
        await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [version]);
        await client.query('COMMIT');
        applied.push(version);
      } catch (error) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${file} failed: ${(error as Error).message}`);
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK_ID]).catch(() => undefined);
    await client.end();
  }
  return applied;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const log = createLogger('app.migrate', process.env.SERVICE_NAME ?? '${{ values.name }}');
  const url = process.env.DATABASE_URL;
  if (!url) {
    log.error('DATABASE_URL is not set');
    process.exit(1);
  }
  migrate(url).then(
    applied => log.info('migrations applied', { applied }),
    (error: unknown) => {
      log.error('migration failed', { error });
      process.exit(1);
    },
  );
}
