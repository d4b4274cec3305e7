/**
 * How the plugin shows a time, everywhere: `relativeTime` on cards ("7m ago"), and
 * `absoluteTime` where the moment itself matters (tables, tooltips, "as of"): UTC, the same in
 * every locale and browser time zone.
 */
import { formatDuration } from '@shipshape/plugin-shipshape-common';

/** A time as the API gives it (ISO 8601), epoch milliseconds or a Date. */
export type TimeValue = string | number | Date | null | undefined;

/** Shown for a missing or unreadable time, never "NaN" or "Invalid Date". */
export const NO_TIME = '–';

function millisOf(value: TimeValue): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  let ms: number;
  if (value instanceof Date) ms = value.getTime();
  else if (typeof value === 'number') ms = value;
  else ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

/** A moment's distance as formatDuration shows it, to the minute once it is a minute or more. */
const distance = (seconds: number) =>
  formatDuration(seconds < 60 ? seconds : seconds - (seconds % 60));

/**
 * `value` relative to `now` (default: the current time): "12s ago", "7m ago", "2h 5m ago", or
 * "in 3m" for a time in the future. `suffix: false` gives the elapsed span alone, as in "firing
 * for 7m" (a future time counts as now there: "0s").
 */
export function relativeTime(
  value: TimeValue,
  options: { now?: number | Date; suffix?: boolean } = {},
): string {
  const at = millisOf(value);
  const now = millisOf(options.now ?? Date.now());
  if (at === undefined || now === undefined) return NO_TIME;
  const seconds = Math.round((now - at) / 1000);
  if (options.suffix === false) return distance(Math.max(0, seconds));
  return seconds < 0 ? `in ${distance(-seconds)}` : `${distance(seconds)} ago`;
}

/** `value` to the minute in UTC: "2026-11-23 16:30 UTC". */
export function absoluteTime(value: TimeValue): string {
  const at = millisOf(value);
  if (at === undefined) return NO_TIME;
  return `${new Date(at).toISOString().replace('T', ' ').slice(0, 16)} UTC`;
}
