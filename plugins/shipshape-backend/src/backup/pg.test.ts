import { spawnSync } from 'child_process';
import { childEnv } from './pg';

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
