/**
 * A small SVG line of the error budget remaining over the window (burn-down), with the
 * zero line; no chart library. Theme colours (Backstage UI tokens): the accent colour, the
 * warning text colour under a quarter left, the negative text colour when spent.
 */
export function BudgetSparkline({
  points,
  width = 160,
  height = 36,
  title,
}: {
  points: { t: number; remaining: number | null }[];
  width?: number;
  height?: number;
  title: string;
}) {
  const values = points.filter(p => p.remaining !== null) as {
    t: number;
    remaining: number;
  }[];
  if (values.length < 2) return null;
  const lo = Math.min(0, ...values.map(v => v.remaining));
  const hi = Math.max(1, ...values.map(v => v.remaining));
  const pad = 2;
  const x = (i: number) =>
    pad + (i * (width - 2 * pad)) / Math.max(1, points.length - 1);
  const y = (v: number) =>
    pad + ((hi - v) * (height - 2 * pad)) / (hi - lo || 1);
  const d = points
    .map((p, i) =>
      p.remaining === null
        ? null
        : `${x(i).toFixed(1)},${y(p.remaining).toFixed(1)}`,
    )
    .filter(Boolean)
    .join(' ');
  const last = values[values.length - 1].remaining;
  let colour = 'var(--bui-accent-bg)';
  if (last < 0) colour = 'var(--bui-negative-fg-subdued)';
  else if (last < 0.25) colour = 'var(--bui-warning-fg-subdued)';
  return (
    <svg
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={title}
    >
      <title>{title}</title>
      <line
        x1={pad}
        x2={width - pad}
        y1={y(0)}
        y2={y(0)}
        style={{ stroke: 'var(--bui-fg-secondary)' }}
        strokeDasharray="3 3"
        strokeWidth={1}
      />
      <polyline
        points={d}
        fill="none"
        style={{ stroke: colour }}
        strokeWidth={2}
        data-testid="budget-sparkline"
      />
    </svg>
  );
}
