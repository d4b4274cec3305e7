import {
  TestDatabases,
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { ConfigReader, JsonObject } from '@backstage/config';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  CreateBucketCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { cronJobBackupKey } from '@shipshape/plugin-shipshape-common';
import {
  readLocalStack,
  stackDrillConnection,
  stackPaymentsConnection,
  stackS3ClientConfig,
  stackS3Storage,
  runChartBackup,
} from '@internal/shipshape-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import http from 'http';
import request from 'supertest';
import { AddressInfo } from 'net';
import { Knex } from 'knex';
import { connectDatabase } from '../database';
import { testEngine } from '../operations/__testUtils__/engine';
import { readBackupConfig } from './config';
import { copiesOf } from './copies';
import {
  CRONJOB_DISCOVERY_REQUESTER,
  DEFAULT_DISCOVERY_SCHEDULE,
  DISCOVERY_SCHEDULE_KEY,
  FoundCronJobBackup,
  discoverCronJobBackups,
  scheduleCronJobDiscovery,
} from './cronJobDiscovery';
import { shipshapePlugin } from '../plugin';
import { readSchedule } from '../schedule';
import { pgClient } from './pg';
import { isVerified } from './store';
import { testBackupService } from './__testUtils__/service';

jest.setTimeout(300_000);

// The chart's backup CronJob scripts (templates/_shared/.../backup-cronjob.yaml, run on this
// machine: kwok runs no containers) write dumps and manifests to the stack's S3; the portal's
// discovery pass finds them, verifies each as an engine operation and records it. Bad objects
// are made from a real one (same bytes, one thing changed) so that each names one fault.
const stack = readLocalStack();
const databases = TestDatabases.create({ ids: ['POSTGRES_15'] });
process.env.SHIPSHAPE_TEST_CJ_PG = stack.postgres.password;
process.env.SHIPSHAPE_TEST_CJ_DRILL = stack.postgres.drillPassword;
process.env.SHIPSHAPE_TEST_CJ_KEY = stack.s3.accessKeyId;
process.env.SHIPSHAPE_TEST_CJ_SECRET = stack.s3.secretAccessKey;

const RUN = `${process.pid.toString(36)}${Date.now().toString(36)}`;
const PREFIX = `test/cronjob-${RUN}/`;
const TARGET = `cj-${RUN}`;
const ELSEWHERE = `cj-else-${RUN}`;
const DR_BUCKET = `${stack.s3.bucket}-dr`;
const UNKNOWN_BUCKET = `${stack.s3.bucket}-unknown`;
const ENTITY = 'component:default/payments-api';

const s3 = new S3Client(stackS3ClientConfig());
const storage = (prefix: string, endpoint = stack.s3.endpoint) => ({
  ...stackS3Storage(
    prefix,
    'SHIPSHAPE_TEST_CJ_KEY',
    'SHIPSHAPE_TEST_CJ_SECRET',
  ),
  endpoint,
});

function service(
  knex: Knex,
  endpoint = stack.s3.endpoint,
  instanceId?: string,
) {
  const config = readBackupConfig(
    new ConfigReader({
      shipshape: {
        backup: {
          binDir: stack.postgres.binDir,
          drill: {
            connection: stackDrillConnection('SHIPSHAPE_TEST_CJ_DRILL'),
          },
          targets: [
            {
              name: TARGET,
              allowedEntities: [ENTITY],
              connection: stackPaymentsConnection('SHIPSHAPE_TEST_CJ_PG'),
              storage: storage(PREFIX, endpoint),
              copyTo: { ...storage(PREFIX, endpoint), bucket: DR_BUCKET },
            },
            {
              // keeps its backups elsewhere: what the CronJob writes for it here is not its
              name: ELSEWHERE,
              allowedEntities: ['component:default/else-api'],
              connection: stackPaymentsConnection('SHIPSHAPE_TEST_CJ_PG'),
              storage: storage(`${PREFIX}other/`, endpoint),
            },
          ],
        },
      },
    } as JsonObject),
  )!;
  const logger = mockServices.logger.mock();
  const backups = testBackupService({
    config,
    knex,
    logger,
    engine: testEngine(knex, { instanceId }),
  });
  const entity = (name: string, target: string): Entity => ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      namespace: 'default',
      annotations: { 'shipshape.dev/backup-target': target },
    },
    spec: {
      type: 'service',
      lifecycle: 'production',
      owner: 'group:default/t',
    },
  });
  const deps = {
    service: backups,
    logger,
    auth: mockServices.auth(),
    catalog: catalogServiceMock({
      entities: [entity('payments-api', TARGET), entity('else-api', ELSEWHERE)],
    }),
  };
  return { backups, deps };
}

