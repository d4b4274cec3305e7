import {
  DeleteObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  readLocalStack,
  stackPaymentsConnection,
  stackS3ClientConfig,
  stackS3Storage,
} from '@internal/shipshape-test-utils';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { databases, migrated } from '../operations/__testUtils__/databases';
import { replicaHarness } from '../operations/__testUtils__/replicas';

/**
 * Split brain during a real backup: two replicas (two Node processes, the real BackupService)
 * on one PostgreSQL database, backing up the stack's `payments` database with pg_dump to the
 * stack's S3 with retention keepLast 1 (a second commit would delete the verified backup
 * before it). Replica-a is frozen (SIGSTOP) after its dump, while it verifies what it stored,
 * past the takeover threshold; replica-b takes the backup over (a dump cannot resume: it is
 * failed and its partial object discarded); replica-a is resumed (SIGCONT). Needs the local
 * stack and the test PostgreSQL (scripts/test.sh sets
 * BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING).
 */
jest.setTimeout(120_000);

const stack = readLocalStack();
const REPLICA = path.join(__dirname, '__testUtils__/backupReplica.ts');
const PREFIX = `test/fencing-sigstop-${process.pid}-${Date.now().toString(
  36,
)}/`;
const admin = new S3Client(stackS3ClientConfig());
process.env.SHIPSHAPE_TEST_SIGSTOP_PG = stack.postgres.password;
process.env.SHIPSHAPE_TEST_SIGSTOP_KEY = stack.s3.accessKeyId;
process.env.SHIPSHAPE_TEST_SIGSTOP_SECRET = stack.s3.secretAccessKey;

/** Keys under the test's prefix and a case's `under`, without them. */
async function stored(under = ''): Promise<string[]> {
  const res = await admin.send(
    new ListObjectsV2Command({
      Bucket: stack.s3.bucket,
      Prefix: PREFIX + under,
    }),
  );
  return (res.Contents ?? [])
    .map(o => o.Key!.slice(PREFIX.length + under.length))
    .sort();
}

/** `shipshape.backup` of a replica: one target, keepLast 1 and nothing else kept. */
function backupConfig(binDir: string, under: string) {
  return {
    binDir,
    storage: stackS3Storage(
      PREFIX + under,
      'SHIPSHAPE_TEST_SIGSTOP_KEY',
      'SHIPSHAPE_TEST_SIGSTOP_SECRET',
    ),
    retention: {
      keepLast: 1,
      keepDaily: 0,
      keepWeekly: 0,
      keepMonthly: 0,
      minAgeHours: 0,
    },
    targets: [
      {
        name: 'payments-db',
        connection: stackPaymentsConnection('SHIPSHAPE_TEST_SIGSTOP_PG'),
        allowedEntities: ['component:default/payments-api'],
      },
    ],
  };
}

const postgres = databases
  .eachSupportedId()
  .filter(([id]) => id === 'POSTGRES_15');

