import { spawnSync } from 'child_process';
import { archiveHeaderOf, childEnv, serverMajorMinor } from './pg';

describe('childEnv', () => {
  it('passes pg_dump/pg_restore only PATH, the locale and the connection', () => {
    process.env.AWS_SECRET_ACCESS_KEY = 'not-for-children';
    process.env.PGPASSFILE = '/home/someone/.pgpass';
    const env = childEnv(
      { host: 'db', port: 5433, user: 'u', database: 'payments' },
      'pw',
    );
    expect(Object.keys(env).sort()).toEqual(
      [
        ...['PATH', 'LD_LIBRARY_PATH', 'LANG', 'LC_ALL', 'TZ'].filter(
          k => process.env[k] !== undefined,
        ),
        'PGCONNECT_TIMEOUT',
        'PGDATABASE',
        'PGHOST',
        'PGPASSWORD',
        'PGPORT',
        'PGUSER',
      ].sort(),
    );
    expect(env).toMatchObject({
      PGHOST: 'db',
      PGPORT: '5433',
      PGDATABASE: 'payments',
      PGPASSWORD: 'pw',
    });
    // what a child really sees
    const seen = spawnSync('env', [], { env, encoding: 'utf8' }).stdout;
    expect(seen).not.toContain('not-for-children');
    expect(seen).not.toContain('PGPASSFILE');
    expect(childEnv()).not.toHaveProperty('PGPASSWORD');
    delete process.env.AWS_SECRET_ACCESS_KEY;
    delete process.env.PGPASSFILE;
  });
});

describe('serverMajorMinor', () => {
  it.each([
    ['15.8 (Debian 15.8-1.pgdg120+1)', '15.8'],
    ['15.8', '15.8'],
    ['16.4 (Ubuntu 16.4-0ubuntu0.24.04.2)', '16.4'],
    ['9.6.24', '9.6'],
    ['17beta1', '17'],
    ['', undefined],
    ['unknown', undefined],
    [undefined, undefined],
  ])('reads %p as %p', (version, want) => {
    expect(serverMajorMinor(version)).toBe(want);
  });

  it('reads the version pg_restore --list names', () => {
    const list = [
      ';',
      '; Archive created at 2026-12-07 00:15:00 UTC',
      ';     dbname: payments',
      ';     Dumped from database version: 15.8 (Debian 15.8-1.pgdg120+1)',
      ';     Dumped by pg_dump version: 15.8 (Debian 15.8-1.pgdg120+1)',
    ].join('\n');
    const header = archiveHeaderOf(list);
    expect(header.database).toBe('payments');
    expect(serverMajorMinor(header.serverVersion)).toBe('15.8');
  });
});
