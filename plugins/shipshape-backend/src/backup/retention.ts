import { RetentionConfig } from './config';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** UTC day, ISO week and month of a time: the buckets of the daily, weekly, monthly tiers. */
function bucketsOf(t: number) {
  const d = new Date(t);
  const day = d.toISOString().slice(0, 10);
  // ISO week: the Thursday of the week decides its year
  const thursday = new Date(
    Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()),
  );
  thursday.setUTCDate(thursday.getUTCDate() + 3 - ((d.getUTCDay() + 6) % 7));
  const yearStart = Date.UTC(thursday.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((thursday.getTime() - yearStart) / DAY + 1) / 7);
  return {
    daily: day,
    weekly: `${thursday.getUTCFullYear()}-W${week}`,
    monthly: day.slice(0, 7),
  };
}

export interface RetentionDecision {
  id: string;
  /** Why it stays (`last`, `daily`, `weekly`, `monthly`, `min-age`, `newest`), or why it goes. */
  keep: boolean;
  why: string;
}

/**
 * Which of a target's verified backups (newest first) retention keeps: the newest
 * `keepLast`; the newest one of each of the `keepDaily` latest days, `keepWeekly` weeks and
 * `keepMonthly` months that have a backup; everything younger than `minAgeHours`; and always
 * the newest. Nothing older than `maxAgeDays` stays but the newest. A burst of backups fills
 * only `keepLast` and the current day, week and month, so older tiers survive it.
 */
export function retentionPlan(
  verified: Array<{ id: string; startedAt: string }>,
  r: RetentionConfig,
  now = Date.now(),
): RetentionDecision[] {
  const seen = {
    daily: new Set<string>(),
    weekly: new Set<string>(),
    monthly: new Set<string>(),
  };
  const limits = {
    daily: r.keepDaily,
    weekly: r.keepWeekly,
    monthly: r.keepMonthly,
  };
  return verified.map((b, i) => {
    const t = Date.parse(b.startedAt);
    const why: string[] = [];
    if (i === 0) why.push('newest');
    if (i < r.keepLast) why.push('last');
    const buckets = bucketsOf(t);
    for (const tier of ['daily', 'weekly', 'monthly'] as const) {
      const set = seen[tier];
      if (!set.has(buckets[tier]) && set.size < limits[tier]) {
        set.add(buckets[tier]);
        why.push(tier);
      }
    }
    if (now - t < r.minAgeHours * HOUR) why.push('min-age');
    if (i > 0 && now - t > r.maxAgeDays * DAY) {
      return {
        id: b.id,
        keep: false,
        why: `older than maxAgeDays ${r.maxAgeDays}`,
      };
    }
    return why.length
      ? { id: b.id, keep: true, why: why.join(',') }
      : {
          id: b.id,
          keep: false,
          why: `beyond keepLast ${r.keepLast}, not the newest of its day, week or month in keepDaily ${r.keepDaily}/keepWeekly ${r.keepWeekly}/keepMonthly ${r.keepMonthly}, older than minAgeHours ${r.minAgeHours}`,
        };
  });
}
