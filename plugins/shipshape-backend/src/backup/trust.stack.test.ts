import {
  TestDatabases,
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { ConfigReader } from '@backstage/config';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { SHIPSHAPE_ANNOTATIONS } from '@shipshape/plugin-shipshape-common';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import fs from 'fs';
import { Knex } from 'knex';
import os from 'os';
import path from 'path';
import request from 'supertest';
import { connectDatabase } from '../database';
import { testEngine } from '../operations/__testUtils__/engine';
import { recordRun } from './__testUtils__/runs';
import { shipshapePlugin } from '../plugin';
import {
  readLocalStack,
  stackS3ClientConfig,
  stackS3Storage,
} from '@internal/shipshape-test-utils';
import { componentWith } from '../rollout/__testUtils__/api';
import { readBackupConfig } from './config';
import { countTables, pgClient } from './pg';
import { BackupService } from './service';
import { isVerified } from './store';
import { testBackupService } from './__testUtils__/service';

// The trust boundary of backups: an entity's backup-target annotation is a claim, the
// target's allowedEntities (app-config) decides; the drill role is CREATEDB only; readers
// without the backup permission see totals; retention keeps time tiers. Real PostgreSQL and
// S3 of the local stack.

jest.setTimeout(240_000);

const stack = readLocalStack();
const RUN = `tr${process.pid}x${Date.now().toString(36)}`;
const OWNER = 'user:default/owner-user';
const ROGUE = 'user:default/rogue-author';
const READER = 'user:default/reader';
const env = {
  pg: 'SHIPSHAPE_TEST_TRUST_PG',
  drill: 'SHIPSHAPE_TEST_TRUST_DRILL',
  su: 'SHIPSHAPE_TEST_TRUST_SU',
  s3Key: 'SHIPSHAPE_TEST_TRUST_S3_KEY',
  s3Secret: 'SHIPSHAPE_TEST_TRUST_S3_SECRET',
  wrong: 'SHIPSHAPE_TEST_TRUST_WRONG_PG',
};
process.env[env.pg] = stack.postgres.password;
process.env[env.drill] = stack.postgres.drillPassword;
process.env[env.su] = stack.postgres.superuserPassword;
process.env[env.s3Key] = stack.s3.accessKeyId;
process.env[env.s3Secret] = stack.s3.secretAccessKey;
process.env[env.wrong] = `not-${stack.postgres.password}`;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shipshape-trust-test-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const pg = (user: string, passwordEnv: string, database: string) => ({
  host: stack.postgres.host,
  port: stack.postgres.port,
  user,
  database,
  passwordEnv,
});
const prefix = `test/${RUN}/`;

function configData(over: { drillUser?: string; retention?: object } = {}) {
  const drill =
    over.drillUser === stack.postgres.superuser
      ? pg(stack.postgres.superuser, env.su, 'postgres')
      : pg(over.drillUser ?? stack.postgres.drillUser, env.drill, 'postgres');
  if (over.drillUser === stack.postgres.user) drill.passwordEnv = env.pg;
  return {
    shipshape: {
      backup: {
        binDir: stack.postgres.binDir,
        drill: { connection: drill },
        retention: over.retention ?? {
          keepLast: 1,
          keepDaily: 0,
          keepWeekly: 0,
          minAgeHours: 0,
        },
        targets: [
          {
            name: 'payments-db',
            connection: pg(stack.postgres.user, env.pg, 'payments'),
            allowedEntities: ['component:default/payments-api'],
            storage: stackS3Storage(prefix, env.s3Key, env.s3Secret),
          },
          {
            name: 'local-db',
            connection: pg(stack.postgres.user, env.pg, 'payments'),
            allowedEntities: ['component:default/payments-api'],
            storage: { type: 'local', directory: dir },
          },
          {
            // a failed dump's error names the host, port and user
            name: 'locked-db',
            connection: pg(stack.postgres.user, env.wrong, 'payments'),
            allowedEntities: ['component:default/payments-api'],
            storage: { type: 'local', directory: dir },
          },
        ],
      },
    },
  };
}

const serviceOf = (knex: Knex, data = configData()) =>
  testBackupService({
    config: readBackupConfig(new ConfigReader(data))!,
    knex,
  });

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
async function migrated(): Promise<Knex> {
  const knex = await databases.init('SQLITE_3');
  await connectDatabase({ getClient: async () => knex } as any);
  return knex;
}

/** Runs `fn` on a connection of the stack's PostgreSQL as the superuser (observation only). */
async function asSuperuser<T>(
  database: string,
  fn: (db: Knex) => Promise<T>,
): Promise<T> {
  const db = pgClient(
    pg(stack.postgres.superuser, env.su, database),
    stack.postgres.superuserPassword,
  );
  try {
    return await fn(db);
  } finally {
    await db.destroy();
  }
}

const drillDatabases = () =>
  asSuperuser('postgres', async db =>
    (
      await db.raw(
        `SELECT datname FROM pg_database WHERE datname LIKE 'shipshape\\_drill\\_%' ORDER BY 1`,
      )
    ).rows.map((r: any) => r.datname as string),
  );

/** A connection of the drill role to `database`, open until destroyed. */
async function connectedTo(database: string): Promise<Knex> {
  const db = pgClient(
    pg(stack.postgres.drillUser, env.drill, database),
    stack.postgres.drillPassword,
  );
  await db.raw('SELECT 1');
  return db;
}

/** A database as the drill role makes them (what a crashed drill leaves). */
async function drillRoleDatabase(name: string) {
  const db = pgClient(
    pg(stack.postgres.drillUser, env.drill, 'postgres'),
    stack.postgres.drillPassword,
  );
  try {
    await db.raw('CREATE DATABASE ??', [name]);
  } finally {
    await db.destroy();
  }
}

async function s3Keys(): Promise<string[]> {
  const client = new S3Client(stackS3ClientConfig());
  try {
    const res = await client.send(
      new ListObjectsV2Command({ Bucket: stack.s3.bucket, Prefix: prefix }),
    );
    return (res.Contents ?? []).map(o => o.Key!).sort();
  } finally {
    client.destroy();
  }
}

function component(name: string, target: string): Entity {
  return componentWith(name, {
    [SHIPSHAPE_ANNOTATIONS.backupTarget.name]: target,
  });
}

/** The real plugin on `knex`, with `entities` in the catalog; OWNER and ROGUE may run backups. */
async function backend(
  knex: Knex,
  entities: Entity[],
  data = configData(),
  extra: any[] = [],
) {
  return startTestBackend({
    features: [
      ...extra,
      shipshapePlugin,
      mockServices.database.factory({ knex }),
      mockServices.rootConfig.factory({ data }),
      mockServices.permissions.mock({
        authorize: async (requests, { credentials }) =>
          requests.map(() => ({
            result: [OWNER, ROGUE].includes(
              (credentials.principal as any).userEntityRef,
            )
              ? AuthorizeResult.ALLOW
              : AuthorizeResult.DENY,
          })),
      }).factory,
      catalogServiceMock.factory({ entities }),
    ],
  });
}

const as = (user: string) => mockCredentials.user.header(user);
const base = '/api/shipshape/entities/component/default';

describe('a rogue entity naming payments-db', () => {
  let knex: Knex;
  let server: any;
  let stop: () => Promise<void>;
  let service: BackupService;
  let existing: Awaited<ReturnType<typeof takeBackup>>;
  const held = `shipshape_drill_${RUN}_held`;
  let restore: Knex | undefined;
  const leftover = `shipshape_drill_${RUN}_leftover`;

  const takeBackup = async () =>
    (
      await service.startBackup({
        target: service.target('payments-db'),
        entityRef: 'component:default/payments-api',
        requestedBy: OWNER,
      })
    ).done;

  beforeAll(async () => {
    knex = await migrated();
    service = serviceOf(knex);
    existing = await takeBackup();
    if (!isVerified(existing)) {
      throw new Error(`the setup backup failed: ${existing.error}`);
    }
    // a drill running on another replica holds its database; a crash left another
    await recordRun(knex, {
      id: `${RUN}-running-drill`,
      kind: 'restore-drill',
      target: 'payments-db',
      entityRef: 'component:default/payments-api',
      requestedBy: OWNER,
    });
    await service.store.startDrill({
      id: `${RUN}-running-drill`,
      backupId: existing.id,
      target: 'payments-db',
      databaseName: held,
      step: 'restore',
    });
    await drillRoleDatabase(held);
    await drillRoleDatabase(leftover);
    // the restore's connection (which also keeps other test processes' sweeps off it)
    restore = await connectedTo(held);
    const b = await backend(knex, [
      component('payments-api', 'payments-db'),
      component('rogue', 'payments-db'),
    ]);
    server = b.server;
    stop = () => b.stop();
  });
  afterAll(async () => {
    await stop?.();
    await restore?.destroy();
    await asSuperuser('postgres', db =>
      db.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [held]),
    );
  });

  it('the plugin start swept the leftover drill database, not the held one', async () => {
    const dbs = await drillDatabases();
    expect(dbs).not.toContain(leftover);
    expect(dbs).toContain(held);
  });

  it('refuses its backup, drill and retention with 403 and the reason; nothing changes', async () => {
    const before = {
      records: await service.store.list('payments-db'),
      drills: await service.store.drills('payments-db'),
      keys: await s3Keys(),
      rows: await asSuperuser('payments', countTables),
      drillDbs: await drillDatabases(),
      operations: await knex('shipshape_operations').select('id', 'status'),
    };
    expect(before.keys).toContain(`${prefix}${existing.storageKey}`);
    const reason =
      "component:default/rogue may not use backup target 'payments-db': only component:default/payments-api may (app-config shipshape.backup.targets[name=payments-db].allowedEntities); an entity's backup-target annotation is a claim, an admin adds the entity to shipshape.backup.targets[name=payments-db].allowedEntities";
    // a backup (whose retention, keepLast 1, would push the existing one out)
    for (const body of [{}, { reason: 'push it out', dryRun: false }]) {
      const res = await request(server)
        .post(`${base}/rogue/backups`)
        .set('Authorization', as(ROGUE))
        .send(body);
      expect(res.status).toBe(403);
      expect(res.body.error).toMatchObject({
        name: 'NotAllowedError',
        message: reason,
      });
    }
    const drill = await request(server)
      .post(`${base}/rogue/restore-drills`)
      .set('Authorization', as(ROGUE))
      .send({ backupId: existing.id });
    expect(drill.status).toBe(403);
    expect(drill.body.error.message).toBe(reason);
    // nor may it read the target's history
    for (const url of [
      `${base}/rogue/backups`,
      `${base}/rogue/backups/${existing.id}`,
    ]) {
      const read = await request(server)
        .get(url)
        .set('Authorization', as(ROGUE));
      expect(read.status).toBe(403);
      expect(read.body.error.message).toBe(reason);
    }
    // the service itself refuses it too (what a scheduled drill or a script would call)
    await expect(
      service.startBackup({
        target: service.target('payments-db'),
        entityRef: 'component:default/rogue',
        requestedBy: ROGUE,
      }),
    ).rejects.toThrow(reason);
    await expect(
      service.startDrill({
        target: service.target('payments-db'),
        entityRef: 'component:default/rogue',
        requestedBy: ROGUE,
      }),
    ).rejects.toThrow(reason);
    await new Promise(r => setTimeout(r, 500));
    expect(await service.store.list('payments-db')).toEqual(before.records);
    expect(await service.store.drills('payments-db')).toEqual(before.drills);
    expect(await s3Keys()).toEqual(before.keys);
    expect(await asSuperuser('payments', countTables)).toEqual(before.rows);
    expect(await drillDatabases()).toEqual(before.drillDbs);
    expect(await knex('shipshape_operations').select('id', 'status')).toEqual(
      before.operations,
    );
  });

  it('refuses the real owner too while the rogue claims the target, naming both (409)', async () => {
    const res = await request(server)
      .post(`${base}/payments-api/backups`)
      .set('Authorization', as(OWNER))
      .send({});
    expect(res.status).toBe(409);
    expect(res.body.error.message).toBe(
      "Backup target 'payments-db' is claimed by component:default/payments-api and also by component:default/rogue (shipshape.dev/backup-target); refusing until one entity claims it: remove the annotation from the others, or list them in shipshape.backup.targets[name=payments-db].allowedEntities",
    );
    expect(await s3Keys()).toEqual([`${prefix}${existing.storageKey}`]);
  });

  it('gives a reader without the backup permission totals, not table names, keys or hosts', async () => {
    const full = await request(server)
      .get(`${base}/payments-api/backups`)
      .set('Authorization', as(OWNER));
    expect(full.status).toBe(200);
    expect(full.body.items[0].tables.length).toBeGreaterThan(0);
    const res = await request(server)
      .get(`${base}/payments-api/backups`)
      .set('Authorization', as(READER));
    expect(res.status).toBe(200);
    const [item] = res.body.items;
    expect(item).toMatchObject({
      id: existing.id,
      status: 'succeeded',
      verifiedAt: existing.verifiedAt,
      sizeBytes: existing.sizeBytes,
      tableCount: existing.tables!.length,
      rowCount: existing.tables!.reduce((n, t) => n + t.rows, 0),
      redacted: true,
    });
    expect(item.drills[0]).toMatchObject({ status: 'running', redacted: true });
    const text = JSON.stringify(res.body);
    for (const secret of [
      existing.storageKey,
      existing.sha256!,
      'public.orders',
      'orders',
      stack.postgres.host,
      held,
    ]) {
      expect(text).not.toContain(secret);
    }
    // the backup's operation log, which anyone who sees the entity may read
    const log = (await testEngine(knex).store.getLog(existing.id))
      .map(l => l.message)
      .join('\n');
    expect(log).toMatch(/^Dumping payments-db \(pg_dump -Fc\) to s3:\/\/…$/m);
    for (const secret of [
      stack.postgres.host,
      stack.s3.bucket,
      stack.s3.endpoint,
      prefix,
    ]) {
      expect(log).not.toContain(secret);
    }
    const one = await request(server)
      .get(`${base}/payments-api/backups/${existing.id}`)
      .set('Authorization', as(READER));
    expect(one.body).toMatchObject({
      redacted: true,
      tableCount: existing.tables!.length,
    });
    expect(one.body.tables).toBeUndefined();
    expect(one.body.storageKey).toBeUndefined();
  });

  it("gives such a reader an operation's status and step, not its outcome text, input or log", async () => {
    const started = await service.startBackup({
      target: service.target('locked-db'),
      entityRef: 'component:default/payments-api',
      requestedBy: OWNER,
    });
    const failed = await started.done;
    expect(failed).toMatchObject({
      status: 'failed',
      failedStep: 'dump',
    });
    const user = stack.postgres.user;
    const secrets = [
      stack.postgres.host,
      `:${stack.postgres.port}`,
      ` as ${user}`,
      `user "${user}"`,
      existing.sha256!,
      existing.storageKey,
      dir,
      prefix,
    ];
    const get = (url: string, who: string) =>
      request(server).get(`/api/shipshape${url}`).set('Authorization', as(who));
    const urls = [
      `/entities/component/default/payments-api/operations?limit=100`,
      ...[failed.id, existing.id].flatMap(id => [
        `/operations/${id}`,
        `/operations/${id}/log`,
      ]),
    ];
    // the owner (who may run backups) sees the full text, so these are there to be found
    const owner = await Promise.all(urls.map(u => get(u, OWNER)));
    const ownerText = JSON.stringify(owner.map(r => r.body));
    expect(ownerText).toContain(`sha256 ${existing.sha256}`);
    expect(ownerText).toContain(` as ${user}`);
    const reader = await Promise.all(urls.map(u => get(u, READER)));
    expect(reader.map(r => r.status)).toEqual(urls.map(() => 200));
    const readerText = JSON.stringify(reader.map(r => r.body));
    for (const secret of secrets) expect(readerText).not.toContain(secret);
    const [list, one, log, verified] = reader.map(r => r.body);
    const byId = (id: string) => list.items.find((o: any) => o.id === id);
    const withheld =
      '(the details and the log are shown to those who may run backups of component:default/payments-api)';
    expect(byId(failed.id)).toMatchObject({
      status: 'failed',
      outcomeReason: `failed at dump ${withheld}`,
      result: { failedStep: 'dump' },
    });
    expect(byId(failed.id).input).toEqual({
      target: 'locked-db',
      method: 'pg_dump',
    });
    expect(byId(existing.id).outcomeReason).toBe(`succeeded ${withheld}`);
    expect(one).toMatchObject({ status: 'failed', log: [] });
    expect(log).toMatchObject({ status: 'failed', done: true, lines: [] });
    expect(verified.outcomeReason).toBe(`succeeded ${withheld}`);
  });
});

