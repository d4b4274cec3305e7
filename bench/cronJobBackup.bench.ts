/**
 * From the backup CronJob's Job completing to "verified" in the portal, on the local stack.
 * The chart's two container scripts (templates/_shared/skeleton/chart/templates/backup-cronjob.yaml)
 * run on this machine against the stack's PostgreSQL and S3 (kwok runs no containers), RUNS
 * times, one after another; meanwhile the discovery pass (discoverCronJobBackups, what the
 * scheduled task `shipshape-cronjob-backup-discovery` runs) runs every BENCH_INTERVAL_MS, as
 * `shipshape.backup.discovery.schedule` would (BENCH_INTERVAL_MS=0: a pass starts as each Job
 * completes). Measured per run: the script's end (the Job's completion, after its second copy
 * and retention) to the record's finished_at with status verified (negative: the portal had
 * verified the dump in the first bucket before the Job finished); and the verification alone
 * (the record's durationMs: manifest, re-read, checksum, pg_restore --list, row counts, copy
 * not included). Not part of the normal test run.
 *
 *   cd plugins/shipshape-backend && BENCH_RUNS=5 BENCH_INTERVAL_MS=5000 [BENCH_DB=payments] CI=true yarn backstage-cli \
 *     package test --roots "$PWD/../../bench" --testMatch '**\/cronJobBackup.bench.ts' --testTimeout 3600000
 *
 * Needs BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING (scripts/test-postgres.sh up) for
 * the plugin's database. Prints one JSON line with the figures (docs/backup.md has the last run).
 */
import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import { ConfigReader, JsonObject } from '@backstage/config';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
/* eslint-disable @backstage/no-relative-monorepo-imports */
import { readBackupConfig } from '../plugins/shipshape-backend/src/backup/config';
import { discoverCronJobBackups } from '../plugins/shipshape-backend/src/backup/cronJobDiscovery';
import { BackupService } from '../plugins/shipshape-backend/src/backup/service';
import { connectDatabase } from '../plugins/shipshape-backend/src/database';
import { testEngine } from '../plugins/shipshape-backend/src/operations/__testUtils__/engine';
import {
  readLocalStack,
  stackPaymentsConnection,
  stackS3Storage,
  runChartBackup,
} from '@internal/shipshape-test-utils';
/* eslint-enable @backstage/no-relative-monorepo-imports */

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
/** The database dumped (BENCH_DB; a bigger one: scripts/stack/pg-seed.sh --db cjbench --size-mb 256). */
const DB = process.env.BENCH_DB ?? 'payments';
const INTERVAL_MS = Number(process.env.BENCH_INTERVAL_MS ?? 5000);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : Math.round((s[m - 1] + s[m]) / 2);
};

const databases = TestDatabases.create({ ids: ['POSTGRES_15'] });

it('measures the CronJob backup from Job completion to verified', async () => {
  const stack = readLocalStack();
  process.env.BENCH_CJ_PG = stack.postgres.password;
  process.env.BENCH_CJ_KEY = stack.s3.accessKeyId;
  process.env.BENCH_CJ_SECRET = stack.s3.secretAccessKey;
  const run = `bench-${Date.now().toString(36)}`;
  const prefix = `bench/${run}/`;
  const target = `cj-${run}`;
  const knex = await databases.init('POSTGRES_15');
  await connectDatabase({ getClient: async () => knex } as any);
  const storage = stackS3Storage(prefix, 'BENCH_CJ_KEY', 'BENCH_CJ_SECRET');
  const config = readBackupConfig(
    new ConfigReader({
      shipshape: {
        backup: {
          binDir: stack.postgres.binDir,
          targets: [
            {
              name: target,
              allowedEntities: ['component:default/payments-api'],
              connection: {
                ...stackPaymentsConnection('BENCH_CJ_PG'),
                database: DB,
              },
              storage,
              copyTo: { ...storage, bucket: `${stack.s3.bucket}-dr` },
            },
          ],
        },
      },
    } as JsonObject),
  )!;
  const service = BackupService.create({
    config,
    knex,
    logger: mockServices.logger.mock(),
    engine: testEngine(knex),
  }).registerOperations();
  const deps = {
    service,
    logger: mockServices.logger.mock(),
    auth: mockServices.auth(),
    catalog: catalogServiceMock({
      entities: [
        {
          apiVersion: 'backstage.io/v1alpha1',
          kind: 'Component',
          metadata: {
            name: 'payments-api',
            annotations: { 'shipshape.dev/backup-target': target },
          },
          spec: { type: 'service', owner: 'group:default/t' },
        },
      ],
    }),
  };

  // the scheduled task: a pass every INTERVAL_MS (the next one starts when the last ended)
  // (BENCH_INTERVAL_MS=0: no schedule; one pass starts as each Job completes: the pass's own latency)
  let stop = INTERVAL_MS === 0;
  const passes = (async () => {
    while (!stop) {
      await discoverCronJobBackups(deps);
      await new Promise(r => setTimeout(r, INTERVAL_MS));
    }
  })();

  const samples: Array<{
    completedToVerifiedMs: number;
    verifyMs: number;
    jobMs: number;
    sizeBytes: number;
  }> = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      // a new stamp (the key has seconds) for each run
      await new Promise(r => setTimeout(r, 1100));
      const jobStart = Date.now();
      const job = await runChartBackup({
        databaseUrl: `postgresql://${stack.postgres.user}:${encodeURIComponent(
          stack.postgres.password,
        )}@${stack.postgres.host}:${stack.postgres.port}/${DB}`,
        pgBinDir: stack.postgres.binDir,
        target,
        environment: 'production',
        service: 'payments-api',
        s3: {
          ...stack.s3,
          prefix,
          copyBucket: `${stack.s3.bucket}-dr`,
        },
      });
      const key = `cronjob/${target}/production/${job.name}`;
      if (INTERVAL_MS === 0) await discoverCronJobBackups(deps);
      for (;;) {
        const [rec] = await service.store.byStorageKey(target, key);
        if (rec && rec.status !== 'running') {
          if (!rec.verifiedAt) {
            throw new Error(`${key}: ${rec.failedStep} ${rec.error}`);
          }
          samples.push({
            completedToVerifiedMs:
              Date.parse(rec.finishedAt!) - job.completedAt,
            verifyMs: rec.durationMs!,
            jobMs: job.completedAt - jobStart,
            sizeBytes: rec.sizeBytes!,
          });
          break;
        }
        await new Promise(r => setTimeout(r, 50));
      }
    }
  } finally {
    stop = true;
    await passes;
  }
  const e2e = samples.map(s => s.completedToVerifiedMs);
  const verify = samples.map(s => s.verifyMs);
  // eslint-disable-next-line no-console
  console.log(
    JSON.stringify({
      runs: RUNS,
      db: DB,
      intervalMs: INTERVAL_MS,
      dumpBytes: samples.map(s => s.sizeBytes),
      medianJobMs: median(samples.map(s => s.jobMs)),
      completedToVerifiedMs: e2e,
      medianCompletedToVerifiedMs: median(e2e),
      verifyMs: verify,
      medianVerifyMs: median(verify),
    }),
  );
});