const chart = (over: { target?: string; db?: string; bucket?: string } = {}) =>
  runChartBackup({
    databaseUrl: `postgresql://${encodeURIComponent(
      stack.postgres.user,
    )}:${encodeURIComponent(stack.postgres.password)}@${stack.postgres.host}:${
      stack.postgres.port
    }/${over.db ?? 'payments'}`,
    pgBinDir: stack.postgres.binDir,
    target: over.target ?? TARGET,
    environment: 'production',
    service: 'payments-api',
    s3: {
      endpoint: stack.s3.endpoint,
      region: stack.s3.region,
      accessKeyId: stack.s3.accessKeyId,
      secretAccessKey: stack.s3.secretAccessKey,
      bucket: over.bucket ?? stack.s3.bucket,
      prefix: PREFIX,
      copyBucket: over.bucket ? undefined : DR_BUCKET,
    },
  });

const keyOf = (name: string, target = TARGET) =>
  `${PREFIX}cronjob/${target}/production/${name}`;

async function getObject(key: string, bucket = stack.s3.bucket) {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await res.Body!.transformToByteArray());
}
const put = (key: string, body: Buffer | string) =>
  s3.send(
    new PutObjectCommand({ Bucket: stack.s3.bucket, Key: key, Body: body }),
  );

/**
 * Stores a variant of a real CronJob backup (its dump and manifest under a new stamp),
 * changed by `change`; returns the variant's dump key (relative to PREFIX).
 */
let seconds = 0;
async function variant(
  from: { dump: Buffer; manifest: any },
  change: (v: { dump: Buffer; manifest: any }) => void,
  target = TARGET,
  prefix = PREFIX,
) {
  const at = new Date(Date.UTC(2026, 0, 1, 0, 0, ++seconds));
  const v = {
    dump: Buffer.from(from.dump),
    manifest: {
      ...from.manifest,
      startedAt: at.toISOString(),
      finishedAt: at.toISOString(),
      tables: from.manifest.tables.map((t: object) => ({ ...t })),
    },
  };
  change(v);
  const key = cronJobBackupKey(target, 'production', at);
  await put(prefix + key, v.dump);
  await put(`${prefix + key}.manifest.json`, JSON.stringify(v.manifest));
  return key;
}

const byKey = (results: FoundCronJobBackup[], key: string) =>
  results.find(r => r.location.endsWith(`/${PREFIX}${key}.manifest.json`));

async function drillDatabases() {
  const db = pgClient(
    stackDrillConnection('SHIPSHAPE_TEST_CJ_DRILL'),
    stack.postgres.drillPassword,
  );
  try {
    const { rows } = await db.raw(
      "SELECT datname FROM pg_database WHERE datname LIKE 'shipshape_drill_%'",
    );
    return rows.map((r: any) => r.datname).sort();
  } finally {
    await db.destroy();
  }
}

