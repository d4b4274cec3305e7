import {
  TestDatabases,
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { ConflictError } from '@backstage/errors';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { SHIPSHAPE_ANNOTATIONS } from '@shipshape/plugin-shipshape-common';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import fs from 'fs';
import { Knex } from 'knex';
import net from 'net';
import os from 'os';
import path from 'path';
import request from 'supertest';
import YAML from 'yaml';
import { connectDatabase } from '../database';
import { shipshapePlugin } from '../plugin';
import {
  readLocalStack,
  stackDrillConnection,
  stackPaymentsConnection,
  stackS3ClientConfig,
  stackS3Storage,
} from '@internal/shipshape-test-utils';
import { componentWith } from '../rollout/__testUtils__/api';
import { BackupTarget, readBackupConfig, targetOfEntity } from './config';
import { countTables, pgClient } from './pg';
import { testEngine } from '../operations/__testUtils__/engine';
import { BackupService } from './service';
import { testBackupService } from './__testUtils__/service';

jest.setTimeout(240_000);

const stack = readLocalStack();
const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
const PW_ENV = 'SHIPSHAPE_TEST_BACKUP_PG_PASSWORD';
const SU_ENV = 'SHIPSHAPE_TEST_BACKUP_PG_SUPERUSER_PASSWORD';
const DRILL_ENV = 'SHIPSHAPE_TEST_BACKUP_PG_DRILL_PASSWORD';
const WRONG_ENV = 'SHIPSHAPE_TEST_BACKUP_WRONG_PASSWORD';
const WRONG_PASSWORD = 'wrong-Secret-9f8e7d6c5b4a';
process.env[PW_ENV] = stack.postgres.password;
process.env[SU_ENV] = stack.postgres.superuserPassword;
process.env[DRILL_ENV] = stack.postgres.drillPassword;
process.env[WRONG_ENV] = WRONG_PASSWORD;
process.env.SHIPSHAPE_TEST_S3_KEY = stack.s3.accessKeyId;
process.env.SHIPSHAPE_TEST_S3_SECRET = stack.s3.secretAccessKey;

const RUN = `t${process.pid}-${Date.now()}`;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shipshape-backup-test-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const connection = (passwordEnv = PW_ENV) =>
  stackPaymentsConnection(passwordEnv);
const s3 = (over: Record<string, unknown> = {}) => ({
  ...stackS3Storage(
    `test/${RUN}/`,
    'SHIPSHAPE_TEST_S3_KEY',
    'SHIPSHAPE_TEST_S3_SECRET',
  ),
  ...over,
});

/** The entities the tests' targets serve (allowedEntities). */
const ALLOWED = ['component:default/payments-api', 'component:default/p'];

function configData(localDir: string) {
  return {
    shipshape: {
      backup: {
        binDir: stack.postgres.binDir,
        storage: { type: 'local', directory: localDir },
        // count only: the time tiers have their own test (trust.stack.test.ts)
        retention: {
          keepLast: 2,
          keepDaily: 0,
          keepWeekly: 0,
          minAgeHours: 0,
          maxAgeDays: 30,
        },
        drill: {
          connection: stackDrillConnection(DRILL_ENV),
        },
        targets: [
          { name: 'payments-db', connection: connection() },
          { name: 'payments-s3', connection: connection(), storage: s3() },
          {
            name: 'closed-port',
            connection: connection(),
            storage: s3({ endpoint: 'http://127.0.0.1:1' }),
          },
          {
            name: 'no-bucket',
            connection: connection(),
            storage: s3({ bucket: `no-such-bucket-${process.pid}` }),
          },
          { name: 'wrong-password', connection: connection(WRONG_ENV) },
          {
            name: 'unreachable-db',
            connection: { ...connection(), port: closedPort() },
          },
        ].map(t => ({ ...t, allowedEntities: ALLOWED })),
      },
    },
  };
}

/** A loopback port nothing listens on (bound, then released). */
function closedPort(): number {
  return Number(
    execFileSync(process.execPath, [
      '-e',
      "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})",
    ]).toString(),
  );
}

function serviceFor(
  knex: Knex,
  localDir: string,
  logger = mockServices.logger.mock(),
  adjust: (data: ReturnType<typeof configData>) => void = () => {},
) {
  const data = configData(localDir);
  adjust(data);
  const cfg = readBackupConfig(new ConfigReader(data))!;
  return testBackupService({ config: cfg, knex, logger });
}

/** A backup of the target (a name, or a target already looked up), run to its end. */
async function backUp(service: BackupService, target: string | BackupTarget) {
  const { done } = await service.startBackup({
    target: typeof target === 'string' ? service.target(target) : target,
    entityRef: 'component:default/payments-api',
    requestedBy: 'user:default/owner',
  });
  return done;
}

/** A restore drill of the target's newest verified backup (or `backupId`), run to its end. */
async function drillOf(
  service: BackupService,
  target: string | BackupTarget,
  backupId?: string,
) {
  const { done } = await service.startDrill({
    target: typeof target === 'string' ? service.target(target) : target,
    entityRef: 'component:default/payments-api',
    requestedBy: 'user:default/owner',
    backupId,
  });
  return done;
}

async function migrated(databaseId: any): Promise<Knex> {
  const knex = await databases.init(databaseId);
  await connectDatabase({ getClient: async () => knex } as any);
  return knex;
}

async function paymentsCounts() {
  const db = pgClient(connection(), stack.postgres.password);
  try {
    return await countTables(db);
  } finally {
    await db.destroy();
  }
}

async function drillDatabases(): Promise<string[]> {
  const db = pgClient(
    {
      ...connection(SU_ENV),
      user: stack.postgres.superuser,
      database: 'postgres',
    },
    stack.postgres.superuserPassword,
  );
  try {
    const { rows } = await db.raw(
      `SELECT datname FROM pg_database WHERE datname LIKE 'shipshape\\_drill\\_%'`,
    );
    return rows.map((r: any) => r.datname);
  } finally {
    await db.destroy();
  }
}

async function s3Keys(prefix: string): Promise<string[]> {
  const client = new S3Client(stackS3ClientConfig());
  const res = await client.send(
    new ListObjectsV2Command({ Bucket: stack.s3.bucket, Prefix: prefix }),
  );
  return (res.Contents ?? []).map(o => o.Key!);
}

describe('backup targets from app-config', () => {
  const cfg = readBackupConfig(new ConfigReader(configData(dir)))!;
  /** shipshape.backup with local storage and these `targets`. */
  const withTargets = (targets: object[]) =>
    readBackupConfig(
      new ConfigReader({
        shipshape: {
          backup: { storage: { type: 'local', directory: dir }, targets },
        },
      }),
    );
  const name = SHIPSHAPE_ANNOTATIONS.backupTarget.name;

  it('resolves the annotation to a configured target', () => {
    expect(
      targetOfEntity(cfg, 'component:default/payments-api', {
        [name]: 'payments-db',
      }).name,
    ).toBe('payments-db');
  });

  it('refuses an entity the target does not list, naming the key to set', () => {
    expect(() =>
      targetOfEntity(cfg, 'component:default/rogue', { [name]: 'payments-db' }),
    ).toThrow(
      "component:default/rogue may not use backup target 'payments-db': only component:default/payments-api, component:default/p may (app-config shipshape.backup.targets[name=payments-db].allowedEntities); an entity's backup-target annotation is a claim, an admin adds the entity to shipshape.backup.targets[name=payments-db].allowedEntities",
    );
    const open = withTargets([{ name: 'open-db', connection: connection() }])!;
    expect(() =>
      targetOfEntity(open, 'component:default/payments-api', {
        [name]: 'open-db',
      }),
    ).toThrow(
      "component:default/payments-api may not use backup target 'open-db': no entity may until an admin lists it in app-config shipshape.backup.targets[name=open-db].allowedEntities",
    );
    expect(() =>
      withTargets([
        {
          name: 'x',
          connection: connection(),
          allowedEntities: ['component:'],
        },
      ]),
    ).toThrow(
      /shipshape.backup.targets\[0\].allowedEntities\[0\]: 'component:' is not an entity ref/,
    );
  });

  it('refuses a connection string in the annotation, without echoing it', () => {
    const raw = 'postgresql://u:hunter2@db:5432/payments';
    expect(() =>
      targetOfEntity(cfg, 'component:default/x', { [name]: raw }),
    ).toThrow(/not a connection string or credential/);
    let message = '';
    try {
      targetOfEntity(cfg, 'component:default/x', { [name]: raw });
    } catch (e: any) {
      message = e.message;
    }
    expect(message).toMatch(/backup-target/);
    expect(message).not.toContain('hunter2');
  });

  it('names the configured targets when the annotation names an unknown one', () => {
    expect(() =>
      targetOfEntity(cfg, 'component:default/x', { [name]: 'nope-db' }),
    ).toThrow(
      "component:default/x names backup target 'nope-db' in shipshape.dev/backup-target, which is not in app-config shipshape.backup.targets (configured: payments-db, payments-s3, closed-port, no-bucket, wrong-password, unreachable-db)",
    );
    expect(() => targetOfEntity(cfg, 'component:default/x', {})).toThrow(
      /has no shipshape.dev\/backup-target annotation/,
    );
  });

  it("reads the local stack's generated shipshape.backup section", () => {
    const data = YAML.parse(
      fs.readFileSync(
        path.join(stack.stateDir, 'app-config.stack.yaml'),
        'utf8',
      ),
    );
    const stackCfg = readBackupConfig(new ConfigReader(data))!;
    expect([...stackCfg.targets.keys()]).toEqual([
      'payments-db',
      'orders-db',
      'legacy-billing-db',
    ]);
    expect(stackCfg.targets.get('payments-db')).toMatchObject({
      connection: { database: 'payments', passwordEnv: 'STACK_PG_PASSWORD' },
      storage: { type: 's3', bucket: stack.s3.bucket },
    });
    expect(stackCfg.drillConnection?.user).toBe(stack.postgres.drillUser);
    expect(stackCfg.targets.get('payments-db')?.allowedEntities).toEqual([
      'component:default/payments-api',
    ]);
  });

  it('refuses a password written into the config', () => {
    expect(() =>
      withTargets([
        {
          name: 'x',
          connection: { host: 'h', user: 'u', password: 'p' },
        },
      ]),
    ).toThrow(
      /shipshape.backup.targets\[0\].connection: put the password in an environment variable/,
    );
  });
});

/**
 * Runs `use` with a fresh database on the stack's PostgreSQL, created as the superuser and
 * dropped after: its connection (for a target) and a client to fill it.
 */
async function withScratchDatabase(
  name: string,
  use: (conn: ReturnType<typeof connection>, db: Knex) => Promise<void>,
) {
  const su = {
    ...connection(SU_ENV),
    user: stack.postgres.superuser,
    database: 'postgres',
  };
  const conn = { ...su, database: `shipshape_test_${name}_${process.pid}` };
  const admin = pgClient(su, stack.postgres.superuserPassword);
  const drop = () =>
    admin.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [conn.database]);
  await drop();
  await admin.raw('CREATE DATABASE ??', [conn.database]);
  const db = pgClient(conn, stack.postgres.superuserPassword);
  try {
    await use(conn, db);
  } finally {
    await db.destroy();
    await drop();
    await admin.destroy();
  }
}

