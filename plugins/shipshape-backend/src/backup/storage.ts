import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  ServerSideEncryption,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import fs from 'fs';
import path from 'path';
import { Readable } from 'stream';
import { pipeline } from 'stream/promises';
import { StorageConfig } from './config';

/**
 * Where backup files go. A backup is written to `<key>.partial`, verified there, and only
 * then committed to `<key>`; a failure discards the partial object, so a final object
 * always is a verified one.
 */
export interface BackupStorage {
  readonly type: 'local' | 's3';
  /** Streams `body` to `<key>.partial`. */
  writePartial(key: string, body: Readable): Promise<void>;
  /** Reads the partial (before commit) or final object. */
  /** `signal` aborts a read that has not answered yet (a backend shutting down). */
  read(key: string, partial?: boolean, signal?: AbortSignal): Promise<Readable>;
  /** Moves `<key>.partial` to `<key>`. */
  commit(key: string): Promise<void>;
  /** Removes `<key>.partial` and `<key>`, ignoring ones that do not exist. */
  discard(key: string): Promise<void>;
  exists(key: string, partial?: boolean): Promise<boolean>;
  /** The objects whose key starts with `prefix` (keys relative to the storage, as `read` takes). */
  list(prefix: string): Promise<StoredObject[]>;
  /** Human-readable location (no credentials), for records and messages. */
  describe(key: string): string;
}

/** An object in a storage, as `list` finds it; `modifiedAt` is the store's clock. */
export interface StoredObject {
  key: string;
  sizeBytes: number;
  modifiedAt: Date;
}

export const PARTIAL_SUFFIX = '.partial';

class LocalStorage implements BackupStorage {
  readonly type = 'local' as const;
  constructor(private readonly directory: string) {}

  private file(key: string, partial = false) {
    const file = path.resolve(
      this.directory,
      key + (partial ? PARTIAL_SUFFIX : ''),
    );
    if (!file.startsWith(path.resolve(this.directory) + path.sep)) {
      throw new Error(`backup key '${key}' leaves the storage directory`);
    }
    return file;
  }