describe('CronJob backups: found, verified and recorded by the portal', () => {
  let knex: Knex;
  let good: { name: string; dump: Buffer; manifest: any };

  beforeAll(async () => {
    for (const Bucket of [DR_BUCKET, UNKNOWN_BUCKET]) {
      await s3.send(new CreateBucketCommand({ Bucket })).catch((e: any) => {
        if (!/BucketAlreadyOwnedByYou|BucketAlreadyExists/.test(e?.name)) {
          throw e;
        }
      });
    }
    knex = await databases.init('POSTGRES_15');
    await connectDatabase({ getClient: async () => knex } as any);
    const run = await chart();
    good = {
      name: run.name,
      dump: await getObject(keyOf(run.name)),
      manifest: JSON.parse(
        (await getObject(`${keyOf(run.name)}.manifest.json`)).toString(),
      ),
    };
  });
  afterAll(() => s3.destroy());

  it('verifies the chart CronJob’s backup against its manifest, records it for the RPO, checks its second copy, and it can be drilled', async () => {
    const { backups, deps } = service(knex);
    const results = await discoverCronJobBackups(deps);
    const key = `cronjob/${TARGET}/production/${good.name}`;
    const found = byKey(results, key)!;
    expect(found).toMatchObject({ outcome: 'verified', target: TARGET });

    const rec = await backups.store.get(found.backupId!);
    const payments = pgClient(
      stackPaymentsConnection('SHIPSHAPE_TEST_CJ_PG'),
      stack.postgres.password,
    );
    const orders = Number(
      (await payments.raw('SELECT count(*) AS n FROM orders')).rows[0].n,
    );
    await payments.destroy();
    expect(rec).toMatchObject({
      status: 'succeeded',
      verifiedAt: expect.any(String),
      method: 'cronjob',
      storageKey: key,
      sha256: good.manifest.sha256,
      sizeBytes: good.dump.length,
      requestedBy: CRONJOB_DISCOVERY_REQUESTER,
      entityRef: ENTITY,
      // its time is the snapshot's (the key's stamp), not when the portal found it
      startedAt: new Date(good.manifest.startedAt).toISOString(),
    });
    expect(rec.tables).toContainEqual({
      schema: 'public',
      table: 'orders',
      rows: orders,
    });
    // the newest verified backup of the target: what the RPO check counts
    expect((await backups.store.verified(TARGET))[0].id).toBe(rec.id);
    // an operation of the engine (audited, one backup run per target), succeeded
    const op = await knex('shipshape_operations').where({ id: rec.id }).first();
    expect(op).toMatchObject({
      kind: 'backup',
      target: `backup:${TARGET}`,
      status: 'succeeded',
      requested_by: CRONJOB_DISCOVERY_REQUESTER,
    });
    // the CronJob wrote the second copy: re-read there and recorded
    expect(await copiesOf(knex, rec.id)).toEqual([
      expect.objectContaining({
        status: 'verified',
        sha256: rec.sha256,
        location: `s3://${DR_BUCKET}/${PREFIX}${key}`,
      }),
    ]);

    // marked verified in both buckets: the chart's retention keeps the newest marked dump
    for (const bucket of [stack.s3.bucket, DR_BUCKET]) {
      const marker = JSON.parse(
        (await getObject(`${PREFIX}${key}.verified`, bucket)).toString(),
      );
      expect(marker).toMatchObject({ backupId: rec.id, sha256: rec.sha256 });
      expect(Date.parse(marker.verifiedAt)).not.toBeNaN();
    }

    // the next pass knows it: nothing is verified twice
    const again = await discoverCronJobBackups(deps);
    expect(byKey(again, key)).toMatchObject({
      outcome: 'known',
      backupId: rec.id,
    });

    // drillable: restored into a temporary database, row counts against the manifest's
    const drill = await (
      await backups.startDrill({
        target: backups.target(TARGET),
        entityRef: ENTITY,
        requestedBy: 'user:default/owner',
        backupId: rec.id,
      })
    ).done;
    expect(drill).toMatchObject({ status: 'succeeded', backupId: rec.id });
    expect(drill.comparison!.every(c => c.ok)).toBe(true);
    // its temporary database is gone (other tests' drills may run beside this one)
    expect(drill.databaseName).toMatch(/^shipshape_drill_/);
    expect(await drillDatabases()).not.toContain(drill.databaseName);
  });

  it('catches a corrupted object, a manifest that lies (checksum, rows, server version, database, time) and a dump of another database; none is verified', async () => {
    const { backups, deps } = service(knex);
    const corrupted = await variant(good, v => {
      v.dump[Math.floor(v.dump.length / 2)] ^= 0xff;
    });
    const lyingSha = await variant(good, v => {
      v.manifest.sha256 = 'f'.repeat(64);
    });
    const lyingRows = await variant(good, v => {
      v.manifest.tables[0].rows += 1;
    });
    // a server version the archive does not name (its header says which server dumped it)
    const lyingVersion = await variant(good, v => {
      v.manifest.serverVersion = '9.6.24';
    });
    const fewerTables = await variant(good, v => {
      v.manifest.tables.pop();
    });
    const future = await variant(good, v => {
      v.manifest.finishedAt = new Date(Date.now() + 3600_000).toISOString();
    });
    const notJson = await variant(good, () => {});
    await put(`${PREFIX + notJson}.manifest.json`, 'not json {');
    // the orders database, dumped by the CronJob as if it were this target's
    const orders = await chart({ db: 'orders' });
    const ordersDump = await getObject(keyOf(orders.name));
    const ordersManifest = JSON.parse(
      (await getObject(`${keyOf(orders.name)}.manifest.json`)).toString(),
    );
    // ... and once more with a manifest that claims it is the payments database
    const ordersClaimingPayments = await variant(
      { dump: ordersDump, manifest: ordersManifest },
      v => {
        v.manifest.database = 'payments';
      },
    );

    const results = await discoverCronJobBackups(deps);
    const failed = (key: string, step: string, text: string) => {
      const r = byKey(results, key);
      expect(r).toMatchObject({ outcome: 'failed' });
      expect(r!.reason).toMatch(new RegExp(`^failed at ${step}: `));
      expect(r!.reason).toContain(text);
    };
    failed(corrupted, 'verify', 'stored object differs from what was dumped');
    failed(
      lyingSha,
      'verify',
      `expected ${good.dump.length} bytes sha256 ${'f'.repeat(64)}`,
    );
    failed(lyingRows, 'verify', 'row counts differ: public.');
    failed(
      lyingVersion,
      'verify',
      `the dump was made from server version ${good.manifest.serverVersion}, not 9.6.24`,
    );
    failed(fewerTables, 'verify', 'which the manifest does not list');
    failed(future, 'manifest', 'after the store received the manifest');
    failed(notJson, 'manifest', 'is not JSON');
    failed(
      `cronjob/${TARGET}/production/${orders.name}`,
      'manifest',
      `names database orders; target ${TARGET} backs up payments`,
    );
    failed(
      ordersClaimingPayments,
      'verify',
      'the dump is of database orders, not payments',
    );

    // nothing of these is verified, nothing is deleted, and the next pass leaves them failed
    const verified = await backups.store.verified(TARGET);
    expect(verified.map(b => b.storageKey)).toEqual([
      `cronjob/${TARGET}/production/${good.name}`,
    ]);
    const next = await discoverCronJobBackups(deps);
    expect(byKey(next, corrupted)).toMatchObject({ outcome: 'known' });
    const ops = await knex('shipshape_operations')
      .where({ kind: 'backup', status: 'failed' })
      .count({ n: '*' });
    expect(Number(ops[0].n)).toBe(9);
    expect(await getObject(PREFIX + corrupted)).toHaveLength(good.dump.length);
    // and none is marked verified for the chart's retention
    for (const key of [corrupted, lyingSha, lyingRows, lyingVersion]) {
      await expect(getObject(`${PREFIX + key}.verified`)).rejects.toThrow();
    }
  });

  it('ignores, with the reason, objects of unknown targets, of a target that stores elsewhere, and never sees a bucket it does not know', async () => {
    const { backups, deps } = service(knex);
    const unknown = await variant(
      good,
      v => (v.manifest.target = 'nope-db'),
      'nope-db',
    );
    const elsewhere = await variant(
      good,
      v => (v.manifest.target = ELSEWHERE),
      ELSEWHERE,
    );
    await put(`${PREFIX}cronjob/${TARGET}/stray.dump.manifest.json`, '{}');
    const inUnknownBucket = await chart({ bucket: UNKNOWN_BUCKET });

    const results = await discoverCronJobBackups(deps);
    expect(byKey(results, unknown)).toMatchObject({
      outcome: 'ignored',
      reason: expect.stringContaining(
        `no backup target 'nope-db' in app-config shipshape.backup.targets (configured: ${TARGET}, ${ELSEWHERE})`,
      ),
    });
    expect(byKey(results, elsewhere)).toMatchObject({
      outcome: 'ignored',
      reason: `backup target ${ELSEWHERE} keeps its backups in s3://${stack.s3.bucket}/${PREFIX}other/, not here`,
    });
    expect(
      results.find(r => r.location.endsWith('/stray.dump.manifest.json')),
    ).toMatchObject({
      outcome: 'ignored',
      reason: expect.stringContaining('expected 3 path segments, found 2'),
    });
    expect(
      results.find(r => r.location.includes(inUnknownBucket.name)),
    ).toBeUndefined();
    for (const t of [TARGET, ELSEWHERE]) {
      expect(
        (await backups.store.list(t)).filter(
          b =>
            b.storageKey.includes('nope-db') ||
            b.storageKey.includes(inUnknownBucket.name) ||
            b.target === ELSEWHERE,
        ),
      ).toEqual([]);
    }
  });

  it('records a clear failure while the object store is down and verifies the backup on the next pass', async () => {
    // a proxy in front of the stack's S3 that lists but drops every object read while "down"
    let down = true;
    const upstream = new URL(stack.s3.endpoint);
    const proxy = http.createServer((req, res) => {
      if (down && req.method === 'GET' && !req.url!.includes('list-type')) {
        req.socket.destroy();
        return;
      }
      const p = http.request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        r => {
          res.writeHead(r.statusCode!, r.headers);
          r.pipe(res);
        },
      );
      p.on('error', () => res.destroy());
      req.pipe(p);
    });
    await new Promise<void>(r => proxy.listen(0, '127.0.0.1', r));
    const endpoint = `http://127.0.0.1:${
      (proxy.address() as AddressInfo).port
    }`;
    try {
      const { backups, deps } = service(knex, endpoint);
      const key = await variant(good, () => {});
      const first = byKey(await discoverCronJobBackups(deps), key)!;
      expect(first.outcome).toBe('failed');
      expect(first.reason).toMatch(
        new RegExp(
          `^failed at fetch: reading s3://${stack.s3.bucket}/${PREFIX}${key}.manifest.json failed: `,
        ),
      );
      expect((await backups.store.get(first.backupId!)).status).toBe('failed');

      down = false;
      const second = byKey(await discoverCronJobBackups(deps), key)!;
      expect(second).toMatchObject({ outcome: 'verified' });
      expect(second.backupId).not.toBe(first.backupId);
      expect((await backups.store.get(second.backupId!)).reason).toContain(
        `again: fetch failed in ${first.backupId}`,
      );
    } finally {
      await new Promise(r => proxy.close(r));
    }
  });

  it('two replicas passing at once verify a new backup once', async () => {
    const a = service(knex, stack.s3.endpoint, 'replica-a');
    const b = service(knex, stack.s3.endpoint, 'replica-b');
    const key = await variant(good, () => {});
    const [ra, rb] = await Promise.all([
      discoverCronJobBackups(a.deps),
      discoverCronJobBackups(b.deps),
    ]);
    const outcomes = [byKey(ra, key)!, byKey(rb, key)!];
    // the other found it recorded, or found its target held by the first one's run
    expect(outcomes.filter(o => o.outcome === 'verified')).toHaveLength(1);
    const other = outcomes.find(o => o.outcome !== 'verified')!;
    expect(['known', 'skipped']).toContain(other.outcome);
    const records = await a.backups.store.byStorageKey(TARGET, key);
    expect(records.map(r => [r.status, isVerified(r)])).toEqual([
      ['succeeded', true],
    ]);
  });

  it('runs as a global scheduled task at the configured interval', async () => {
    const { backups, deps } = service(knex);
    const scheduler = mockServices.scheduler.mock();
    await scheduleCronJobDiscovery({
      ...deps,
      scheduler,
      schedule: readSchedule(
        new ConfigReader({
          shipshape: {
            backup: {
              discovery: {
                schedule: {
                  frequency: { seconds: 30 },
                  timeout: { minutes: 2 },
                },
              },
            },
          },
        }),
        DISCOVERY_SCHEDULE_KEY,
        DEFAULT_DISCOVERY_SCHEDULE,
      ),
    });
    const [[task]] = scheduler.scheduleTask.mock.calls;
    expect(task).toMatchObject({
      id: 'shipshape-cronjob-backup-discovery',
      scope: 'global',
      frequency: { seconds: 30 },
      timeout: { minutes: 2 },
    });
    const key = await variant(good, () => {});
    await task.fn(new AbortController().signal);
    const [rec] = await backups.store.byStorageKey(TARGET, key);
    expect(rec).toMatchObject({
      status: 'succeeded',
      verifiedAt: expect.any(String),
      method: 'cronjob',
    });
  });

  it('through the plugin: the scheduled pass verifies it, GET backups (the DR card’s history) lists it and backup-fresh passes on it', async () => {
    const prefix = `${PREFIX}plugin/`;
    const key = await variant(good, () => {}, TARGET, prefix);
    const scheduler = mockServices.scheduler.mock();
    const owner = 'user:default/owner';
    const backend = await startTestBackend({
      features: [
        scheduler.factory,
        shipshapePlugin,
        mockServices.database.factory({
          knex: await databases.init('POSTGRES_15'),
        }),
        mockServices.rootConfig.factory({
          data: {
            shipshape: {
              backup: {
                binDir: stack.postgres.binDir,
                targets: [
                  {
                    name: TARGET,
                    allowedEntities: [ENTITY],
                    connection: stackPaymentsConnection('SHIPSHAPE_TEST_CJ_PG'),
                    storage: storage(prefix),
                  },
                ],
              },
            },
          },
        }),
        mockServices.permissions.mock({
          authorize: async requests =>
            requests.map(() => ({ result: AuthorizeResult.ALLOW })),
        }).factory,
        catalogServiceMock.factory({
          entities: [
            {
              apiVersion: 'backstage.io/v1alpha1',
              kind: 'Component',
              metadata: {
                name: 'payments-api',
                namespace: 'default',
                annotations: {
                  'shipshape.dev/backup-target': TARGET,
                  'shipshape.dev/tier': 'standard',
                  'shipshape.dev/rpo': '1h',
                },
              },
              spec: {
                type: 'service',
                lifecycle: 'production',
                owner: 'group:default/t',
              },
            },
          ],
        }),
      ],
    });
    try {
      const task = scheduler.scheduleTask.mock.calls
        .map(([t]) => t)
        .find(t => t.id === 'shipshape-cronjob-backup-discovery')!;
      const url = '/api/shipshape/entities/component/default/payments-api';
      const before = await request(backend.server)
        .get(`${url}/dr-readiness`)
        .set('Authorization', mockCredentials.user.header(owner));
      expect(
        before.body.checks.find((c: any) => c.id === 'backup-fresh'),
      ).toMatchObject({ status: 'fail' });

      await task.fn(new AbortController().signal);

      const list = await request(backend.server)
        .get(`${url}/backups`)
        .set('Authorization', mockCredentials.user.header(owner));
      expect(list.status).toBe(200);
      expect(list.body.items).toEqual([
        expect.objectContaining({
          method: 'cronjob',
          status: 'succeeded',
          verifiedAt: expect.any(String),
          storageKey: key,
          sha256: good.manifest.sha256,
        }),
      ]);
      // a backup taken (by the key's clock) in 2026-01-01 is older than the 1h RPO: the check
      // names it; a fresh one passes. Make it fresh: the same dump under the current minute.
      expect(
        (
          await request(backend.server)
            .get(`${url}/dr-readiness`)
            .set('Authorization', mockCredentials.user.header(owner))
        ).body.checks.find((c: any) => c.id === 'backup-fresh'),
      ).toMatchObject({
        status: 'fail',
        message: expect.stringMatching(/old/),
      });
      const now = new Date(Math.floor(Date.now() / 1000) * 1000);
      const fresh = cronJobBackupKey(TARGET, 'production', now);
      await put(prefix + fresh, good.dump);
      await put(
        `${prefix + fresh}.manifest.json`,
        JSON.stringify({
          ...good.manifest,
          startedAt: now.toISOString(),
          finishedAt: now.toISOString(),
        }),
      );
      await task.fn(new AbortController().signal);
      const after = await request(backend.server)
        .get(`${url}/dr-readiness`)
        .set('Authorization', mockCredentials.user.header(owner));
      expect(
        after.body.checks.find((c: any) => c.id === 'backup-fresh'),
      ).toMatchObject({
        status: 'pass',
        message: expect.stringContaining(
          `verified by the portal in s3://${stack.s3.bucket}/${prefix.slice(
            0,
            -1,
          )} at ${stack.s3.endpoint}`,
        ),
      });
    } finally {
      await backend.stop();
    }
  });
});
