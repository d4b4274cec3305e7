import { Config } from '@backstage/config';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError, NotAllowedError, NotFoundError } from '@backstage/errors';
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
      /** A request that sends or receives nothing for this long fails (requestTimeoutSeconds). */
      requestTimeoutMs: number;
    };

/**
 * Which verified backups a target keeps: the union of the newest `keepLast`, the newest of
 * each of the last `keepDaily` days, `keepWeekly` ISO weeks and `keepMonthly` months (UTC),
 * and every one younger than `minAgeHours` (so a burst of backups cannot push history out).
 * Nothing older than `maxAgeDays` is kept, except the newest verified backup.
 */
export interface RetentionConfig {
  keepLast: number;
  keepDaily: number;
  keepWeekly: number;
  keepMonthly: number;
  minAgeHours: number;
  maxAgeDays: number;
}

export interface BackupTarget {
  name: string;
  connection: PgConnection;
  storage: StorageConfig;
  /** A second storage each verified backup is copied to (another bucket or region). */
  copyTo?: StorageConfig;
  retention: RetentionConfig;
  /**
   * The entities (lower-case refs) that may back up, drill and read this target: admin
   * configuration, because an entity's backup-target annotation is only a claim.
   */
  allowedEntities: string[];
}

export interface BackupConfig {
  targets: Map<string, BackupTarget>;
  /**
   * The restore drills' connection: a role with CREATEDB and nothing more (a superuser is
   * refused); `database` is the maintenance DB.
   */
  drillConnection?: PgConnection;
  /** How often leftover drill databases are swept (they are also swept at start). */
  drillSweepMinutes: number;
  /** Folder with pg_dump/pg_restore; default: found on PATH. */
  binDir?: string;
  /** Longest an in-cluster backup Job is followed. */
  inClusterTimeoutMs: number;
  /**
   * Deadlines (shipshape.backup.timeouts): pg_dump's wait for a table lock, one SQL statement
   * (row counts, the drill's CREATE/DROP DATABASE), a whole pg_dump and a whole pg_restore.
   * A run past one fails at its step, saying which deadline, and frees its target.
   */
  timeouts: {
    lockWaitMs: number;
    statementMs: number;
    dumpMs: number;
    restoreMs: number;
  };
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
      requestTimeoutMs:
        (c.getOptionalNumber('requestTimeoutSeconds') ?? 60) * 1000,
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

function readRetention(
  c: Config | undefined,
  fallback: RetentionConfig,
  where: string,
): RetentionConfig {
  const r = { ...fallback };
  for (const key of Object.keys(fallback) as (keyof RetentionConfig)[]) {
    r[key] = c?.getOptionalNumber(key) ?? fallback[key];
    const v = r[key];
    const ok =
      key === 'maxAgeDays'
        ? v > 0
        : Number.isInteger(v) && v >= (key === 'keepLast' ? 1 : 0);
    if (!ok) {
      throw new InputError(
        `${where}.${key} is ${v}; expected ${
          key === 'maxAgeDays'
            ? 'a positive number'
            : `an integer >= ${key === 'keepLast' ? 1 : 0}`
        }`,
      );
    }
  }
  return r;
}

/** An entity ref as records store it: full form, lower case (kind defaults to component). */
function normalRef(ref: string, where: string): string {
  try {
    return stringifyEntityRef(
      parseEntityRef(ref, {
        defaultKind: 'component',
        defaultNamespace: 'default',
      }),
    ).toLocaleLowerCase('en-US');
  } catch (e: any) {
    throw new InputError(
      `${where}: '${ref}' is not an entity ref (${e.message})`,
    );
  }
}

/** Reads `shipshape.backup` (targets, storage, retention, drill); undefined when absent. */
export function readBackupConfig(config: Config): BackupConfig | undefined {
  const c = config.getOptionalConfig('shipshape.backup');
  if (!c) return undefined;
  const defaultStorage = c.has('storage')
    ? readStorage(c.getConfig('storage'), 'shipshape.backup.storage')
    : undefined;
  const retention = readRetention(
    c.getOptionalConfig('retention'),
    {
      keepLast: 7,
      keepDaily: 7,
      keepWeekly: 4,
      keepMonthly: 0,
      minAgeHours: 24,
      maxAgeDays: 30,
    },
    'shipshape.backup.retention',
  );
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
      retention: readRetention(
        t.getOptionalConfig('retention'),
        retention,
        `${where}.retention`,
      ),
      allowedEntities: (t.getOptionalStringArray('allowedEntities') ?? []).map(
        (r, j) => normalRef(r, `${where}.allowedEntities[${j}]`),
      ),
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
    drillSweepMinutes: positive('drill.sweepMinutes', 60),
    timeouts: {
      lockWaitMs: positive('timeouts.lockWaitSeconds', 60) * 1000,
      statementMs: positive('timeouts.statementSeconds', 1800) * 1000,
      dumpMs: positive('timeouts.dumpMinutes', 120) * 60_000,
      restoreMs: positive('timeouts.restoreMinutes', 120) * 60_000,
    },
  };
}

