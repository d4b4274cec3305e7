import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import { ConfigReader, JsonObject } from '@backstage/config';
import {
  CreateBucketCommand,
  HeadObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { evaluateDrReadiness } from '@shipshape/plugin-shipshape-common';
import fs from 'fs';
import { Knex } from 'knex';
import os from 'os';
import path from 'path';
import { connectDatabase } from '../database';
import {
  readLocalStack,
  stackPaymentsConnection,
  stackS3ClientConfig,
} from '@internal/shipshape-test-utils';
import { readBackupConfig } from './config';
import { copiesOf, newestVerifiedCopy } from './copies';
import { testBackupService } from './__testUtils__/service';

jest.setTimeout(240_000);

const stack = readLocalStack();
const databases = TestDatabases.create({ ids: ['POSTGRES_15'] });
const PW_ENV = 'SHIPSHAPE_TEST_COPY_PG_PASSWORD';
process.env[PW_ENV] = stack.postgres.password;
process.env.SHIPSHAPE_TEST_S3_KEY = stack.s3.accessKeyId;
process.env.SHIPSHAPE_TEST_S3_SECRET = stack.s3.secretAccessKey;

/** The stack's second bucket (scripts/stack/stack.sh creates it; created here if missing). */
const DR_BUCKET = `${stack.s3.bucket}-dr`;
const RUN = `t${process.pid}-${Date.now()}`;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shipshape-copy-test-'));

const s3 = (over: Record<string, unknown> = {}) => ({
  type: 's3',
  bucket: DR_BUCKET,
  region: stack.s3.region,
  endpoint: stack.s3.endpoint,
  forcePathStyle: true,
  prefix: `test/${RUN}/`,
  accessKeyIdEnv: 'SHIPSHAPE_TEST_S3_KEY',
  secretAccessKeyEnv: 'SHIPSHAPE_TEST_S3_SECRET',
  ...over,
});
const target = (name: string, copyTo: unknown, extra = {}) => ({
  name,
  connection: stackPaymentsConnection(PW_ENV),
  copyTo,
  allowedEntities: ['component:default/payments-api'],
  ...extra,
});
const readConfig = (targets: object[], storage: object = {}) =>
  readBackupConfig(
    new ConfigReader({
      shipshape: {
        backup: {
          binDir: stack.postgres.binDir,
          storage: { type: 'local', directory: dir, ...storage },
          targets,
        },
      },
    } as JsonObject),
  );

const client = new S3Client(stackS3ClientConfig());

async function inDrBucket(key: string) {
  try {
    const head = await client.send(
      new HeadObjectCommand({
        Bucket: DR_BUCKET,
        Key: `test/${RUN}/${key}`,
      }),
    );
    return head.ContentLength;
  } catch (e: any) {
    if (e?.$metadata?.httpStatusCode === 404) return undefined;
    throw e;
  }
}

const critical = {
  metadata: { annotations: { 'shipshape.dev/tier': 'critical' } },
};
const secondCopyCheck = (secondCopy?: { location: string }) =>
  evaluateDrReadiness({ entity: critical, secondCopy }).checks.find(
    c => c.id === 'second-copy',
  )!;

describe('backup copies (copyTo) against the stack S3', () => {
  let knex: Knex;
  beforeAll(async () => {
    await client
      .send(new CreateBucketCommand({ Bucket: DR_BUCKET }))
      .catch((e: any) => {
        if (!/BucketAlreadyOwnedByYou|BucketAlreadyExists/.test(e?.name)) {
          throw e;
        }
      });
    knex = await databases.init('POSTGRES_15');
    await connectDatabase({ getClient: async () => knex } as any);
  });
  afterAll(() => {
    client.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('copies a verified backup to the second bucket with the same SHA-256; second-copy passes', async () => {
    const cfg = readConfig([
      target('payments-db', s3(), {
        retention: { keepLast: 1, keepDaily: 0, keepWeekly: 0, minAgeHours: 0 },
      }),
    ])!;
    const service = testBackupService({ config: cfg, knex });
    const t = service.target('payments-db');
    const first = await (
      await service.startBackup({
        target: t,
        entityRef: 'component:default/payments-api',
        requestedBy: 'user:default/tester',
      })
    ).done;
    expect(first).toMatchObject({
      status: 'succeeded',
      verifiedAt: expect.any(String),
    });
    const [copy] = await copiesOf(knex, first.id);
    expect(copy).toMatchObject({
      status: 'verified',
      sha256: first.sha256,
      sizeBytes: first.sizeBytes,
      location: `s3://${DR_BUCKET}/test/${RUN}/${first.storageKey}`,
    });
    expect(copy.verifiedAt).toBeDefined();
    expect(await inDrBucket(first.storageKey)).toBe(first.sizeBytes);
    expect(await inDrBucket(`${first.storageKey}.partial`)).toBeUndefined();

    const fact = await newestVerifiedCopy(
      knex,
      await service.store.list('payments-db'),
    );
    expect(fact).toMatchObject({ location: copy.location, status: 'verified' });
    expect(secondCopyCheck(fact).status).toBe('pass');

    // keepLast 1: the next verified backup deletes the first and its copy
    const second = await (
      await service.startBackup({
        target: t,
        entityRef: 'component:default/payments-api',
        requestedBy: 'user:default/tester',
      })
    ).done;
    expect(second).toMatchObject({
      status: 'succeeded',
      verifiedAt: expect.any(String),
    });
    expect(await inDrBucket(first.storageKey)).toBeUndefined();
    expect((await copiesOf(knex, first.id))[0].status).toBe('deleted');
    expect(await inDrBucket(second.storageKey)).toBe(second.sizeBytes);
  });

  it.each([
    [
      'a bucket that does not exist',
      { bucket: `no-such-bucket-${process.pid}` },
    ],
    ['an unreachable endpoint', { endpoint: 'http://127.0.0.1:1' }],
  ])(
    'copy to %s: the backup stays verified, the copy fails with its step; second-copy fails',
    async (_what, over) => {
      const name = `bad-copy-${Object.keys(over)[0]}`;
      const cfg = readConfig([target(name, s3(over))])!;
      const logger = mockServices.logger.mock();
      const service = testBackupService({ config: cfg, knex, logger });
      const backup = await (
        await service.startBackup({
          target: service.target(name),
          entityRef: 'component:default/payments-api',
          requestedBy: 'user:default/tester',
        })
      ).done;
      expect(backup).toMatchObject({
        status: 'succeeded',
        verifiedAt: expect.any(String),
      });
      const [copy] = await copiesOf(knex, backup.id);
      expect(copy.status).toBe('failed');
      expect(copy.failedStep).toBe('upload');
      expect(copy.error).toContain(`failed at upload`);
      expect(copy.verifiedAt).toBeUndefined();
      expect(logger.warn).toHaveBeenCalledWith(
        expect.stringContaining(`copy to ${copy.location} failed at upload`),
      );
      const fact = await newestVerifiedCopy(
        knex,
        await service.store.list(name),
      );
      expect(fact).toBeUndefined();
      const check = secondCopyCheck(fact);
      expect(check.status).toBe('fail');
      expect(check.fix).toBeDefined();
    },
  );

  it('refuses bad copyTo config, naming the key', () => {
    expect(() => readConfig([target('x', { type: 'ftp' })])).toThrow(
      "shipshape.backup.targets[0].copyTo.type is 'ftp'; expected 'local' or 's3'",
    );
    expect(() => readConfig([target('x', { type: 's3' })])).toThrow(
      /copyTo\.bucket/,
    );
    expect(() =>
      readConfig([target('x', { type: 'local', directory: dir })]),
    ).toThrow(
      'shipshape.backup.targets[0].copyTo (x) is the same location as its storage',
    );
    expect(readConfig([target('x', undefined)])!.targets.get('x')!.copyTo).toBe(
      undefined,
    );
  });
});
