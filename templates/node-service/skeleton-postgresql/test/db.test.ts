/**
 * Readiness and migrations. The PostgreSQL tests run when TEST_DATABASE_URL is set (CI sets
 * it, with a postgres service); the failure paths always run.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { Database } from '../src/db.js';
import { migrate } from '../src/migrate.js';
import { start } from './helpers.js';

const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;

describe('readiness', () => {
  it('is not ready without DATABASE_URL', async () => {
    const { app, url } = await start();
    try {
      assert.equal((await fetch(`${url}/ready`)).status, 503);
      assert.equal(await new Database(undefined).check(), 'DATABASE_URL is not set');
    } finally {
      await app.close();
    }
  });

  it('is not ready when the database is unreachable, and stays alive', async () => {
    const { app, url } = await start({ databaseUrl: 'postgresql://user:secret@127.0.0.1:9/db' });
    try {
      const res = await fetch(`${url}/ready`);
      const text = await res.text();
      assert.equal(res.status, 503);
      assert.equal((JSON.parse(text) as { status: string }).status, 'unavailable');
      assert.ok(!text.includes('secret'), 'credentials leaked into the readiness answer');
      assert.equal((await fetch(`${url}/health`)).status, 200);
    } finally {
      await app.close();
    }
  });

  it('is ready when the database answers', { skip: !TEST_DATABASE_URL && 'TEST_DATABASE_URL not set' }, async () => {
    const { app, url } = await start({ databaseUrl: TEST_DATABASE_URL });
    try {
      const res = await fetch(`${url}/ready`);
      assert.equal(res.status, 200);
      assert.deepEqual(((await res.json()) as { checks: unknown }).checks, { database: 'ok' });
    } finally {
      await app.close();
    }
  });
});

describe('migrations', { skip: !TEST_DATABASE_URL && 'TEST_DATABASE_URL not set' }, () => {
  it('apply once and are idempotent', async () => {
    const url = TEST_DATABASE_URL as string;
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query('DROP TABLE IF EXISTS items, schema_migrations');
      assert.deepEqual(await migrate(url), ['001_initial']);
      assert.deepEqual(await migrate(url), []);
      const { rows } = await client.query<{ t: string }>("SELECT to_regclass('items')::text AS t");
      assert.equal(rows[0]?.t, 'items');
    } finally {
      await client.query('DROP TABLE IF EXISTS items, schema_migrations');
      await client.end();
    }
  });
});
