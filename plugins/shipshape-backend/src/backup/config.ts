import { Config } from '@backstage/config';
import { InputError, NotFoundError } from '@backstage/errors';
import { SHIPSHAPE_ANNOTATIONS } from '@shipshape/plugin-shipshape-common';
import fs from 'fs';
import path from 'path';

/** Where a PostgreSQL server is and how to log in; the password is read on use, never stored. */
export interface PgConnection {
  host: string;
  port: number;
  user: string;
  database: string;
  passwordEnv?: string;
  passwordFile?: string;
}

export type StorageConfig =
  | { type: 'local'; directory: string }
  | {
      type: 's3';
      bucket: string;
      region: string;
      endpoint?: string;
      forcePathStyle?: boolean;
      prefix?: string;
      accessKeyIdEnv?: string;
      secretAccessKeyEnv?: string;
      accessKeyId?: string;
      secretAccessKey?: string;
      serverSideEncryption?: string;
    };

export interface RetentionConfig {
  /** Verified backups kept per target (newest first). */
  keepLast: number;
  /** Verified backups older than this are deleted (unless they are the last verified one). */
  maxAgeDays: number;
}

export interface BackupTarget {
  name: string;
  connection: PgConnection;
  storage: StorageConfig;
  /** A second storage each verified backup is copied to (another bucket or region). */
  copyTo?: StorageConfig;
  retention: RetentionConfig;
}

export interface BackupConfig {
  targets: Map<string, BackupTarget>;
  /** A superuser (CREATEDB) connection for restore drills; `database` is the maintenance DB. */
  drillConnection?: PgConnection;
  /** Folder with pg_dump/pg_restore; default: found on PATH. */
  binDir?: string;
  /** Longest an in-cluster backup Job is followed. */
  inClusterTimeoutMs: number;
}

/** Same shape as the backup-target annotation accepts. */
const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function readConnection(c: Config, where: string): PgConnection {
  const conn: PgConnection = {
    host: c.getString('host'),
    port: c.getOptionalNumber('port') ?? 5432,
    user: c.getString('user'),
    database: c.getOptionalString('database') ?? 'postgres',
    passwordEnv: c.getOptionalString('passwordEnv'),
    passwordFile: c.getOptionalString('passwordFile'),
  };
  if (conn.passwordEnv && conn.passwordFile) {
    throw new InputError(`${where}: set passwordEnv or passwordFile, not both`);
  }
  if (c.has('password') || c.has('url') || c.has('connectionString')) {
    throw new InputError(
      `${where}: put the password in an environment variable (passwordEnv) or a file (passwordFile), not in the config`,
    );
  }
  return conn;
}

function readStorage(c: Config, where: string): StorageConfig {
  const type = c.getString('type');
  if (type === 'local') {
    return { type, directory: path.resolve(c.getString('directory')) };
  }
  if (type === 's3') {
    return {
      type,
      bucket: c.getString('bucket'),
      region: c.getOptionalString('region') ?? 'us-east-1',
      endpoint: c.getOptionalString('endpoint'),
      forcePathStyle: c.getOptionalBoolean('forcePathStyle'),
      prefix: c.getOptionalString('prefix'),
      accessKeyIdEnv: c.getOptionalString('accessKeyIdEnv'),
      secretAccessKeyEnv: c.getOptionalString('secretAccessKeyEnv'),
      accessKeyId: c.getOptionalString('accessKeyId'),
      secretAccessKey: c.getOptionalString('secretAccessKey'),
      serverSideEncryption: c.getOptionalString('serverSideEncryption'),
    };
  }
  throw new InputError(`${where}.type is '${type}'; expected 'local' or 's3'`);
}

function sameStorage(a: StorageConfig, b: StorageConfig) {
  if (a.type === 'local' || b.type === 'local') {
    return a.type === b.type && (a as any).directory === (b as any).directory;
  }
  return (
    a.bucket === b.bucket &&
    (a.endpoint ?? '') === (b.endpoint ?? '') &&
    (a.prefix ?? '') === (b.prefix ?? '')
  );
}

function readRetention(c: Config | undefined, fallback: RetentionConfig) {
  const r = {
    keepLast: c?.getOptionalNumber('keepLast') ?? fallback.keepLast,
    maxAgeDays: c?.getOptionalNumber('maxAgeDays') ?? fallback.maxAgeDays,
  };
  if (!Number.isInteger(r.keepLast) || r.keepLast < 1) {
    throw new InputError(
      `shipshape.backup.retention.keepLast is ${r.keepLast}; expected an integer >= 1`,
    );
  }
  if (!(r.maxAgeDays > 0)) {
    throw new InputError(
      `shipshape.backup.retention.maxAgeDays is ${r.maxAgeDays}; expected a positive number`,
    );
  }
  return r;
}

