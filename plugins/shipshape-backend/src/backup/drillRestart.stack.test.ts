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
import {
  readLocalStack,
  stackDrillConnection,
  stackPaymentsConnection,
} from '@internal/shipshape-test-utils';
import { readBackupConfig } from './config';
import { pgClient } from './pg';
import { OperationEngine } from '../operations/engine';
import { testEngine } from '../operations/__testUtils__/engine';
import { recordRun } from './__testUtils__/runs';
import { BackupService, DRILL_KIND } from './service';
import { testBackupService } from './__testUtils__/service';

jest.setTimeout(60_000);

// Restore drills interrupted by a backend restart, on the local stack's real PostgreSQL:
// replicas (operations engines) share one plugin database. A crashed replica leaves what
// `crashedDrill` writes: its running operation (claimed, heartbeat fresh at the crash), the
// drill record at step fetch and the drill's real temporary database. A live drill is held at
// its fetch step by an S3 endpoint that accepts the request and never answers.
const stack = readLocalStack();
const RUN = `d${process.pid.toString(36)}${Date.now().toString(36)}`;
process.env.SHIPSHAPE_TEST_DRILL_PG = stack.postgres.password;
process.env.SHIPSHAPE_TEST_DRILL_ROLE = stack.postgres.drillPassword;
process.env.SHIPSHAPE_TEST_DRILL_S3 = 'unused';

