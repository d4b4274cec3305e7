/**
 * Reading the plugin's rows the same way on PostgreSQL and SQLite: SQLite hands timestamps
 * back as '2026-11-23 13:00:00.000' (UTC, no zone) or epoch millis, JSON as text and bigints as
 * strings.
 */

/** A timestamp column as an ISO string (UTC). */
export function isoOf(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number' || /^\d+$/.test(String(value))) {
    return new Date(Number(value)).toISOString();
  }
  const s = String(value);
  const d = new Date(s.includes('T') || s.endsWith('Z') ? s : `${s}Z`);
  return Number.isNaN(d.getTime()) ? s : d.toISOString();
}

/** A JSON column (text on SQLite, parsed already on PostgreSQL). */
export function jsonOf<T = any>(value: unknown): T | undefined {
  if (value === null || value === undefined) return undefined;
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

/** A numeric column (bigints arrive as strings). */
export function numberOf(value: unknown): number | undefined {
  return value === null || value === undefined ? undefined : Number(value);
}