describe('backup and restore drill on the local stack', () => {
  it.each(databases.eachSupportedId())(
    'round trip to local storage with matching row counts, records on %p',
    async databaseId => {
      const localDir = fs.mkdtempSync(path.join(dir, 'local-'));
      const service = serviceFor(await migrated(databaseId), localDir);
      const target = service.target('payments-db');
      const before = await paymentsCounts();
      const { record, done } = await service.startBackup({
        target,
        entityRef: 'component:default/payments-api',
        requestedBy: 'user:default/owner',
        reason: 'test',
      });
      expect(record.status).toBe('running');
      const b = await done;
      expect(b).toMatchObject({
        status: 'succeeded',
        verifiedAt: expect.any(String),
        target: 'payments-db',
        requestedBy: 'user:default/owner',
        reason: 'test',
        storageType: 'local',
      });
      expect(b.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(b.tables).toEqual(before);
      expect(b.tables!.length).toBeGreaterThanOrEqual(5);
      const file = path.join(localDir, b.storageKey);
      expect(fs.statSync(file).size).toBe(b.sizeBytes);
      expect(fs.existsSync(`${file}.partial`)).toBe(false);

      const drill = await drillOf(service, target);
      expect(drill).toMatchObject({ status: 'succeeded', backupId: b.id });
      expect(drill.restoreMs).toBeGreaterThan(0);
      expect(drill.backupAgeSeconds).toBeGreaterThanOrEqual(0);
      expect(drill.comparison!.every(c => c.ok)).toBe(true);
      expect(drill.comparison!.map(c => c.restoredRows)).toEqual(
        before.map(t => t.rows),
      );
      // its own database (other test files' drills may run at the same time)
      expect(await drillDatabases()).not.toContain(drill.databaseName);
    },
  );

  it('round trip to S3 (Upload to a .partial key, then copied)', async () => {
    const service = serviceFor(await migrated('SQLITE_3'), dir);
    const target = service.target('payments-s3');
    const b = await backUp(service, target);
    expect(b).toMatchObject({
      status: 'succeeded',
      verifiedAt: expect.any(String),
    });
    expect(await s3Keys(`test/${RUN}/payments-s3/`)).toEqual([
      `test/${RUN}/${b.storageKey}`,
    ]);
    const drill = await drillOf(service, target, b.id);
    expect(drill.status).toBe('succeeded');
    expect(drill.comparison!.every(c => c.ok)).toBe(true);
  });

  it('a dump bigger than one part goes through a real S3 multipart upload and restores', async () => {
    await withScratchDatabase('mp', async (conn, db) => {
      // ~20 MB of hex text: well over one 8 MiB part even after -Fc compression.
      await db.raw(
        `CREATE TABLE big AS SELECT g AS id, md5(random()::text) || md5(random()::text) AS v FROM generate_series(1, 400000) g`,
      );
      const service = serviceFor(
        await migrated('SQLITE_3'),
        dir,
        undefined,
        data =>
          data.shipshape.backup.targets.push({
            name: 'big-s3',
            connection: conn,
            storage: s3(),
            allowedEntities: ALLOWED,
          } as any),
      );
      const target = service.target('big-s3');
      const b = await backUp(service, target);
      expect(`${b.status} ${b.error ?? ''}`).toBe('succeeded ');
      expect(b.verifiedAt).toBeDefined();
      expect(b.sizeBytes!).toBeGreaterThan(8 * 1024 * 1024);
      expect(b.tables).toEqual([
        { schema: 'public', table: 'big', rows: 400000 },
      ]);
      const drill = await drillOf(service, target);
      expect(drill.status).toBe('succeeded');
    });
  });

  it('a partitioned table verifies and drills: its partitions are counted, not the parent', async () => {
    await withScratchDatabase('part', async (conn, db) => {
      await db.raw(
        `CREATE TABLE events (id int, at date) PARTITION BY RANGE (at);
         CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
         CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
         INSERT INTO events SELECT g, date '2025-06-01' + (g % 400) FROM generate_series(1, 1000) g;`,
      );
      const localDir = fs.mkdtempSync(path.join(dir, 'part-'));
      const service = serviceFor(
        await migrated('SQLITE_3'),
        localDir,
        undefined,
        data =>
          data.shipshape.backup.targets.push({
            name: 'partitioned',
            connection: conn,
            allowedEntities: ALLOWED,
          } as any),
      );
      const target = service.target('partitioned');
      const b = await backUp(service, target);
      expect(`${b.status} ${b.error ?? ''}`).toBe('succeeded ');
      expect(b.verifiedAt).toBeDefined();
      // 2025-06-01 + 0..399 days: 214 rows fall in 2025, the rest in 2026
      const in2025 = Array.from(
        { length: 1000 },
        (_, i) => (i + 1) % 400,
      ).filter(d => d < 214).length;
      expect(b.tables).toEqual([
        { schema: 'public', table: 'events_2025', rows: in2025 },
        { schema: 'public', table: 'events_2026', rows: 1000 - in2025 },
      ]);
      const drill = await drillOf(service, target);
      expect(drill.status).toBe('succeeded');
      expect(drill.comparison!.every(c => c.ok)).toBe(true);
    });
  });

  it('a store that accepts the connection and never answers fails the upload within its deadline; the target is free again', async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer(sock => {
      sockets.add(sock); // reads the request, never answers
    });
    await new Promise<void>(r => silent.listen(0, '127.0.0.1', r));
    try {
      const { port } = silent.address() as net.AddressInfo;
      const service = serviceFor(
        await migrated('SQLITE_3'),
        dir,
        undefined,
        data =>
          data.shipshape.backup.targets.push({
            name: 'silent-s3',
            connection: connection(),
            storage: {
              ...s3({ endpoint: `http://127.0.0.1:${port}` }),
              requestTimeoutSeconds: 1,
            },
            allowedEntities: ALLOWED,
          } as any),
      );
      const t0 = Date.now();
      const b = await backUp(service, 'silent-s3');
      expect(b).toMatchObject({ status: 'failed', failedStep: 'upload' });
      expect(b.error).toMatch(/storing s3:\/\/.* failed/);
      // two attempts of a 1 s deadline, not forever
      expect(Date.now() - t0).toBeLessThan(30_000);
      // the engine freed the target: the next run starts (and fails the same way)
      expect((await backUp(service, 'silent-s3')).status).toBe('failed');
    } finally {
      for (const sock of sockets) sock.destroy();
      silent.close();
    }
  });

  it('a table locked by someone else fails the dump at the statement deadline, naming it; the next backup runs', async () => {
    await withScratchDatabase('lock', async (conn, db) => {
      await db.raw(
        'CREATE TABLE orders AS SELECT g AS id FROM generate_series(1, 100) g',
      );
      const service = serviceFor(
        await migrated('SQLITE_3'),
        dir,
        undefined,
        data => {
          (data.shipshape.backup as any).timeouts = {
            statementSeconds: 2,
            lockWaitSeconds: 1,
          };
          data.shipshape.backup.targets.push({
            name: 'locked-db',
            connection: conn,
            allowedEntities: ALLOWED,
          } as any);
        },
      );
      // a migration holding the table: ACCESS EXCLUSIVE until its transaction ends
      const trx = await db.transaction();
      await trx.raw('LOCK TABLE orders IN ACCESS EXCLUSIVE MODE');
      const t0 = Date.now();
      const locked = await backUp(service, 'locked-db');
      expect(locked).toMatchObject({ status: 'failed', failedStep: 'dump' });
      expect(locked.error).toMatch(/statement timeout/);
      expect(Date.now() - t0).toBeLessThan(20_000);
      await trx.rollback();
      const after = await backUp(service, 'locked-db');
      expect(`${after.status} ${after.error ?? ''}`).toBe('succeeded ');
      expect(after.verifiedAt).toBeDefined();
    });
  });

  it.each([
    ['closed-port', /storing s3:\/\/.* failed/],
    ['no-bucket', /storing s3:\/\/no-such-bucket-.* failed/],
  ])(
    'storage failing (%s) leaves no object and names the upload step',
    async (name, message) => {
      const service = serviceFor(await migrated('SQLITE_3'), dir);
      const b = await backUp(service, name);
      expect(b).toMatchObject({ status: 'failed', failedStep: 'upload' });
      expect(b.error).toMatch(message);
      if (name === 'no-bucket') return;
      expect(await s3Keys(`test/${RUN}/${name}/`)).toEqual([]);
    },
  );

  it('a wrong password fails the dump step with a clear error and never shows the password', async () => {
    const logger = mockServices.logger.mock();
    const localDir = fs.mkdtempSync(path.join(dir, 'wrong-'));
    const service = serviceFor(await migrated('SQLITE_3'), localDir, logger);
    const b = await backUp(service, 'wrong-password');
    expect(b).toMatchObject({ status: 'failed', failedStep: 'dump' });
    expect(b.error).toMatch(
      /password authentication failed for user "shipshape"/,
    );
    const logged = JSON.stringify([
      ...(logger.info as jest.Mock).mock.calls,
      ...(logger.warn as jest.Mock).mock.calls,
      ...(logger.error as jest.Mock).mock.calls,
    ]);
    expect(logged).toContain('password authentication failed');
    expect(logged).not.toContain(WRONG_PASSWORD);
    expect(JSON.stringify(b)).not.toContain(WRONG_PASSWORD);
    expect(
      fs
        .readdirSync(localDir, { recursive: true } as any)
        .filter(
          (f: any) =>
            String(f).endsWith('.dump') || String(f).endsWith('.partial'),
        ),
    ).toEqual([]);
  });

  it('an unreachable database fails the dump step saying where, and stores nothing', async () => {
    const localDir = fs.mkdtempSync(path.join(dir, 'unreachable-'));
    const service = serviceFor(await migrated('SQLITE_3'), localDir);
    const b = await backUp(service, 'unreachable-db');
    expect(b).toMatchObject({ status: 'failed', failedStep: 'dump' });
    expect(b.error).toMatch(
      /^cannot connect to database payments on 127\.0\.0\.1:\d+ as shipshape: .*ECONNREFUSED/,
    );
    expect(JSON.stringify(b)).not.toContain(stack.postgres.password);
    expect(fs.readdirSync(localDir, { recursive: true } as any)).toEqual([]);
  });

  it('a pg_dump that writes no archive (plain SQL) fails verify: nothing stored, nothing marked good', async () => {
    // A binDir whose pg_dump wrapper forces plain SQL (the last --format wins) beside the real
    // pg_restore: the bytes are hashed and uploaded, then pg_restore --list refuses them.
    const bin = fs.mkdtempSync(path.join(dir, 'bin-'));
    const real = (name: string) =>
      stack.postgres.binDir ? path.join(stack.postgres.binDir, name) : name;
    fs.writeFileSync(
      path.join(bin, 'pg_dump'),
      `#!/bin/sh\nexec ${real('pg_dump')} "$@" --format=plain\n`,
      { mode: 0o755 },
    );
    fs.writeFileSync(
      path.join(bin, 'pg_restore'),
      `#!/bin/sh\nexec ${real('pg_restore')} "$@"\n`,
      { mode: 0o755 },
    );
    const localDir = fs.mkdtempSync(path.join(dir, 'plain-'));
    const service = serviceFor(
      await migrated('SQLITE_3'),
      localDir,
      undefined,
      data => {
        data.shipshape.backup.binDir = bin;
      },
    );
    const b = await backUp(service, 'payments-db');
    expect(b).toMatchObject({ status: 'failed', failedStep: 'verify' });
    expect(b.error).toMatch(
      /^pg_restore --list cannot read the stored dump: .*text format dump/,
    );
    expect(fs.readdirSync(localDir, { recursive: true } as any)).toEqual([
      'payments-db',
    ]);
    expect(await service.store.verified('payments-db')).toEqual([]);
  });

  it('a pg_dump that hangs fails the dump at the whole-dump deadline, naming the key; the target is freed and the next backup verifies', async () => {
    // A binDir whose pg_dump hangs the first time (exec, so the kill reaches it and its
    // stdout closes), then is the real one; the real pg_restore beside it.
    const bin = fs.mkdtempSync(path.join(dir, 'bin-'));
    const real = (name: string) =>
      stack.postgres.binDir ? path.join(stack.postgres.binDir, name) : name;
    const hungOnce = path.join(bin, 'hung-once');
    fs.writeFileSync(
      path.join(bin, 'pg_dump'),
      `#!/bin/sh\nif [ ! -e ${hungOnce} ]; then touch ${hungOnce}; exec sleep 300; fi\nexec ${real(
        'pg_dump',
      )} "$@"\n`,
      { mode: 0o755 },
    );
    fs.writeFileSync(
      path.join(bin, 'pg_restore'),
      `#!/bin/sh\nexec ${real('pg_restore')} "$@"\n`,
      { mode: 0o755 },
    );
    const localDir = fs.mkdtempSync(path.join(dir, 'hung-'));
    const knex = await migrated('SQLITE_3');
    const service = serviceFor(knex, localDir, undefined, data => {
      data.shipshape.backup.binDir = bin;
      // 3 s (fractions of a minute are allowed)
      (data.shipshape.backup as any).timeouts = { dumpMinutes: 0.05 };
    });
    const t0 = Date.now();
    const hung = await backUp(service, 'payments-db');
    const took = Date.now() - t0;
    expect(hung).toMatchObject({ status: 'failed', failedStep: 'dump' });
    expect(hung.error).toBe(
      'pg_dump did not finish within 0.05 min (shipshape.backup.timeouts.dumpMinutes) and was stopped',
    );
    expect(took).toBeGreaterThanOrEqual(3000);
    expect(took).toBeLessThan(30_000);
    const op = await testEngine(knex).store.getOrThrow(hung.id);
    expect(op).toMatchObject({
      status: 'failed',
      outcomeReason: `failed at dump: ${hung.error}`,
    });
    expect(await service.store.verified('payments-db')).toEqual([]);
    // the engine freed the target: the next backup starts at once and verifies
    const after = await backUp(service, 'payments-db');
    expect(`${after.status} ${after.error ?? ''}`).toBe('succeeded ');
    expect(after.verifiedAt).toBeDefined();
  });

  it('a pg_restore that hangs fails the drill at the whole-restore deadline, naming the key; its database is dropped and the next drill passes', async () => {
    // The drill's pg_restore (the one with --exit-on-error; the backup's --list and
    // --data-only reads run for real) hangs the first time, then is the real one.
    const bin = fs.mkdtempSync(path.join(dir, 'bin-'));
    const real = (name: string) =>
      stack.postgres.binDir ? path.join(stack.postgres.binDir, name) : name;
    const hungOnce = path.join(bin, 'hung-once');
    fs.writeFileSync(
      path.join(bin, 'pg_restore'),
      `#!/bin/sh\ncase "$*" in *--exit-on-error*) if [ ! -e ${hungOnce} ]; then touch ${hungOnce}; exec sleep 300; fi;; esac\nexec ${real(
        'pg_restore',
      )} "$@"\n`,
      { mode: 0o755 },
    );
    fs.writeFileSync(
      path.join(bin, 'pg_dump'),
      `#!/bin/sh\nexec ${real('pg_dump')} "$@"\n`,
      { mode: 0o755 },
    );
    const localDir = fs.mkdtempSync(path.join(dir, 'hung-restore-'));
    const knex = await migrated('SQLITE_3');
    const service = serviceFor(knex, localDir, undefined, data => {
      data.shipshape.backup.binDir = bin;
      (data.shipshape.backup as any).timeouts = { restoreMinutes: 0.05 };
    });
    const b = await backUp(service, 'payments-db');
    expect(`${b.status} ${b.error ?? ''}`).toBe('succeeded ');
    expect(b.verifiedAt).toBeDefined();
    const t0 = Date.now();
    const hung = await drillOf(service, 'payments-db', b.id);
    const took = Date.now() - t0;
    expect(hung).toMatchObject({ status: 'failed', failedStep: 'restore' });
    expect(hung.error).toMatch(
      /^pg_restore did not finish within 0\.05 min \(shipshape\.backup\.timeouts\.restoreMinutes\) and was stopped/,
    );
    expect(took).toBeGreaterThanOrEqual(3000);
    expect(took).toBeLessThan(30_000);
    expect(await drillDatabases()).not.toContain(hung.databaseName);
    // the engine freed the target: the next drill starts at once and passes
    const after = await drillOf(service, 'payments-db', b.id);
    expect(`${after.status} ${after.error ?? ''}`).toBe('succeeded ');
  });

  it('a drill of a stored object that is not a dump fails at restore and drops its database', async () => {
    const localDir = fs.mkdtempSync(path.join(dir, 'notdump-'));
    const knex = await migrated('SQLITE_3');
    const service = serviceFor(knex, localDir);
    const target = service.target('payments-db');
    const b = await backUp(service, target);
    expect(b).toMatchObject({
      status: 'succeeded',
      verifiedAt: expect.any(String),
    });
    // Replaced whole, size and checksum recorded to match: only pg_restore can tell.
    const junk = Buffer.from(
      'this is not a PostgreSQL custom-format archive\n',
    );
    fs.writeFileSync(path.join(localDir, b.storageKey), junk);
    await knex('shipshape_backups')
      .where({ operation_id: b.id })
      .update({
        size_bytes: junk.length,
        sha256: createHash('sha256').update(junk).digest('hex'),
      });
    const drill = await drillOf(service, target, b.id);
    expect(drill).toMatchObject({ status: 'failed', failedStep: 'restore' });
    expect(drill.error).toMatch(
      /^pg_restore exited with 1: .*does not appear to be a valid archive/,
    );
    expect(await drillDatabases()).not.toContain(drill.databaseName);
    // The drill deletes nothing: the object is still there to look at.
    expect(fs.existsSync(path.join(localDir, b.storageKey))).toBe(true);
  });

  it('a drill whose drill connection cannot be reached fails at create-database, saying where', async () => {
    const localDir = fs.mkdtempSync(path.join(dir, 'drillconn-'));
    const knex = await migrated('SQLITE_3');
    const good = serviceFor(knex, localDir);
    const b = await backUp(good, 'payments-db');
    expect(b).toMatchObject({
      status: 'succeeded',
      verifiedAt: expect.any(String),
    });
    const service = serviceFor(knex, localDir, undefined, data => {
      data.shipshape.backup.drill.connection.port = closedPort();
    });
    const drill = await drillOf(service, 'payments-db');
    expect(drill).toMatchObject({
      status: 'failed',
      failedStep: 'create-database',
    });
    expect(drill.error).toMatch(
      /^cannot create shipshape_drill_\w+ through shipshape.backup.drill.connection \(database postgres on 127\.0\.0\.1:\d+ as \w+\): .*ECONNREFUSED/,
    );
    expect(drill.error).not.toContain(stack.postgres.drillPassword);
  });

  it('a drill detects a corrupted stored object', async () => {
    const localDir = fs.mkdtempSync(path.join(dir, 'corrupt-'));
    const service = serviceFor(await migrated('SQLITE_3'), localDir);
    const target = service.target('payments-db');
    const b = await backUp(service, target);
    expect(b).toMatchObject({
      status: 'succeeded',
      verifiedAt: expect.any(String),
    });
    const file = path.join(localDir, b.storageKey);
    const fd = fs.openSync(file, 'r+');
    const mid = Math.floor(b.sizeBytes! / 2);
    fs.writeSync(fd, Buffer.from('CORRUPTED-BYTES!'), 0, 16, mid);
    fs.closeSync(fd);
    const drill = await drillOf(service, target);
    expect(drill).toMatchObject({ status: 'failed', failedStep: 'checksum' });
    expect(drill.error).toMatch(/stored backup is corrupted/);
    expect(await drillDatabases()).not.toContain(drill.databaseName);
  });

  it.each(databases.eachSupportedId())(
    'refuses a second concurrent backup of one target on %p',
    async databaseId => {
      const knex = await migrated(databaseId);
      const localDir = fs.mkdtempSync(path.join(dir, 'conc-'));
      // Two services on one database: two backend replicas.
      const a = serviceFor(knex, localDir);
      const b = serviceFor(knex, localDir);
      const first = await a.startBackup({
        target: a.target('payments-db'),
        entityRef: 'component:default/p',
        requestedBy: 'user:default/o',
      });
      await expect(
        b.startBackup({
          target: b.target('payments-db'),
          entityRef: 'component:default/p',
          requestedBy: 'user:default/other',
        }),
      ).rejects.toThrow(ConflictError);
      await expect(
        b.startBackup({
          target: b.target('payments-db'),
          entityRef: 'component:default/p',
          requestedBy: 'user:default/other',
        }),
      ).rejects.toThrow(
        /^backup:payments-db is busy: operation [0-9a-f-]{36} \(backup, requested by user:default\/o\) is running; wait for it to finish$/,
      );
      expect(await first.done).toMatchObject({
        status: 'succeeded',
        verifiedAt: expect.any(String),
      });
      // Once it is done, the next one may start.
      expect(await backUp(b, 'payments-db')).toMatchObject({
        status: 'succeeded',
        verifiedAt: expect.any(String),
      });
    },
  );

  it.each(databases.eachSupportedId())(
    'retention keeps the last verified backup on %p',
    async databaseId => {
      const knex = await migrated(databaseId);
      const localDir = fs.mkdtempSync(path.join(dir, 'ret-'));
      const service = serviceFor(knex, localDir);
      const target = service.target('payments-db');
      const b1 = await backUp(service, target);
      const b2 = await backUp(service, target);
      const b3 = await backUp(service, target);
      // keepLast 2: the oldest is gone, from storage and as a record.
      expect(await service.store.get(b1.id)).toMatchObject({
        status: 'succeeded',
        deletedAt: expect.any(String),
      });
      expect(fs.existsSync(path.join(localDir, b1.storageKey))).toBe(false);
      expect(fs.existsSync(path.join(localDir, b2.storageKey))).toBe(true);
      // A failed backup after them changes nothing.
      await backUp(service, 'wrong-password');
      // Everything older than maxAgeDays: all go but the last verified one.
      await knex('shipshape_backups')
        .whereIn('operation_id', [b2.id, b3.id])
        .update({ taken_at: new Date(Date.now() - 90 * 86_400_000) });
      expect(await service.applyRetention(target)).toEqual([b2.id]);
      expect(await service.store.get(b3.id)).toMatchObject({
        status: 'succeeded',
        verifiedAt: expect.any(String),
        deletedAt: undefined,
      });
      expect(fs.existsSync(path.join(localDir, b3.storageKey))).toBe(true);
    },
  );
});

