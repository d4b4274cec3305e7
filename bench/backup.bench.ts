/**
 * Backup and restore-drill throughput on the local stack's PostgreSQL, against the plain
 * tools in the same run: `pg_dump -Fc > file` and the issue's `pg_dump -Fc | gzip > file` vs a
 * Shipshape backup (to local storage and to S3, each including its verification re-read;
 * wall time from the request to the verified record, through the operations engine),
 * `createdb + pg_restore file` vs a drill.
 * Samples the process RSS every 50 ms during each backup (the backend's share is the rise
 * over the baseline). Not part of the normal test run.
 *
 *   cd plugins/shipshape-backend && BENCH_DB=payments CI=true yarn backstage-cli package test \
 *     --roots "$PWD/../../bench" --testMatch '**\/backup.bench.ts' --testTimeout 3600000
 *
 * A bigger database: scripts/stack/pg-seed.sh --db bench --size-mb 1024, then BENCH_DB=bench.
 * Prints one JSON line with the figures (docs/backup.md has the last run).
 */
import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { execFileSync } from 'child_process';
import fs from 'fs';
import knexFactory from 'knex';
import os from 'os';
import path from 'path';
/* eslint-disable @backstage/no-relative-monorepo-imports */
import { readBackupConfig } from '../plugins/shipshape-backend/src/backup/config';
import { BackupService } from '../plugins/shipshape-backend/src/backup/service';
import { testEngine } from '../plugins/shipshape-backend/src/operations/__testUtils__/engine';
import { connectDatabase } from '../plugins/shipshape-backend/src/database';
import { readLocalStack, stackS3Storage } from '@internal/shipshape-test-utils';
/* eslint-enable @backstage/no-relative-monorepo-imports */

const DB = process.env.BENCH_DB ?? 'payments';

