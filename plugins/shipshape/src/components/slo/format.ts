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
