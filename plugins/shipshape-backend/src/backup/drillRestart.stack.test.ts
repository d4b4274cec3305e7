import {
  TestDatabases,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import http from 'http';
import { AddressInfo } from 'net';
import { Knex } from 'knex';
import { connectDatabase } from '../database';
import { shipshapePlugin } from '../plugin';
import { readLocalStack } from '../testUtils/stack';
import { readBackupConfig } from './config';
import { pgClient } from './pg';
import { BackupService } from './service';

jest.setTimeout(60_000);

// Restore drills interrupted by a backend restart, on the local stack's real PostgreSQL: two
// backend instances share one plugin database (as replicas do). A drill is held at its fetch
// step by an S3 endpoint that accepts the request and never answers, after it created its
// temporary database — a drill caught mid-way, as a crash would leave it.
const stack = readLocalStack();
const RUN = `d${process.pid.toString(36)}${Date.now().toString(36)}`;
process.env.SHIPSHAPE_TEST_DRILL_PG = stack.postgres.password;
process.env.SHIPSHAPE_TEST_DRILL_SU = stack.postgres.superuserPassword;
process.env.SHIPSHAPE_TEST_DRILL_S3 = 'unused';

const admin = () =>
  pgClient(
    {
      host: stack.postgres.host,
      port: stack.postgres.port,
      user: stack.postgres.superuser,
      database: 'postgres',
      passwordEnv: 'SHIPSHAPE_TEST_DRILL_SU',
    },
    stack.postgres.superuserPassword,
  );

async function databaseExists(name: string) {
  const db = admin();
  try {
    const { rows } = await db.raw(
      'SELECT 1 FROM pg_database WHERE datname = ?',
      [name],
    );
    return rows.length === 1;
  } finally {
    await db.destroy();
  }
}

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline)
      throw new Error(`gave up waiting: ${JSON.stringify(v)}`);
    await new Promise(r => setTimeout(r, 100));
  }
}

