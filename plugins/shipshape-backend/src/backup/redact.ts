import { BackupRecord, DrillRecord } from './store';

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
