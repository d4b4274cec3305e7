import {
  TableCount,
  feedChild,
  serverMajorMinor,
  startList,
  startRowCount,
} from '../pg';
import { BackupStorage } from '../storage';
import { StepError, messageOf, tableName } from './context';
import { digestOf } from './digest';

/** What a stored dump must be. */
export interface ExpectedDump {
  size: number;
  sha256: string;
  /** The tables (and, with `rows`, their exact row counts) the dump must hold data for. */
  tables: TableCount[];
  /**
   * Also check what a dump someone else made claims: it was dumped from this database, holds
   * data for exactly `tables` (no more) and each table's COPY block has its row count; with
   * `serverVersion`, the archive names a server of the same major.minor.
   */
  strict?: { database: string; serverVersion?: string };
}

/**
 * Re-reads a stored dump and checks it: size and SHA-256 against `expected`, `pg_restore
 * --list` must read it and list TABLE DATA for every expected table; `strict` also counts the
 * rows of each table's data (`pg_restore --data-only`, in the same read) and checks the
 * database and server version (major.minor) the archive names. Throws StepError('fetch') when the object cannot be read and
 * StepError('verify') naming the first thing that differs. Used for the portal's own dumps
 * (runs/pgDump.ts, the partial object) and the chart CronJob's (runs/cronJob.ts).
 */
export async function verifyStoredDump(opts: {
  storage: BackupStorage;
  key: string;
  partial?: boolean;
  binDir?: string;
  expected: ExpectedDump;
  signal?: AbortSignal;
}): Promise<void> {
  const { storage, key, expected } = opts;
  const fail = (why: string) => new StepError('verify', why);
  const input = await storage
    .read(key, opts.partial, opts.signal)
    .catch((e: unknown) => {
      throw new StepError(
        'fetch',
        `reading ${storage.describe(key)} failed: ${messageOf(e)}`,
      );
    });
  const list = startList(opts.binDir);
  const count = expected.strict ? startRowCount(opts.binDir) : undefined;
  const measured = digestOf(input);
  await Promise.all([
    feedChild(input, list.child),
    count && feedChild(input, count.child),
  ]).catch((e: unknown) => {
    list.child.kill('SIGTERM');
    count?.child.kill('SIGTERM');
    throw new StepError(
      'fetch',
      `reading ${storage.describe(key)} failed: ${messageOf(e)}`,
    );
  });
  const [result, counted] = await Promise.all([list.result, count?.result]);
  const got = measured();
  if (got.size !== expected.size || got.sha256 !== expected.sha256) {
    throw fail(
      `stored object differs from what was dumped: ${got.size} bytes sha256 ${got.sha256}, expected ${expected.size} bytes sha256 ${expected.sha256}`,
    );
  }
  if (result.code !== 0) {
    throw fail(
      `pg_restore --list cannot read the stored dump: ${result.stderr.trim()}`,
    );
  }
  const names = expected.tables.map(tableName).sort();
  const missing = names.filter(t => !result.tables.includes(t));
  if (missing.length) {
    throw fail(`the stored dump has no data for ${missing.join(', ')}`);
  }
  if (!expected.strict || !counted) return;
  const { database } = expected.strict;
  if (result.database !== database) {
    throw fail(
      `the dump is of database ${
        result.database ?? '(not named)'
      }, not ${database}`,
    );
  }
  const claimed = expected.strict.serverVersion;
  if (
    claimed !== undefined &&
    (serverMajorMinor(claimed) === undefined ||
      serverMajorMinor(claimed) !== serverMajorMinor(result.serverVersion))
  ) {
    throw fail(
      `the dump was made from server version ${
        result.serverVersion ?? '(not named)'
      }, not ${claimed} as expected`,
    );
  }
  const extra = result.tables.filter(t => !names.includes(t));
  if (extra.length) {
    throw fail(
      `the dump holds data for ${extra.join(
        ', ',
      )}, which the manifest does not list`,
    );
  }
  if (counted.code !== 0) {
    throw fail(
      `pg_restore --data-only cannot read the stored dump: ${counted.stderr.trim()}`,
    );
  }
  const wrong = expected.tables
    .map(t => ({ t, rows: counted.rows.get(tableName(t)) ?? 0 }))
    .filter(({ t, rows }) => rows !== t.rows)
    .map(
      ({ t, rows }) => `${tableName(t)} holds ${rows} rows, expected ${t.rows}`,
    );
  if (wrong.length) {
    throw fail(`row counts differ: ${wrong.join('; ')}`);
  }
}
