import { Line, LineChart, ReferenceLine, YAxis } from 'recharts';
import { isolatedDot, latest } from '../TimeChart';
import { COMPACT } from './compact';
import { percent } from './format';

/**
 * The SLO card's compact error-budget chart: the budget left over the window with the zero
 * line, drawn with recharts like the SLO tab's charts (`TimeChart`), without axes or grid. A
 * null point is a gap in the line (`connectNulls={false}`), never a bridge or a fall to zero.
 * Loaded lazily (`SloCard`), so recharts comes in the chunk the tab's charts use. Colours are
 * Backstage UI's tokens: the accent colour, the warning text colour under a quarter left, the
 * negative text colour when spent. Its name ends with the newest value, which the backend makes
 * the card's "… of the error budget left" figure (slo/service.ts).
 */
export default function BudgetChart({
  points,
  title,
}: {
  points: { t: number; remaining: number | null }[];
  title: string;
}) {
  const data = points.map(p => ({ t: p.t, value: p.remaining }));
  const last = latest(data)?.value;
  if (last === null || last === undefined) return null;
  let colour = 'var(--bui-accent-bg)';
  if (last < 0) colour = 'var(--bui-negative-fg-subdued)';
  else if (last < 0.25) colour = 'var(--bui-warning-fg-subdued)';
  const name = `${title}, ending at ${percent(last, 1)}`;
  return (
    <div
      role="img"
      aria-label={name}
      title={name}
      data-testid="budget-chart"
      style={COMPACT}
    >
      <LineChart
        width={COMPACT.width}
        height={COMPACT.height}
        data={data}
        margin={{ top: 2, right: 2, bottom: 2, left: 2 }}
        accessibilityLayer={false}
      >
        <YAxis
          hide
          domain={[
            (lo: number) => Math.min(0, lo),
            (hi: number) => Math.max(1, hi),
          ]}
        />
        <ReferenceLine
          y={0}
          stroke="var(--bui-fg-secondary)"
          strokeDasharray="3 3"
        />
        <Line
          dataKey="value"
          stroke={colour}
          strokeWidth={2}
          dot={isolatedDot(data, 2, colour)}
          isAnimationActive={false}
          connectNulls={false}
        />
      </LineChart>
    </div>
  );
}