/**
 * The environment variables the backup config names (passwordEnv, accessKeyIdEnv,
 * secretAccessKeyEnv) that are not set: one line per variable, naming it and the keys that
 * name it, for the log at start (a backup that needs one fails later with the same name).
 */
export function unsetEnvironment(backup: BackupConfig): string[] {
  const unset = new Map<string, string[]>();
  const need = (name: string | undefined, key: string, emptyOk = false) => {
    const v = name ? process.env[name] : '';
    if (name && (v === undefined || (!emptyOk && v === ''))) {
      unset.set(name, [...(unset.get(name) ?? []), key]);
    }
  };
  const storage = (s: StorageConfig | undefined, key: string) => {
    if (s?.type !== 's3') return;
    need(s.accessKeyIdEnv, `${key}.accessKeyIdEnv`);
    need(s.secretAccessKeyEnv, `${key}.secretAccessKeyEnv`);
  };
  for (const t of backup.targets.values()) {
    const key = `shipshape.backup.targets[name=${t.name}]`;
    need(t.connection.passwordEnv, `${key}.connection.passwordEnv`, true);
    storage(t.storage, `${key}.storage`);
    storage(t.copyTo, `${key}.copyTo`);
  }
  const drill = 'shipshape.backup.drill.connection.passwordEnv';
  need(backup.drillConnection?.passwordEnv, drill, true);
  return [...unset].map(
    ([name, keys]) =>
      `environment variable ${name} is not set (named by ${keys.join(
        ', ',
      )}): backups and restore drills that need it will fail`,
  );
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

/** Refuses (403) an entity the target's allowedEntities does not list, naming the key to set. */
export function assertEntityMayUse(target: BackupTarget, entityRef: string) {
  const ref = entityRef.toLocaleLowerCase('en-US');
  if (target.allowedEntities.includes(ref)) return;
  const key = `shipshape.backup.targets[name=${target.name}].allowedEntities`;
  throw new NotAllowedError(
    target.allowedEntities.length
      ? `${ref} may not use backup target '${
          target.name
        }': only ${target.allowedEntities.join(
          ', ',
        )} may (app-config ${key}); an entity's backup-target annotation is a claim, an admin adds the entity to ${key}`
      : `${ref} may not use backup target '${target.name}': no entity may until an admin lists it in app-config ${key}`,
  );
}

/**
 * The backup target an entity names in its backup-target annotation, if the target's
 * allowedEntities lists the entity (NotAllowedError naming the key otherwise). A connection
 * string there is refused (credentials do not belong in catalog-info.yaml); an unknown name
 * gets the list of configured ones.
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
  assertEntityMayUse(target, entityRef);
  return target;
}