function component(name: string, backupTarget?: string): Entity {
  return componentWith(
    name,
    backupTarget
      ? { [SHIPSHAPE_ANNOTATIONS.backupTarget.name]: backupTarget }
      : {},
  );
}

describe('backup HTTP API', () => {
  const OWNER = 'user:default/owner-user';
  const STRANGER = 'user:default/stranger';
  let server: any;

  beforeAll(async () => {
    const permissions = mockServices.permissions.mock({
      authorize: async (requests, { credentials }) =>
        requests.map(() => ({
          result:
            (credentials.principal as any).userEntityRef === OWNER
              ? AuthorizeResult.ALLOW
              : AuthorizeResult.DENY,
        })),
    });
    ({ server } = await startTestBackend({
      features: [
        shipshapePlugin,
        mockServices.rootConfig.factory({
          data: configData(fs.mkdtempSync(path.join(dir, 'http-'))),
        }),
        permissions.factory,
        catalogServiceMock.factory({
          entities: [
            component('payments-api', 'payments-db'),
            component('leaky', 'postgresql://u:hunter2@db/payments'),
            component('unknown', 'nope-db'),
          ],
        }),
      ],
    }));
  });

  const as = (user: string) => `Bearer ${mockCredentials.user.token(user)}`;
  const base = '/api/shipshape/entities/component/default';

  it('denies a non-owner', async () => {
    const res = await request(server)
      .post(`${base}/payments-api/backups`)
      .set('Authorization', as(STRANGER))
      .send({ reason: 'x' });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toBe(
      'You may not back up component:default/payments-api (permission shipshape.operation.backup)',
    );
    const drill = await request(server)
      .post(`${base}/payments-api/restore-drills`)
      .set('Authorization', as(STRANGER))
      .send({});
    expect(drill.status).toBe(403);
  });

  it('refuses bad annotations and bodies precisely', async () => {
    const leaky = await request(server)
      .post(`${base}/leaky/backups`)
      .set('Authorization', as(OWNER))
      .send({});
    expect(leaky.status).toBe(400);
    expect(leaky.body.error.message).toMatch(
      /not a connection string or credential/,
    );
    expect(JSON.stringify(leaky.body)).not.toContain('hunter2');
    const unknown = await request(server)
      .post(`${base}/unknown/backups`)
      .set('Authorization', as(OWNER))
      .send({});
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toMatch(
      /'nope-db'.*configured: payments-db/,
    );
    const body = await request(server)
      .post(`${base}/payments-api/restore-drills`)
      .set('Authorization', as(OWNER))
      .send({ backupId: 'not-a-uuid' });
    expect(body.status).toBe(400);
    expect(body.body.error.message).toMatch(/backupId/);
    const missing = '00000000-0000-4000-8000-000000000000';
    const drill = await request(server)
      .post(`${base}/payments-api/restore-drills`)
      .set('Authorization', as(OWNER))
      .send({ backupId: missing });
    expect(drill.status).toBe(404);
    expect(drill.body.error.message).toBe(`No backup with id '${missing}'`);
    const read = await request(server)
      .get(`${base}/payments-api/backups/${missing}`)
      .set('Authorization', as(OWNER));
    expect(read.status).toBe(404);
    expect(read.body.error.message).toBe(`No backup with id '${missing}'`);
  });

  it('backs up, drills and lists the history for the owner', async () => {
    const started = await request(server)
      .post(`${base}/payments-api/backups`)
      .set('Authorization', as(OWNER))
      .send({ reason: 'before migration' });
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({
      status: 'running',
      requestedBy: OWNER,
    });
    let backup: any;
    for (let i = 0; i < 120; i++) {
      backup = (
        await request(server)
          .get(`${base}/payments-api/backups/${started.body.id}`)
          .set('Authorization', as(STRANGER))
      ).body;
      if (backup.status !== 'running') break;
      await new Promise(r => setTimeout(r, 500));
    }
    expect(backup).toMatchObject({
      status: 'succeeded',
      verifiedAt: expect.any(String),
    });
    const drill = await request(server)
      .post(`${base}/payments-api/restore-drills`)
      .set('Authorization', as(OWNER))
      .send({ backupId: backup.id });
    expect(drill.status).toBe(202);
    let d: any;
    for (let i = 0; i < 120; i++) {
      d = (
        await request(server)
          .get(`${base}/payments-api/restore-drills/${drill.body.id}`)
          .set('Authorization', as(OWNER))
      ).body;
      if (d.status !== 'running') break;
      await new Promise(r => setTimeout(r, 500));
    }
    expect(d.status).toBe('succeeded');
    const history = await request(server)
      .get(`${base}/payments-api/backups`)
      .set('Authorization', as(OWNER));
    expect(history.status).toBe(200);
    expect(history.body.target).toBe('payments-db');
    expect(history.body.items[0]).toMatchObject({
      id: backup.id,
      status: 'succeeded',
      verifiedAt: backup.verifiedAt,
    });
    expect(history.body.items[0].drills[0]).toMatchObject({
      id: d.id,
      status: 'succeeded',
    });
    expect(JSON.stringify(history.body)).not.toContain(stack.postgres.password);
  });
});
