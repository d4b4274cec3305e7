import { ParseResult } from './parseResult';

/**
 * Where the golden-path chart's backup CronJob writes, inside a backup target's storage (the
 * target's bucket and `prefix` in app-config `shipshape.backup.targets`), and what it writes
 * beside each dump. The chart writes this layout and the portal reads it (docs/backup.md,
 * "Backups the CronJob makes"):
 *
 * `<storage prefix>cronjob/<target>/<environment>/<UTC stamp>.dump` (pg_dump custom format)
 * and, written after it, `<same key>.manifest.json` (a {@link CronJobBackupManifest}). Once the
 * portal has verified the dump against its manifest it writes `<same key>.verified` (a
 * {@link CronJobBackupMarker}) in each bucket that holds a verified copy; the chart's retention
 * never deletes the newest dump that has one.
 *
 * @public
 */
export const CRONJOB_BACKUP_LAYOUT = {
  /** The folder every CronJob backup is under, inside the target storage's prefix. */
  root: 'cronjob/',
  dumpSuffix: '.dump',
  manifestSuffix: '.manifest.json',
  /** The portal's marker of a verified dump (`<dump key>.verified`), which retention keeps. */
  verifiedSuffix: '.verified',
  /** The manifest's `format` (the only one there is). */
  format: 'shipshape.dev/cronjob-backup-v1',
  example: 'cronjob/payments-db/production/20261207T001500Z.dump',
} as const;

/**
 * A CronJob backup's object keys, as {@link parseCronJobBackupKey} reads them.
 *
 * @public
 */
export interface CronJobBackupKey {
  target: string;
  environment: string;
  /** When the CronJob's run started (from the key's UTC stamp). */
  at: Date;
  dumpKey: string;
  manifestKey: string;
  /** Where the portal marks the dump verified (`<dumpKey>.verified`). */
  verifiedKey: string;
}

/**
 * What the portal writes to a dump's `.verified` marker: which backup record verified it.
 *
 * @public
 */
export interface CronJobBackupMarker {
  /** The backup record (and engine operation) that verified the dump. */
  backupId: string;
  /** ISO time of the verification. */
  verifiedAt: string;
  /** The dump's SHA-256, as the portal verified it. */
  sha256: string;
}

/**
 * One table of the dump and its exact row count in the dump's snapshot.
 *
 * @public
 */
export interface CronJobBackupTable {
  schema: string;
  table: string;
  rows: number;
}

/**
 * The manifest the chart's CronJob writes beside a dump: what the dump must be. The portal
 * checks every field it can against the dump itself (size, SHA-256, database, tables, rows).
 *
 * @public
 */
export interface CronJobBackupManifest {
  format: typeof CRONJOB_BACKUP_LAYOUT.format;
  target: string;
  environment: string;
  service: string;
  /** The database dumped (`current_database()`). */
  database: string;
  /** `server_version` of the PostgreSQL server dumped. */
  serverVersion: string;
  /** ISO times: the snapshot was taken at `startedAt`, pg_dump ended at `finishedAt`. */
  startedAt: string;
  finishedAt: string;
  sizeBytes: number;
  sha256: string;
  /** Every user table with its exact row count, counted in the snapshot pg_dump dumped. */
  tables: CronJobBackupTable[];
}

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const STAMP = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/**
 * The key of a CronJob backup's dump, relative to the target storage's prefix.
 *
 * @public
 */