describe('the drill connection', () => {
  it('a superuser is refused at start, with the reason', async () => {
    const knex = await migrated();
    await expect(
      backend(knex, [], configData({ drillUser: stack.postgres.superuser })),
    ).rejects.toThrow(
      `Refusing shipshape.backup.drill.connection (database postgres on ${stack.postgres.host}:${stack.postgres.port} as ${stack.postgres.superuser}): role ${stack.postgres.superuser} is a superuser, has CREATEROLE, has REPLICATION, has BYPASSRLS; restore drills run a backup's functions (CHECK constraints, index expressions) as this role, so it must have CREATEDB and nothing more`,
    );
  });

  it('a role without CREATEDB is refused at start and by a drill', async () => {
    const knex = await migrated();
    const service = serviceOf(
      knex,
      configData({ drillUser: stack.postgres.user }),
    );
    await expect(service.start()).rejects.toThrow(
      `role ${stack.postgres.user} lacks CREATEDB`,
    );
    const target = service.target('local-db');
    const by = {
      entityRef: 'component:default/payments-api',
      requestedBy: OWNER,
    };
    const backup = await (await service.startBackup({ target, ...by })).done;
    expect(isVerified(backup)).toBe(true);
    const drill = await (await service.startDrill({ target, ...by })).done;
    expect(drill).toMatchObject({
      status: 'failed',
      failedStep: 'create-database',
    });
    expect(drill.error).toMatch(
      `shipshape.backup.drill.connection: role ${stack.postgres.user} lacks CREATEDB; restore drills run`,
    );
  });

  it("the stack's drill role passes; a sweep drops only the drill role's databases no drill holds", async () => {
    const knex = await migrated();
    const service = serviceOf(knex);
    await service.start();
    const name = (what: string) => `shipshape_drill_${RUN}_${what}`;
    for (const what of ['left', 'recorded', 'busy']) {
      await drillRoleDatabase(name(what));
    }
    // a drill of this portal is running (on another replica) in 'recorded'
    const backup = (await service.store.verified('local-db'))[0];
    await recordRun(knex, {
      id: `${RUN}-recorded`,
      kind: 'restore-drill',
      target: 'local-db',
      entityRef: 'component:default/payments-api',
      requestedBy: OWNER,
    });
    await service.store.startDrill({
      id: `${RUN}-recorded`,
      backupId: backup?.id ?? 'none',
      target: 'local-db',
      databaseName: name('recorded'),
      step: 'restore',
    });
    // someone is connected to 'busy' (a drill of another portal sharing the drill server)
    const busy = await connectedTo(name('busy'));
    // the superuser's own database of that name pattern is not the drill role's to drop
    await asSuperuser('postgres', db =>
      db.raw('CREATE DATABASE ??', [name('su')]),
    );
    try {
      const swept = await service.sweepDrillDatabases();
      expect(swept).toContain(name('left'));
      for (const kept of ['recorded', 'busy', 'su']) {
        expect(swept).not.toContain(name(kept));
      }
      expect(await drillDatabases()).not.toContain(name('left'));
    } finally {
      await busy.destroy();
      for (const what of ['recorded', 'busy', 'su']) {
        await asSuperuser('postgres', db =>
          db.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [name(what)]),
        );
      }
    }
  });
});

