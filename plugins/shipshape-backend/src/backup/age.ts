import { BackupAge } from '../schema/openapi/generated/models';

/** How far back the DR tab's chart looks when the caller gives no `days`. */
export const DEFAULT_AGE_DAYS = 7;
/** Points per chart when the caller gives none. */
export const DEFAULT_AGE_POINTS = 120;
/** The most backup records one chart reads: older ones are a gap, not an age. */
export const AGE_HISTORY_LIMIT = 5000;

/** What the chart needs of a backup record (the store's BackupRecord has it). */
export interface AgeBackup {
  status: string;
  /** When its data was taken: the RPO counts from it. */
  startedAt: string;
  finishedAt?: string;
  /** When the portal verified the stored dump: from then on one could restore from it. */
  verifiedAt?: string;
  deletedAt?: string;
}

/** A backup one could restore from: from `from` (verified) until `to` (deleted), data of `taken`. */
interface RestorePoint {
  taken: number;
  from: number;
  to: number;
}

const seconds = (iso: string) => Date.parse(iso) / 1000;

/**
 * The newest verified backup's age over the last `days` days, at most `points` points, each the
 * highest age during the step that ends at its t (so a breach of the RPO between two points
 * shows). A backup counts from when it was verified, by when its data was taken (its start, as
 * the DR grade and overview count it); one that retention deleted (it deletes only verified ones)
 * counts until then. Where no backup is known yet the value is null: a gap, never a fall to 0.
 */
export function backupAgeChart(input: {
  target: string;
  backups: AgeBackup[];
  now: Date;
  days: number;
  points: number;
  rpoSeconds?: number;
}): BackupAge {
  const { backups, days, points } = input;
  // now, rounded up to the second: a backup verified a moment ago is the last point's
  const to = Math.ceil(input.now.getTime() / 1000);
  const step = Math.max(60, Math.ceil((days * 86400) / points / 60) * 60);
  const count = Math.floor((days * 86400) / step);
  const from = to - count * step;

  const restorePoints: RestorePoint[] = backups.flatMap(b =>
    b.verifiedAt
      ? [
          {
            taken: seconds(b.startedAt),
            from: seconds(b.verifiedAt),
            to: b.deletedAt ? seconds(b.deletedAt) : Infinity,
          },
        ]
      : [],
  );
  /** The age at t of the newest backup one could restore from at t, if any. */
  const ageAt = (t: number) => {
    let taken = -Infinity;
    for (const p of restorePoints) {
      if (p.from <= t && t < p.to && p.taken > taken) taken = p.taken;
    }
    return taken === -Infinity ? undefined : Math.max(0, t - taken);
  };
  // the age rises between events and falls (or jumps) only at one: its highest in a step is at
  // the step's end or just before an event inside it
  const events = restorePoints.flatMap(p => [p.from, p.to]);
  const highest = (start: number, end: number) => {
    const ages = [
      ageAt(end),
      ...events.filter(e => e > start && e <= end).map(e => ageAt(e - 0.001)),
    ].filter((a): a is number => a !== undefined);
    return ages.length ? Math.round(Math.max(...ages)) : null;
  };

  const now = ageAt(to);
  const newest = restorePoints
    .filter(p => p.from <= to && to < p.to)
    .reduce<RestorePoint | undefined>(
      (a, p) => (!a || p.taken > a.taken ? p : a),
      undefined,
    );
  return {
    target: input.target,
    rpoSeconds: input.rpoSeconds,
    from,
    to,
    step,
    ageSeconds: now === undefined ? undefined : Math.round(now),
    lastBackupAt: newest && new Date(newest.taken * 1000).toISOString(),
    verified: restorePoints.filter(p => p.from > from && p.from <= to).length,
    failed: backups.filter(
      b =>
        b.status === 'failed' &&
        seconds(b.finishedAt ?? b.startedAt) > from &&
        seconds(b.finishedAt ?? b.startedAt) <= to,
    ).length,
    points: Array.from({ length: count }, (_, i) => {
      const t = from + (i + 1) * step;
      return { t, value: highest(t - step, t) };
    }),
  };
}
