import {
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  readLocalStack,
  stackS3ClientConfig,
} from '@internal/shipshape-test-utils';
import { createHash, randomBytes } from 'crypto';
import { Readable } from 'stream';
import { createStorage } from './storage';

jest.setTimeout(120_000);

// Committing a backup on S3 copies <key>.partial to <key>. One CopyObject copies at most 5 GiB,
// so a bigger one is copied part by part: here with the limits lowered to 5 MiB (S3's smallest
// part), against the stack's real S3 server.
const stack = readLocalStack();
const KEY_ENV = 'SHIPSHAPE_TEST_STORAGE_KEY';
const SECRET_ENV = 'SHIPSHAPE_TEST_STORAGE_SECRET';
process.env[KEY_ENV] = stack.s3.accessKeyId;
process.env[SECRET_ENV] = stack.s3.secretAccessKey;
const PREFIX = `test/storage-${process.pid}-${Date.now().toString(36)}/`;
const MiB = 1024 * 1024;

const storage = createStorage(
  {
    type: 's3',
    bucket: stack.s3.bucket,
    region: stack.s3.region,
    endpoint: stack.s3.endpoint,
    forcePathStyle: true,
    prefix: PREFIX,
    accessKeyIdEnv: KEY_ENV,
    secretAccessKeyEnv: SECRET_ENV,
    requestTimeoutMs: 60_000,
  },
  { singleCopyMaxBytes: 5 * MiB, partBytes: 5 * MiB },
);
const admin = new S3Client(stackS3ClientConfig());

async function sha256Of(body: Readable) {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of body) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { size, sha256: hash.digest('hex') };
}

async function keys() {
  const res = await admin.send(
    new ListObjectsV2Command({ Bucket: stack.s3.bucket, Prefix: PREFIX }),
  );
  return (res.Contents ?? []).map(o => o.Key!.slice(PREFIX.length)).sort();
}

afterAll(async () => {
  for (const key of await keys()) await storage.discard(key);
});

describe('S3 storage commit', () => {
  it('copies an object over the single-copy limit part by part, byte for byte', async () => {
    const data = randomBytes(12 * MiB + 123);
    await storage.writePartial('big.dump', Readable.from([data]));
    await storage.commit('big.dump');
    expect(await keys()).toEqual(['big.dump']);
    const copied = await sha256Of(await storage.read('big.dump'));
    expect(copied).toEqual({
      size: data.length,
      sha256: createHash('sha256').update(data).digest('hex'),
    });
    // an S3 multipart object's ETag ends in -<parts>: 5 + 5 + 2 MiB
    const head = await admin.send(
      new HeadObjectCommand({
        Bucket: stack.s3.bucket,
        Key: `${PREFIX}big.dump`,
      }),
    );
    expect(head.ETag).toMatch(/-3"?$/);
  });

  it('copies an object under the limit in one copy', async () => {
    const data = randomBytes(MiB);
    await storage.writePartial('small.dump', Readable.from([data]));
    await storage.commit('small.dump');
    const copied = await sha256Of(await storage.read('small.dump'));
    expect(copied.size).toBe(MiB);
    expect(await keys()).toEqual(['big.dump', 'small.dump']);
  });

  it('a commit of a missing partial fails and leaves nothing behind', async () => {
    await expect(storage.commit('never-written.dump')).rejects.toThrow();
    expect(await keys()).not.toContain('never-written.dump');
  });
});
