/** Formatting shared by the SLO card's parts. */

export function percent(ratio: number | null | undefined, digits = 2): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio))
    return '–';
  return `${(ratio * 100).toFixed(digits).replace(/\.?0+$/, '')}%`;
}

export function burn(rate: number | null | undefined): string {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return '–';
  return `${rate >= 10 ? rate.toFixed(0) : rate.toFixed(1)}x`;
}

/** "3m", "2h 5m", "4d 3h" since an ISO time. */
export function age(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}
