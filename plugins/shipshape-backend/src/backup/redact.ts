import { BackupConfig, PgConnection, StorageConfig } from './config';
import { BackupRecord, DrillRecord } from './store';
import { Operation } from '../operations/store';

/**
 * Takes the locations of the backup config out of a message (`s3://…` objects, endpoints,
 * local directories, database hosts and ports become `…`): for operation log lines, which
 * anyone who can see the entity may read (the backend's own log and the backup record keep
 * the full text).
 */
export function locationRedactor(config: BackupConfig): (m: string) => string {
  const literal = new Set<string>(); // endpoints, directories: never prose
  const hosts = new Set<string>(); // replaced as whole words ('db' stays in 'payments-db')
  const conn = (c?: PgConnection) => {
    if (!c) return;
    hosts.add(`${c.host}:${c.port}`);
    hosts.add(c.host);
  };
  const store = (s?: StorageConfig) => {
    if (s?.type === 'local') literal.add(s.directory);
    else if (s?.endpoint) literal.add(s.endpoint.replace(/\/+$/, ''));
  };
  conn(config.drillConnection);
  for (const t of config.targets.values()) {
    conn(t.connection);
    store(t.storage);
    store(t.copyTo);
  }
  const escape = (w: string) => w.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const byLength = (a: string, b: string) => b.length - a.length;
  const patterns = [
    /s3:\/\/[^\s)]+/g,
    ...[...literal].sort(byLength).map(w => new RegExp(escape(w), 'g')),
    ...[...hosts]
      .sort(byLength)
      .map(w => new RegExp(`(?<![\\w.-])${escape(w)}(?![\\w-])`, 'g')),
  ];
  return m =>
    patterns.reduce(
      (out, p) => out.replace(p, x => (x.startsWith('s3://') ? 's3://…' : '…')),
      m,
    );
}

/**
 * A backup record for a reader who may not run backups of the entity: its status, times and
 * totals, without table names, storage key, location or error text (which name hosts,
 * buckets and paths).
 */
export function redactBackup(b: BackupRecord) {
  const { storageKey, location, tables, error, sha256, ...rest } = b;
  return {
    ...rest,
    tableCount: tables?.length,
    rowCount: tables?.reduce((n, t) => n + t.rows, 0),
    redacted: true,
  };
}

/** A drill record for such a reader: outcome and totals, no tables, database or error. */
export function redactDrill(d: DrillRecord) {
  const { comparison, databaseName, error, ...rest } = d;
  return {
    ...rest,
    tableCount: comparison?.length,
    mismatchedTables: comparison?.filter(c => !c.ok).length,
    redacted: true,
  };
}

/** What of a backup or drill operation's input a reader sees (the Activity tab names them). */
const READABLE_INPUT = ['target', 'method', 'environment', 'backupId'];

/**
 * A backup or restore-drill operation for a reader who may not run backups of the entity: its
 * status and, when it failed, the step (`failed at dump`). The outcome text (a database host
 * and user, a checksum, a Job's cluster and namespace) and the rest of the input (a
 * manifest's key, a Job's name) are left out (`redacted: true` says so); the operations
 * router withholds the log too.
 */
export function redactOperation<T extends Operation>(op: T): T {
  const step = (op.result as { failedStep?: string } | undefined)?.failedStep;
  const outcome =
    op.status === 'failed' ? `failed at ${step ?? 'start'}` : op.status;
  const input = (op.input ?? {}) as Record<string, unknown>;
  return {
    ...op,
    redacted: true,
    input: Object.fromEntries(
      READABLE_INPUT.filter(k => k in input).map(k => [k, input[k]]),
    ),
    outcomeReason:
      op.outcomeReason === undefined
        ? undefined
        : `${outcome} (the details and the log are shown to those who may run backups of ${op.entityRef})`,
  };
}