describe('the scheduled sweep', () => {
  it('runs on the plugin scheduler and drops what a crash left', async () => {
    const scheduler = mockServices.scheduler.mock();
    const b = await backend(await migrated(), [], configData(), [
      scheduler.factory,
    ]);
    try {
      const task = scheduler.scheduleTask.mock.calls
        .map(([t]) => t)
        .find(t => t.id === 'shipshape-backup-drill-sweep')!;
      expect(task).toMatchObject({
        frequency: { minutes: 60 },
        initialDelay: { minutes: 60 },
      });
      const name = `shipshape_drill_${RUN}_crashed`;
      await drillRoleDatabase(name);
      await task.fn(new AbortController().signal);
      expect(await drillDatabases()).not.toContain(name);
    } finally {
      await b.stop();
    }
  });
});

describe('retention on real backups', () => {
  it('a burst of backups keeps the daily, weekly and monthly restore points', async () => {
    const knex = await migrated();
    const retention = {
      keepLast: 2,
      keepDaily: 3,
      keepWeekly: 2,
      keepMonthly: 3,
      minAgeHours: 1,
      maxAgeDays: 60,
    };
    const service = serviceOf(knex, configData({ retention }));
    const target = service.target('local-db');
    const take = async () =>
      (
        await service.startBackup({
          target,
          entityRef: 'component:default/payments-api',
          requestedBy: OWNER,
        })
      ).done;
    const DAY = 86_400_000;
    const today = Math.floor(Date.now() / DAY) * DAY;
    const history: Record<string, number> = {
      yesterday: today - DAY / 2,
      lastWeek: today - 8 * DAY + DAY / 2,
      october: today - 40 * DAY + DAY / 2,
    };
    const ids: Record<string, string> = {};
    for (const [name, at] of Object.entries(history)) {
      const b = await take();
      expect(b).toMatchObject({
        status: 'succeeded',
        verifiedAt: expect.any(String),
      });
      ids[name] = b.id;
      await knex('shipshape_backups')
        .where({ operation_id: b.id })
        .update({ taken_at: new Date(at) });
    }
    const burst = [];
    for (let i = 0; i < 4; i++) burst.push(await take());
    const exists = (id: string) =>
      service.store
        .get(id)
        .then(
          b => isVerified(b) && fs.existsSync(path.join(dir, b.storageKey)),
        );
    // the burst is younger than minAgeHours: all of it and all history stay
    for (const id of [...Object.values(ids), ...burst.map(b => b.id)]) {
      expect(await exists(id)).toBe(true);
    }
    // an hour later (minAgeHours 0 here), and with maxAgeDays 30
    const later = serviceOf(
      knex,
      configData({
        retention: { ...retention, minAgeHours: 0, maxAgeDays: 30 },
      }),
    );
    const deleted = await later.applyRetention(later.target('local-db'));
    expect(deleted).toEqual([burst[1].id, burst[0].id, ids.october]);
    for (const id of [burst[3].id, burst[2].id, ids.yesterday, ids.lastWeek]) {
      expect(await exists(id)).toBe(true);
    }
    for (const id of deleted) {
      expect(await service.store.get(id)).toMatchObject({
        status: 'succeeded',
        deletedAt: expect.any(String),
      });
      expect(await exists(id)).toBe(false);
    }
  });
});