describe('a restarted backend and its interrupted restore drills (two instances, one PostgreSQL)', () => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15'] });
  let knex: Knex;
  // holds every request until released, then answers 404 NoSuchKey (no retry): the drill's
  // fetch waits until then
  let released = false;
  const held: http.ServerResponse[] = [];
  const notFound = (res: http.ServerResponse) =>
    res
      .writeHead(404, { 'content-type': 'application/xml' })
      .end(
        '<Error><Code>NoSuchKey</Code><Message>held by the test</Message></Error>',
      );
  const hanging = http.createServer((_req, res) =>
    released ? notFound(res) : held.push(res),
  );
  const release = () => {
    released = true;
    held.splice(0).forEach(notFound);
  };
  let endpoint = '';

  const configData = (instanceName: string, drill = true) => ({
    shipshape: {
      backup: {
        binDir: stack.postgres.binDir,
        instanceName,
        leaseSeconds: 1,
        storage: {
          type: 's3',
          bucket: 'hangs',
          region: 'us-east-1',
          endpoint,
          forcePathStyle: true,
          accessKeyIdEnv: 'SHIPSHAPE_TEST_DRILL_S3',
          secretAccessKeyEnv: 'SHIPSHAPE_TEST_DRILL_S3',
        },
        ...(drill && {
          drill: {
            connection: {
              host: stack.postgres.host,
              port: stack.postgres.port,
              user: stack.postgres.superuser,
              database: 'postgres',
              passwordEnv: 'SHIPSHAPE_TEST_DRILL_SU',
            },
          },
        }),
        targets: [`${RUN}-a`, `${RUN}-b`].map(name => ({
          name,
          connection: {
            host: stack.postgres.host,
            port: stack.postgres.port,
            user: stack.postgres.user,
            database: 'payments',
            passwordEnv: 'SHIPSHAPE_TEST_DRILL_PG',
          },
        })),
      },
    },
  });
  const instance = (name: string, drill = true) =>
    new BackupService(
      readBackupConfig(new ConfigReader(configData(name, drill)))!,
      knex,
      mockServices.logger.mock(),
    );

  /** A verified backup record of `target` (its object is behind the hanging endpoint). */
  async function verifiedBackup(svc: BackupService, target: string) {
    const id = `${target}-backup-${Date.now()}`;
    await svc.store.start(
      {
        id,
        target,
        entityRef: `component:default/${target}`,
        storageType: 's3',
        storageKey: `${target}/${id}.dump`,
        requestedBy: 'user:default/owner-user',
      },
      { owner: 'seed', leaseMs: 60_000, staleAfterMs: 60_000 },
    );
    await svc.store.finish(id, {
      status: 'verified',
      sizeBytes: 1,
      sha256: '0'.repeat(64),
      tables: [],
    });
  }

  /** Starts a drill of `target` on `svc` and waits until it hangs at fetch. */
  async function stuckDrill(svc: BackupService, target: string) {
    released = false;
    const run = await svc.startDrill({
      target: svc.target(target),
      entityRef: `component:default/${target}`,
      requestedBy: 'user:default/owner-user',
    });
    await until(
      () => svc.store.getDrill(run.record.id),
      d => d.step === 'fetch',
    );
    expect(await databaseExists(run.record.databaseName!)).toBe(true);
    return run;
  }

  beforeAll(async () => {
    await new Promise<void>(r => hanging.listen(0, '127.0.0.1', r));
    endpoint = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`;
    knex = await databases.init('POSTGRES_15');
    await connectDatabase({ getClient: async () => knex } as any);
  });
  afterAll(async () => {
    release();
    hanging.closeAllConnections();
    await new Promise(r => hanging.close(r));
  });

  it("fails its own interrupted drill at once and drops its database, keeps the other instance's until its lease runs out", async () => {
    const a = instance('drill-a');
    const b = instance('drill-b');
    await verifiedBackup(a, `${RUN}-a`);
    await verifiedBackup(a, `${RUN}-b`);
    const runA = await stuckDrill(a, `${RUN}-a`);
    const runB = await stuckDrill(b, `${RUN}-b`);
    expect(runA.record).toMatchObject({ owner: 'drill-a', status: 'running' });

    // drill-a "restarts": the old process stops heartbeating, a new one with its name starts.
    a.close();
    const a2 = instance('drill-a');
    const t0 = Date.now();
    await a2.recoverInterrupted();
    const tookMs = Date.now() - t0;
    const da = await a2.store.getDrill(runA.record.id);
    expect(da).toMatchObject({ status: 'failed', failedStep: 'fetch' });
    expect(da.error).toBe(
      `abandoned at step fetch: backend instance drill-a restarted while it ran; its temporary database ${runA.record.databaseName} was dropped`,
    );
    expect(await databaseExists(runA.record.databaseName!)).toBe(false);
    expect(tookMs).toBeLessThan(2000);
    // eslint-disable-next-line no-console
    console.log(
      `drill restart: interrupted drill failed and its database dropped in ${tookMs} ms`,
    );

    // drill-b's drill is alive (heartbeating): untouched, although older than the lease.
    await new Promise(r => setTimeout(r, 1500));
    expect(await a2.recoverInterruptedDrills({ own: false })).toEqual([]);
    expect((await a2.store.getDrill(runB.record.id)).status).toBe('running');
    expect(await databaseExists(runB.record.databaseName!)).toBe(true);

    // drill-b stops heartbeating: once the lease ran out, the next drill anywhere frees it.
    b.close();
    await new Promise(r => setTimeout(r, 1500));
    const next = await stuckDrill(a2, `${RUN}-a`);
    const db = await a2.store.getDrill(runB.record.id);
    expect(db).toMatchObject({ status: 'failed', failedStep: 'fetch' });
    expect(db.error).toMatch(
      new RegExp(
        `^abandoned at step fetch: its backend instance drill-b stopped \\(no heartbeat since .*\\); its temporary database ${db.databaseName} was dropped$`,
      ),
    );
    expect(await databaseExists(runB.record.databaseName!)).toBe(false);

    // The original runs end when their fetch fails; that does not overwrite the records.
    a2.close();
    release();
    const [endA, endB, endNext] = await Promise.all([
      runA.done,
      runB.done,
      next.done,
    ]);
    expect(endA.error).toMatch(
      /^abandoned at step fetch: backend instance drill-a restarted/,
    );
    expect(endB.error).toMatch(
      /^abandoned at step fetch: its backend instance drill-b stopped/,
    );
    // the drill nobody interrupted fails at fetch on its own, and drops its database itself
    expect(endNext).toMatchObject({ status: 'failed', failedStep: 'fetch' });
    expect(await databaseExists(next.record.databaseName!)).toBe(false);
  });

  it('says so when it cannot drop the database (no drill connection configured)', async () => {
    const c = instance('drill-c');
    await verifiedBackup(c, `${RUN}-a`);
    const run = await stuckDrill(c, `${RUN}-a`);
    c.close();
    const [failed] = await instance(
      'drill-c',
      false,
    ).recoverInterruptedDrills();
    expect(failed.error).toBe(
      `abandoned at step fetch: backend instance drill-c restarted while it ran; its temporary database ${run.record.databaseName} was not dropped (no shipshape.backup.drill.connection); drop it by hand`,
    );
    expect(await databaseExists(run.record.databaseName!)).toBe(true);
    // clean up what the test left
    release();
    await run.done;
    expect(await databaseExists(run.record.databaseName!)).toBe(false);
  });

  it("the plugin does it at startup: a backend started as drill-d fails drill-d's running drill", async () => {
    const before = instance('drill-d');
    await verifiedBackup(before, `${RUN}-b`);
    const run = await stuckDrill(before, `${RUN}-b`);
    before.close();
    const backend = await startTestBackend({
      features: [
        shipshapePlugin,
        mockServices.database.factory({ knex }),
        mockServices.rootConfig.factory({ data: configData('drill-d') }),
        catalogServiceMock.factory({ entities: [] }),
      ],
    });
    try {
      const d = await until(
        () => before.store.getDrill(run.record.id),
        // failed first (the claim), then the drop's outcome is added
        r => /temporary database/.test(r.error ?? ''),
      );
      expect(d).toMatchObject({ status: 'failed', failedStep: 'fetch' });
      expect(d.error).toMatch(
        /^abandoned at step fetch: backend instance drill-d restarted while it ran; its temporary database shipshape_drill_[0-9a-f]+ was dropped$/,
      );
      expect(await databaseExists(run.record.databaseName!)).toBe(false);
    } finally {
      await backend.stop();
      release();
      await run.done;
    }
  });
});
