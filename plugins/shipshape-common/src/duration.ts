const UNITS: [number, string][] = [
  [86400, 'd'],
  [3600, 'h'],
  [60, 'm'],
  [1, 's'],
];

/**
 * A duration in seconds as the portal shows it everywhere, two units at most and no zero
 * second unit: "220ms" under a second (a small drill restores that fast), "45s", "1m 30s",
 * "15m", "2h 5m", "8h", "4d 3h", "30d". Whole seconds, rounded; each unit truncated.
 *
 * @public
 */
export function formatDuration(seconds: number): string {
  if (seconds > 0 && seconds < 0.9995) return `${Math.round(seconds * 1000)}ms`;
  const s = Math.max(0, Math.round(seconds));
  const i = UNITS.findIndex(([size]) => s >= size);
  if (i < 0) return '0s';
  const [size, unit] = UNITS[i];
  const first = `${Math.floor(s / size)}${unit}`;
  if (i === UNITS.length - 1) return first;
  const [nextSize, nextUnit] = UNITS[i + 1];
  const rest = Math.floor((s % size) / nextSize);
  return rest ? `${first} ${rest}${nextUnit}` : first;
}