it('measures backup and drill vs pg_dump and pg_restore', async () => {
  const stack = readLocalStack();
  const pg = stack.postgres;
  process.env.BENCH_PG_PASSWORD = pg.password;
  process.env.BENCH_PG_SU_PASSWORD = pg.superuserPassword;
  process.env.BENCH_S3_KEY = stack.s3.accessKeyId;
  process.env.BENCH_S3_SECRET = stack.s3.secretAccessKey;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shipshape-backup-bench-'));
  const conn = {
    host: pg.host,
    port: pg.port,
    user: pg.user,
    database: DB,
    passwordEnv: 'BENCH_PG_PASSWORD',
  };
  const config = readBackupConfig(
    new ConfigReader({
      shipshape: {
        backup: {
          binDir: pg.binDir,
          retention: { keepLast: 1, maxAgeDays: 1 },
          drill: {
            connection: {
              ...conn,
              user: pg.superuser,
              database: 'postgres',
              passwordEnv: 'BENCH_PG_SU_PASSWORD',
            },
          },
          targets: [
            {
              name: 'bench-local',
              connection: conn,
              storage: { type: 'local', directory: dir },
            },
            {
              name: 'bench-s3',
              connection: conn,
              storage: stackS3Storage(
                'bench/',
                'BENCH_S3_KEY',
                'BENCH_S3_SECRET',
              ),
            },
          ],
        },
      },
    }),
  )!;
  const knex = knexFactory({
    client: 'better-sqlite3',
    connection: ':memory:',
    useNullAsDefault: true,
  });
  await connectDatabase({ getClient: async () => knex } as any);
  const service = BackupService.create({
    config,
    knex,
    logger: mockServices.logger.mock(),
    engine: testEngine(knex),
  });

  const env = { ...process.env, PGHOST: pg.host, PGPORT: String(pg.port) };
  const plainFile = path.join(dir, 'plain.dump');
  // Warm-up (not timed): every timed run below then reads the table from a warm cache.
  execFileSync(
    'bash',
    ['-c', `"${pg.binDir}/pg_dump" -Fc -d "${DB}" > /dev/null`],
    { env: { ...env, PGUSER: pg.user, PGPASSWORD: pg.password } },
  );
  let t = Date.now();
  execFileSync(
    'bash',
    ['-c', `"${pg.binDir}/pg_dump" -Fc -d "${DB}" > "${plainFile}"`],
    { env: { ...env, PGUSER: pg.user, PGPASSWORD: pg.password } },
  );
  const plainDumpMs = Date.now() - t;
  const size = fs.statSync(plainFile).size;
  t = Date.now();
  execFileSync(
    'bash',
    [
      '-c',
      `set -o pipefail; "${pg.binDir}/pg_dump" -Fc -d "${DB}" | gzip > "${plainFile}.gz"`,
    ],
    { env: { ...env, PGUSER: pg.user, PGPASSWORD: pg.password } },
  );
  const plainGzipMs = Date.now() - t;

  const sampleRss = async <T>(fn: () => Promise<T>) => {
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const timer = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 50);
    try {
      const value = await fn();
      return { value, baselineMb: baseline / 2 ** 20, peakMb: peak / 2 ** 20 };
    } finally {
      clearInterval(timer);
    }
  };

  const results: Record<string, unknown> = {
    db: DB,
    dumpBytes: size,
    plainDumpMs,
    plainDumpMBps: +(size / 2 ** 20 / (plainDumpMs / 1000)).toFixed(1),
    plainDumpGzipMs: plainGzipMs,
  };
  for (const name of ['bench-local', 'bench-s3']) {
    const t0 = Date.now();
    const run = await sampleRss(
      async () =>
        (
          await service.startBackup({
            target: service.target(name),
            entityRef: 'component:default/bench',
            requestedBy: 'user:default/bench',
          })
        ).done,
    );
    const wallMs = Date.now() - t0;
    expect(
      `${name}: ${run.value.status} ${run.value.failedStep ?? ''} ${
        run.value.error ?? ''
      }`,
    ).toBe(`${name}: verified  `);
    results[name] = {
      ms: wallMs,
      MBps: +(run.value.sizeBytes! / 2 ** 20 / (wallMs / 1000)).toFixed(1),
      ratioToPlainDump: +(wallMs / plainDumpMs).toFixed(2),
      ratioToPlainDumpGzip: +(wallMs / plainGzipMs).toFixed(2),
      rssBaselineMb: Math.round(run.baselineMb),
      rssPeakMb: Math.round(run.peakMb),
    };
  }

  // Plain restore into a fresh database vs the drill of the local backup.
  const su = { ...env, PGUSER: pg.superuser, PGPASSWORD: pg.superuserPassword };
  const plainDb = `bench_plain_${process.pid}`;
  execFileSync(`${pg.binDir}/createdb`, [plainDb], { env: su });
  try {
    t = Date.now();
    execFileSync(
      `${pg.binDir}/pg_restore`,
      ['--no-owner', '--no-acl', '-d', plainDb, plainFile],
      { env: su },
    );
    results.plainRestoreMs = Date.now() - t;
  } finally {
    execFileSync(`${pg.binDir}/dropdb`, ['--force', plainDb], { env: su });
  }
  for (const name of ['bench-local', 'bench-s3']) {
    const drill = await (
      await service.startDrill({
        target: service.target(name),
        entityRef: 'component:default/bench',
        requestedBy: 'user:default/bench',
      })
    ).done;
    expect(
      `${name}: ${drill.status} ${drill.failedStep ?? ''} ${drill.error ?? ''}`,
    ).toBe(`${name}: passed  `);
    results[`${name}-drill`] = {
      restoreMs: drill.restoreMs,
      ratioToPlainRestore: +(
        drill.restoreMs! / (results.plainRestoreMs as number)
      ).toFixed(2),
    };
  }
  // eslint-disable-next-line no-console
  console.log(`BACKUP_BENCH ${JSON.stringify(results)}`);
  await knex.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
});