/** Reads `shipshape.backup` (targets, storage, retention, drill); undefined when absent. */
export function readBackupConfig(config: Config): BackupConfig | undefined {
  const c = config.getOptionalConfig('shipshape.backup');
  if (!c) return undefined;
  const defaultStorage = c.has('storage')
    ? readStorage(c.getConfig('storage'), 'shipshape.backup.storage')
    : undefined;
  const retention = readRetention(c.getOptionalConfig('retention'), {
    keepLast: 7,
    maxAgeDays: 30,
  });
  const targets = new Map<string, BackupTarget>();
  (c.getOptionalConfigArray('targets') ?? []).forEach((t, i) => {
    const where = `shipshape.backup.targets[${i}]`;
    const name = t.getString('name');
    if (!NAME.test(name)) {
      throw new InputError(
        `${where}.name '${name}' must be lower-case letters, digits and '-' (the backup-target annotation's format)`,
      );
    }
    if (targets.has(name)) {
      throw new InputError(`${where}.name '${name}' is defined twice`);
    }
    const storage = t.has('storage')
      ? readStorage(t.getConfig('storage'), `${where}.storage`)
      : defaultStorage;
    if (!storage) {
      throw new InputError(
        `${where} (${name}) has no storage and shipshape.backup.storage is not set`,
      );
    }
    const copyTo = t.has('copyTo')
      ? readStorage(t.getConfig('copyTo'), `${where}.copyTo`)
      : undefined;
    if (copyTo && sameStorage(copyTo, storage)) {
      throw new InputError(
        `${where}.copyTo (${name}) is the same location as its storage; name another bucket, region or directory`,
      );
    }
    targets.set(name, {
      name,
      copyTo,
      connection: readConnection(
        t.getConfig('connection'),
        `${where}.connection`,
      ),
      storage,
      retention: readRetention(t.getOptionalConfig('retention'), retention),
    });
  });
  const drill = c.getOptionalConfig('drill.connection');
  return {
    targets,
    drillConnection: drill
      ? readConnection(drill, 'shipshape.backup.drill.connection')
      : undefined,
    binDir: c.getOptionalString('binDir'),
    ...runDefaults(c),
  };
}

/** The run settings of `shipshape.backup` (also for a backend without targets). */
export function runDefaults(c?: Config) {
  const positive = (key: string, fallback: number) => {
    const v = c?.getOptionalNumber(key) ?? fallback;
    if (!(v > 0)) {
      throw new InputError(
        `shipshape.backup.${key} is ${v}; expected a positive number`,
      );
    }
    return v;
  };
  return {
    inClusterTimeoutMs: positive('inClusterTimeoutMinutes', 60) * 60_000,
  };
}

/** The password of a connection, read now from its env variable or file ('' when none). */
export function passwordOf(conn: PgConnection, where: string): string {
  if (conn.passwordEnv) {
    const v = process.env[conn.passwordEnv];
    if (v === undefined) {
      throw new InputError(
        `${where}: environment variable ${conn.passwordEnv} (passwordEnv) is not set`,
      );
    }
    return v;
  }
  if (conn.passwordFile) {
    try {
      return fs.readFileSync(conn.passwordFile, 'utf8').trim();
    } catch (e: any) {
      throw new InputError(
        `${where}: cannot read passwordFile ${conn.passwordFile}: ${
          e.code ?? e.message
        }`,
      );
    }
  }
  return '';
}

/**
 * The backup target an entity names in its backup-target annotation. A connection string
 * there is refused (credentials do not belong in catalog-info.yaml); an unknown name gets
 * the list of configured ones.
 */
export function targetOfEntity(
  backup: BackupConfig | undefined,
  entityRef: string,
  annotations: Record<string, string> | undefined,
): BackupTarget {
  const spec = SHIPSHAPE_ANNOTATIONS.backupTarget;
  const raw = annotations?.[spec.name];
  if (raw === undefined) {
    throw new InputError(
      `${entityRef} has no ${spec.name} annotation; add one naming a target from app-config shipshape.backup.targets, e.g. ${spec.name}: ${spec.example}`,
    );
  }
  const parsed = spec.parse(raw);
  if (!parsed.ok) {
    throw new InputError(`${entityRef}: ${parsed.error}`);
  }
  if (!backup || backup.targets.size === 0) {
    throw new NotFoundError(
      `${entityRef} names backup target '${parsed.value}', but this backend has no shipshape.backup.targets configured`,
    );
  }
  const target = backup.targets.get(parsed.value);
  if (!target) {
    throw new NotFoundError(
      `${entityRef} names backup target '${parsed.value}' in ${
        spec.name
      }, which is not in app-config shipshape.backup.targets (configured: ${[
        ...backup.targets.keys(),
      ].join(', ')})`,
    );
  }
  return target;
}