export function cronJobBackupKey(
  target: string,
  environment: string,
  at: Date,
): string {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${CRONJOB_BACKUP_LAYOUT.root}${target}/${environment}/${stamp}${CRONJOB_BACKUP_LAYOUT.dumpSuffix}`;
}

/**
 * Reads a key (relative to the target storage's prefix) of the CronJob layout: a dump or its
 * manifest. The error says what does not fit the layout.
 *
 * @public
 */
export function parseCronJobBackupKey(
  key: string,
): ParseResult<CronJobBackupKey> {
  const { root, dumpSuffix, manifestSuffix, example } = CRONJOB_BACKUP_LAYOUT;
  const fail = (why: string): ParseResult<CronJobBackupKey> => ({
    ok: false,
    error: `'${key}' is not a CronJob backup key (${root}<target>/<environment>/<YYYYMMDDTHHMMSSZ>${dumpSuffix}[${manifestSuffix}], e.g. ${example}): ${why}`,
  });
  if (!key.startsWith(root)) return fail(`it is not under ${root}`);
  const dumpKey = key.endsWith(manifestSuffix)
    ? key.slice(0, -manifestSuffix.length)
    : key;
  if (!dumpKey.endsWith(dumpSuffix)) {
    return fail(`it ends neither in ${dumpSuffix} nor ${manifestSuffix}`);
  }
  const parts = dumpKey.slice(root.length, -dumpSuffix.length).split('/');
  if (parts.length !== 3) {
    return fail(`expected 3 path segments, found ${parts.length}`);
  }
  const [target, environment, stamp] = parts;
  if (!NAME.test(target)) return fail(`'${target}' is not a target name`);
  if (!NAME.test(environment)) {
    return fail(`'${environment}' is not an environment name`);
  }
  const m = STAMP.exec(stamp);
  const at = m
    ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]))
    : undefined;
  if (!at || Number.isNaN(at.getTime())) {
    return fail(`'${stamp}' is not a UTC stamp`);
  }
  return {
    ok: true,
    value: {
      target,
      environment,
      at,
      dumpKey,
      manifestKey: dumpKey + manifestSuffix,
      verifiedKey: dumpKey + CRONJOB_BACKUP_LAYOUT.verifiedSuffix,
    },
  };
}

const isIso = (v: unknown) =>
  typeof v === 'string' && !Number.isNaN(Date.parse(v));

/**
 * Reads a CronJob backup manifest (parsed JSON). Errors name the field.
 *
 * @public
 */
export function parseCronJobBackupManifest(
  json: unknown,
): ParseResult<CronJobBackupManifest> {
  const fail = (why: string): ParseResult<CronJobBackupManifest> => ({
    ok: false,
    error: `backup manifest: ${why}`,
  });
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return fail('not a JSON object');
  }
  const m = json as Record<string, unknown>;
  if (m.format !== CRONJOB_BACKUP_LAYOUT.format) {
    return fail(
      `format is ${JSON.stringify(m.format)}; expected '${
        CRONJOB_BACKUP_LAYOUT.format
      }'`,
    );
  }
  for (const f of [
    'target',
    'environment',
    'service',
    'database',
    'serverVersion',
  ]) {
    if (typeof m[f] !== 'string' || !m[f]) return fail(`${f} is missing`);
  }
  for (const f of ['startedAt', 'finishedAt']) {
    if (!isIso(m[f])) return fail(`${f} is not an ISO time`);
  }
  if (Date.parse(m.startedAt as string) > Date.parse(m.finishedAt as string)) {
    return fail(`startedAt ${m.startedAt} is after finishedAt ${m.finishedAt}`);
  }
  if (!Number.isSafeInteger(m.sizeBytes) || (m.sizeBytes as number) <= 0) {
    return fail('sizeBytes is not a positive integer');
  }
  if (typeof m.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(m.sha256)) {
    return fail('sha256 is not 64 lower-case hex digits');
  }
  if (!Array.isArray(m.tables)) return fail('tables is not a list');
  const tables: CronJobBackupTable[] = [];
  for (const [i, t] of (m.tables as unknown[]).entries()) {
    const r = t as Record<string, unknown> | null;
    if (
      !r ||
      typeof r.schema !== 'string' ||
      typeof r.table !== 'string' ||
      !Number.isSafeInteger(r.rows) ||
      (r.rows as number) < 0
    ) {
      return fail(
        `tables[${i}] is not {schema, table, rows} with rows a count`,
      );
    }
    tables.push({ schema: r.schema, table: r.table, rows: r.rows as number });
  }
  return {
    ok: true,
    value: {
      format: CRONJOB_BACKUP_LAYOUT.format,
      target: m.target as string,
      environment: m.environment as string,
      service: m.service as string,
      database: m.database as string,
      serverVersion: m.serverVersion as string,
      startedAt: m.startedAt as string,
      finishedAt: m.finishedAt as string,
      sizeBytes: m.sizeBytes as number,
      sha256: m.sha256,
      tables,
    },
  };
}
