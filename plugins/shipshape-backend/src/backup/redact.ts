import { BackupConfig, PgConnection, StorageConfig } from './config';
import { BackupRecord, DrillRecord } from './store';

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