  async writePartial(key: string, body: Readable) {
    const file = this.file(key, true);
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    await pipeline(body, fs.createWriteStream(file, { mode: 0o600 }));
    // Durable before it is verified and renamed.
    const handle = await fs.promises.open(file, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  async read(key: string, partial = false) {
    const file = this.file(key, partial);
    await fs.promises.access(file);
    return fs.createReadStream(file);
  }

  async commit(key: string) {
    const final = this.file(key);
    await fs.promises.rename(this.file(key, true), final);
    // Make the rename itself durable.
    const dir = await fs.promises.open(path.dirname(final), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  async discard(key: string) {
    for (const f of [this.file(key, true), this.file(key)]) {
      await fs.promises.rm(f, { force: true });
    }
  }

  async exists(key: string, partial = false) {
    return fs.existsSync(this.file(key, partial));
  }

  async list(prefix: string) {
    const root = path.resolve(this.directory);
    const out: StoredObject[] = [];
    const walk = async (dir: string) => {
      const entries = await fs.promises
        .readdir(dir, { withFileTypes: true })
        .catch(e => (e.code === 'ENOENT' ? [] : Promise.reject(e)));
      for (const e of entries) {
        const file = path.join(dir, e.name);
        if (e.isDirectory()) await walk(file);
        const key = path.relative(root, file).split(path.sep).join('/');
        if (!e.isFile() || !key.startsWith(prefix)) continue;
        const st = await fs.promises.stat(file);
        out.push({ key, sizeBytes: st.size, modifiedAt: st.mtime });
      }
    };
    await walk(root);
    return out.sort((a, b) => a.key.localeCompare(b.key));
  }

  describe(key: string) {
    // '' is the directory itself (where a CronJob backup discovery pass lists)
    return key ? this.file(key) : path.resolve(this.directory) + path.sep;
  }
}

function envOrThrow(name: string, what: string): string {
  const v = process.env[name];
  if (!v) {
    throw new Error(`S3 ${what}: environment variable ${name} is not set`);
  }
  return v;
}

/**
 * S3 copies at most 5 GiB in one CopyObject: a bigger backup is committed by a multipart
 * copy of parts this size (S3 allows 5 MiB to 5 GiB per part, at most 10,000 parts).
 */
export const S3_COPY_LIMITS = {
  singleCopyMaxBytes: 5 * 1024 ** 3,
  partBytes: 1024 ** 3,
};

class S3Storage implements BackupStorage {
  readonly type = 's3' as const;
  private readonly client: S3Client;
  constructor(
    private readonly cfg: Extract<StorageConfig, { type: 's3' }>,
    private readonly copyLimits = S3_COPY_LIMITS,
  ) {
    let credentials;
    if (cfg.accessKeyIdEnv || cfg.secretAccessKeyEnv) {
      credentials = {
        accessKeyId: envOrThrow(cfg.accessKeyIdEnv ?? '', 'accessKeyIdEnv'),
        secretAccessKey: envOrThrow(
          cfg.secretAccessKeyEnv ?? '',
          'secretAccessKeyEnv',
        ),
      };
    } else if (cfg.accessKeyId && cfg.secretAccessKey) {
      credentials = {
        accessKeyId: cfg.accessKeyId,
        secretAccessKey: cfg.secretAccessKey,
      };
    }
    this.client = new S3Client({
      region: cfg.region,
      endpoint: cfg.endpoint,
      forcePathStyle: cfg.forcePathStyle,
      credentials,
      maxAttempts: 2,
      // A store that stops answering fails the request (and the run's step) instead of hanging.
      requestHandler: {
        connectionTimeout: 10_000,
        requestTimeout: cfg.requestTimeoutMs,
        // without it the SDK only logs a warning and keeps waiting
        throwOnRequestTimeout: true,
      },
    });
  }

  private key(key: string, partial = false) {
    return `${this.cfg.prefix ?? ''}${key}${partial ? PARTIAL_SUFFIX : ''}`;
  }

  private get sse() {
    return this.cfg.serverSideEncryption as ServerSideEncryption | undefined;
  }

  async writePartial(key: string, body: Readable) {
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.cfg.bucket,
        Key: this.key(key, true),
        Body: body,
        ContentType: 'application/octet-stream',
        ServerSideEncryption: this.sse,
      },
      partSize: 8 * 1024 * 1024,
      queueSize: 2,
      leavePartsOnError: false,
    });
    await upload.done();
  }

  async read(key: string, partial = false, signal?: AbortSignal) {
    const res = await this.client.send(
      new GetObjectCommand({
        Bucket: this.cfg.bucket,
        Key: this.key(key, partial),
      }),
      { abortSignal: signal },
    );
    return res.Body as Readable;
  }

  async commit(key: string) {
    const source = `${this.cfg.bucket}/${encodeURIComponent(
      this.key(key, true),
    ).replace(/%2F/g, '/')}`;
    const head = await this.client.send(
      new HeadObjectCommand({
        Bucket: this.cfg.bucket,
        Key: this.key(key, true),
      }),
    );
    const size = head.ContentLength ?? 0;
    if (size > this.copyLimits.singleCopyMaxBytes) {
      await this.multipartCopy(source, this.key(key), size);
    } else {
      await this.client.send(
        new CopyObjectCommand({
          Bucket: this.cfg.bucket,
          Key: this.key(key),
          CopySource: source,
          ServerSideEncryption: this.sse,
        }),
      );
    }
    await this.client.send(
      new DeleteObjectCommand({
        Bucket: this.cfg.bucket,
        Key: this.key(key, true),
      }),
    );
  }

  /** Copies `source` (bucket/key) of `size` bytes to `key` part by part; aborts on failure. */
  private async multipartCopy(source: string, key: string, size: number) {
    const { UploadId } = await this.client.send(
      new CreateMultipartUploadCommand({
        Bucket: this.cfg.bucket,
        Key: key,
        ServerSideEncryption: this.sse,
      }),
    );
    try {
      const parts = [];
      const { partBytes } = this.copyLimits;
      for (let start = 0, n = 1; start < size; start += partBytes, n++) {
        const end = Math.min(start + partBytes, size) - 1;
        const { CopyPartResult } = await this.client.send(
          new UploadPartCopyCommand({
            Bucket: this.cfg.bucket,
            Key: key,
            UploadId,
            PartNumber: n,
            CopySource: source,
            CopySourceRange: `bytes=${start}-${end}`,
          }),
        );
        parts.push({ PartNumber: n, ETag: CopyPartResult?.ETag });
      }
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.cfg.bucket,
          Key: key,
          UploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
    } catch (e) {
      await this.client
        .send(
          new AbortMultipartUploadCommand({
            Bucket: this.cfg.bucket,
            Key: key,
            UploadId,
          }),
        )
        .catch(() => {});
      throw e;
    }
  }

  async discard(key: string) {
    for (const k of [this.key(key, true), this.key(key)]) {
      await this.client.send(
        new DeleteObjectCommand({ Bucket: this.cfg.bucket, Key: k }),
      );
    }
  }

  async exists(key: string, partial = false) {
    try {
      await this.client.send(
        new HeadObjectCommand({
          Bucket: this.cfg.bucket,
          Key: this.key(key, partial),
        }),
      );
      return true;
    } catch (e: any) {
      if (e?.$metadata?.httpStatusCode === 404 || e?.name === 'NotFound') {
        return false;
      }
      throw e;
    }
  }

  async list(prefix: string) {
    const out: StoredObject[] = [];
    const base = this.cfg.prefix ?? '';
    let token: string | undefined;
    do {
      const res = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.cfg.bucket,
          Prefix: base + prefix,
          ContinuationToken: token,
        }),
      );
      for (const o of res.Contents ?? []) {
        if (!o.Key?.startsWith(base)) continue;
        out.push({
          key: o.Key.slice(base.length),
          sizeBytes: o.Size ?? 0,
          modifiedAt: o.LastModified ?? new Date(0),
        });
      }
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  describe(key: string) {
    return `s3://${this.cfg.bucket}/${this.key(key)}`;
  }
}

export function createStorage(
  cfg: StorageConfig,
  s3CopyLimits = S3_COPY_LIMITS,
): BackupStorage {
  return cfg.type === 'local'
    ? new LocalStorage(cfg.directory)
    : new S3Storage(cfg, s3CopyLimits);
}