/** The drill role (CREATEDB only): what a crashed replica made its databases with. */
const admin = () =>
  pgClient(
    stackDrillConnection('SHIPSHAPE_TEST_DRILL_ROLE'),
    stack.postgres.drillPassword,
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

  const configData = (drill = true) => ({
    shipshape: {
      backup: {
        binDir: stack.postgres.binDir,
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
            connection: stackDrillConnection('SHIPSHAPE_TEST_DRILL_ROLE'),
          },
        }),
        targets: [`${RUN}-a`, `${RUN}-b`].map(name => ({
          name,
          connection: stackPaymentsConnection('SHIPSHAPE_TEST_DRILL_PG'),
          allowedEntities: [`component:default/${name}`],
        })),
      },
    },
  });

  /** A backend replica named `name`: an engine with the backup handlers, started. */
  const replica = async (
    name: string,
    opts: { drill?: boolean; staleAfterMs?: number } = {},
  ) => {
    const engine = testEngine(knex, {
      instanceId: name,
      heartbeatMs: 200,
      staleAfterMs: opts.staleAfterMs ?? 60_000,
    });
    const service = testBackupService({
      config: readBackupConfig(
        new ConfigReader(configData(opts.drill ?? true)),
      )!,
      knex,
      engine,
    });
    await engine.start();
    return { engine, service };
  };
  let engines: OperationEngine[] = [];
  const started = async (...args: Parameters<typeof replica>) => {
    const r = await replica(...args);
    engines.push(r.engine);
    return r;
  };
  afterEach(async () => {
    await Promise.all(engines.map(e => e.stop()));
    engines = [];
  });

  /** A verified backup record of `target` (its object is behind the hanging endpoint). */
  async function verifiedBackup(svc: BackupService, target: string) {
    const id = `${target}-backup-${Date.now()}`;
    await recordRun(knex, {
      id,
      kind: 'backup',
      target,
      entityRef: `component:default/${target}`,
      status: 'succeeded',
    });
    await svc.store.start({
      id,
      target,
      storageType: 's3',
      storageKey: `${target}/${id}.dump`,
    });
    await svc.store.finish(id, {
      end: 'verified',
      sizeBytes: 1,
      sha256: '0'.repeat(64),
      tables: [],
    });
    return id;
  }

  /**
   * What a replica named `runner` leaves when it crashes mid-drill: its operation running and
   * claimed (heartbeat as of the crash), the drill at step fetch, its temporary database.
   */
  async function crashedDrill(
    svc: BackupService,
    runner: string,
    target: string,
  ) {
    const backupId = await verifiedBackup(svc, target);
    const ops = testEngine(knex).store;
    const op = await ops.create({
      kind: DRILL_KIND,
      entityRef: `component:default/${target}`,
      target: `restore-drill:${target}`,
      requestedBy: 'user:default/owner-user',
      input: { target, backupId },
    });
    await ops.claim(op.id, runner);
    const databaseName = `shipshape_drill_${RUN}_${runner.replace(/-/g, '_')}`;
    await svc.store.startDrill({
      id: op.id,
      backupId,
      target,
      databaseName,
      step: 'fetch',
    });
    const db = admin();
    await db
      .raw('CREATE DATABASE ??', [databaseName])
      .finally(() => db.destroy());
    return { id: op.id, databaseName };
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

  it('a replica restarted under the same name fails its interrupted drill at once and drops its database', async () => {
    const seed = await replica('seed');
    await seed.engine.stop();
    const crashed = await crashedDrill(seed.service, 'drill-a', `${RUN}-a`);
    const t0 = Date.now();
    const a = await started('drill-a');
    const op = await a.engine.waitFor(crashed.id);
    const tookMs = Date.now() - t0;
    expect(op).toMatchObject({ status: 'failed', kind: DRILL_KIND });
    const d = await a.service.store.getDrill(crashed.id);
    expect(d).toMatchObject({ status: 'failed', failedStep: 'fetch' });
    expect(d.error).toBe(
      `abandoned at step fetch: backend instance drill-a restarted while it ran; its temporary database ${crashed.databaseName} was dropped`,
    );
    expect(await databaseExists(crashed.databaseName)).toBe(false);
    expect(tookMs).toBeLessThan(2000);
    // eslint-disable-next-line no-console
    console.log(
      `drill restart: interrupted drill failed and its database dropped in ${tookMs} ms`,
    );
  });

  it("leaves another replica's drill alone while its heartbeat is fresh, then takes it over and drops its database", async () => {
    const seed = await replica('seed');
    await seed.engine.stop();
    const crashed = await crashedDrill(seed.service, 'drill-b', `${RUN}-b`);
    const c = await started('drill-c', { staleAfterMs: 1_500 });
    expect(c.engine.isRunningHere(crashed.id)).toBe(false);
    expect((await c.service.store.getDrill(crashed.id)).status).toBe('running');
    const d = await until(
      () => c.service.store.getDrill(crashed.id),
      r => /temporary database/.test(r.error ?? ''),
    );
    expect(d.error).toBe(
      `abandoned at step fetch: its backend instance drill-b stopped (taken over by drill-c); its temporary database ${crashed.databaseName} was dropped`,
    );
    expect(await databaseExists(crashed.databaseName)).toBe(false);
  });

  it('says so when it cannot drop the database (no drill connection configured)', async () => {
    const seed = await replica('seed');
    await seed.engine.stop();
    const crashed = await crashedDrill(seed.service, 'drill-e', `${RUN}-a`);
    const e = await started('drill-e', { drill: false });
    await e.engine.waitFor(crashed.id);
    expect((await e.service.store.getDrill(crashed.id)).error).toBe(
      `abandoned at step fetch: backend instance drill-e restarted while it ran; its temporary database ${crashed.databaseName} was not dropped (no shipshape.backup.drill.connection); drop it by hand`,
    );
    expect(await databaseExists(crashed.databaseName)).toBe(true);
    const db = admin();
    await db
      .raw('DROP DATABASE ?? WITH (FORCE)', [crashed.databaseName])
      .finally(() => db.destroy());
  });

  it('a backend shutting down stops its running drill: failed, database dropped, nothing left running', async () => {
    released = false;
    const f = await replica('drill-f');
    await verifiedBackup(f.service, `${RUN}-b`);
    const run = await f.service.startDrill({
      target: f.service.target(`${RUN}-b`),
      entityRef: `component:default/${RUN}-b`,
      requestedBy: 'user:default/owner-user',
    });
    await until(
      () => f.service.store.getDrill(run.record.id),
      d => d.step === 'fetch',
    );
    expect(await databaseExists(run.record.databaseName!)).toBe(true);
    await f.engine.stop(); // aborts the hanging fetch
    const d = await run.done;
    expect(d).toMatchObject({ status: 'failed', failedStep: 'fetch' });
    expect(d.error).toMatch(/\(the backend shut down while it ran\)$/);
    expect(await databaseExists(run.record.databaseName!)).toBe(false);
    expect(await f.engine.store.get(run.record.id)).toMatchObject({
      status: 'failed',
    });
  });

  it('the plugin does it at startup: a backend named drill-d by shipshape.operations.instanceName fails its drill', async () => {
    const seed = await replica('seed');
    await seed.engine.stop();
    const crashed = await crashedDrill(seed.service, 'drill-d', `${RUN}-b`);
    const backend = await startTestBackend({
      features: [
        shipshapePlugin,
        mockServices.database.factory({ knex }),
        mockServices.rootConfig.factory({
          data: {
            shipshape: {
              ...configData().shipshape,
              operations: { instanceName: 'drill-d' },
            },
          },
        }),
        catalogServiceMock.factory({ entities: [] }),
      ],
    });
    try {
      const d = await until(
        () => seed.service.store.getDrill(crashed.id),
        r => /temporary database/.test(r.error ?? ''),
      );
      expect(d).toMatchObject({ status: 'failed', failedStep: 'fetch' });
      expect(d.error).toBe(
        `abandoned at step fetch: backend instance drill-d restarted while it ran; its temporary database ${crashed.databaseName} was dropped`,
      );
      expect(await databaseExists(crashed.databaseName)).toBe(false);
    } finally {
      await backend.stop();
    }
  });
});