(postgres.length ? describe : describe.skip)('backup fencing (SIGSTOP)', () => {
  const harnesses: Array<ReturnType<typeof replicaHarness>> = [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fencing-sigstop-'));
  afterAll(async () => {
    harnesses.forEach(h => h.stopAll());
    for (const key of await stored()) {
      await admin.send(
        new DeleteObjectCommand({ Bucket: stack.s3.bucket, Key: PREFIX + key }),
      );
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  // slow: the program of replica-a's binDir that starts 3 s late, the window in which the
  // test freezes replica-a once its log says `freezeAt`
  it.each([
    { step: 'verify', slow: 'pg_restore', freezeAt: 'Dumped ' },
    { step: 'dump', slow: 'pg_dump', freezeAt: 'Dumping ' },
  ])(
    'a replica frozen at $step past the threshold commits nothing, records nothing, deletes nothing',
    async ({ step, slow, freezeAt }) => {
      const harness = replicaHarness();
      harnesses.push(harness);
      const under = `${step}/`;
      const { note, has, waitFor, start, timeline } = harness;
      const knex = await migrated('POSTGRES_15');
      const url = new URL(
        process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING!,
      );
      url.pathname = `/${
        (await knex.raw('select current_database() as db')).rows[0].db
      }`;
      const db = JSON.stringify({ connectionString: String(url) });
      const real = (name: string) =>
        stack.postgres.binDir ? path.join(stack.postgres.binDir, name) : name;
      const slowBin = path.join(tmp, step);
      fs.mkdirSync(slowBin);
      for (const program of ['pg_dump', 'pg_restore']) {
        fs.writeFileSync(
          path.join(slowBin, program),
          `#!/bin/sh\n${program === slow ? 'sleep 3\n' : ''}exec ${real(
            program,
          )} "$@"\n`,
          { mode: 0o755 },
        );
      }

      // replica-b backs the target up first: the verified backup keepLast 1 keeps
      const b = start(REPLICA, 'replica-b', {
        REPLICA_DB: db,
        REPLICA_NAME: 'replica-b',
        REPLICA_BACKUP: JSON.stringify(
          backupConfig(stack.postgres.binDir, under),
        ),
        REPLICA_SUBMIT: 'payments-db',
      });
      await waitFor('replica-b to verify its backup', () =>
        has('replica-b', 'backup-done'),
      );
      const kept = has('replica-b', 'backup-done')!;
      expect(kept).toMatchObject({
        status: 'succeeded',
        verifiedAt: expect.any(String),
      });
      const keptKey = String(has('replica-b', 'submitted')!.key);
      expect(await stored(under)).toEqual([keptKey]);

      const a = start(REPLICA, 'replica-a', {
        REPLICA_DB: db,
        REPLICA_NAME: 'replica-a',
        REPLICA_BACKUP: JSON.stringify(backupConfig(slowBin, under)),
        REPLICA_SUBMIT: 'payments-db',
      });
      await waitFor('replica-a to submit', () => has('replica-a', 'submitted'));
      const id = String(has('replica-a', 'submitted')!.id);
      const key = String(has('replica-a', 'submitted')!.key);
      await waitFor('replica-a to finish its dump', () =>
        has('replica-a', 'engine-log', e =>
          String(e.message).startsWith(`backup ${id}: ${freezeAt}`),
        ),
      );
      a.kill('SIGSTOP');
      note('SIGSTOP replica-a', { stored: await stored(under) });
      const op = () => knex('shipshape_operations').where({ id }).first();
      await waitFor(
        'replica-b to take over',
        async () => (await op()).claimed_by === 'replica-b',
      );
      note('takeover seen in the database', {
        generation: (await op()).claim_generation,
      });
      await waitFor(
        'replica-b to record the outcome',
        async () => (await op()).status !== 'running',
      );
      note('outcome recorded', {
        status: (await op()).status,
        stored: await stored(under),
      });
      a.kill('SIGCONT');
      note('SIGCONT replica-a');
      await waitFor('replica-a to stop its run', () =>
        has('replica-a', 'engine-log', e =>
          String(e.message).includes('this run stopped'),
        ),
      );
      await waitFor('replica-a to end its backup', () =>
        has('replica-a', 'backup-done'),
      );
      await new Promise(r => setTimeout(r, 2_000)); // anything else replica-a would still do
      note('end', { stored: await stored(under) });

      // eslint-disable-next-line no-console
      console.log(
        `backup fencing timeline, frozen at ${step} (heartbeat 200 ms, takeover after 1500 ms, S3 keys under the test prefix):\n${timeline(
          e =>
            e.event !== 'engine-log' ||
            /Dumped|Verified|stop|lost/.test(String(e.message)),
        ).join('\n')}`,
      );

      // One outcome, recorded by replica-b: the dump could not resume.
      const done = await op();
      expect(done).toMatchObject({
        status: 'failed',
        claimed_by: 'replica-b',
        claim_generation: 2,
      });
      expect(done.error).toContain(
        'its backend instance replica-a stopped (taken over by replica-b)',
      );
      const log = (
        await knex('shipshape_operation_log')
          .where({ operation_id: id })
          .orderBy('seq')
      ).map(l => l.message);
      expect(log.filter(m => m.startsWith('Finished'))).toHaveLength(1);
      expect(log.some(m => m.startsWith('Verified and committed'))).toBe(false);
      // replica-a lost its claim and said so; it committed nothing: the only object is the
      // backup kept before, still verified (a commit by replica-a would have deleted it)
      expect(
        has('replica-a', 'engine-log', e =>
          String(e.message).includes(`Operation ${id}: claim 1 was lost`),
        ),
      ).toBeDefined();
      expect(has('replica-a', 'backup-done')!.status).toBe('failed');
      expect(await stored(under)).toEqual([keptKey]);
      expect(key).not.toBe(keptKey);
      expect(
        await knex('shipshape_backups')
          .where({ operation_id: kept.id })
          .first(),
      ).toMatchObject({ verified_at: expect.anything(), deleted_at: null });
      expect(b.exitCode).toBeNull();
    },
  );
});
