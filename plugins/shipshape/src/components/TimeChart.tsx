import { Text } from '@backstage/ui';
import { ShipshapeOpenApi } from '@shipshape/plugin-shipshape-common';
import {
  CartesianGrid,
  Line,
  LineChart,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { absoluteTime } from './time';

/** A point of a chart over time: t in Unix seconds, null where there is no data (a gap). */
export type TimePoint = ShipshapeOpenApi.SloChartPoint;

/** A tick of a chart over days: "9 Nov" (UTC). */
export const day = (t: number) =>
  new Date(t * 1000).toLocaleDateString('en-GB', {
    day: 'numeric',
    month: 'short',
    timeZone: 'UTC',
  });

/** Steps of a time axis: 1, 3, 6, 12 h, 1, 2, 4, 7 days. */
const TIME_STEPS = [1, 3, 6, 12, 24, 48, 96, 168].map(h => h * 3600);

/**
 * Evenly spaced ticks of a time axis from `from` to `to` (Unix seconds): whole multiples of the
 * smallest round step that gives at most `max` ticks, so a day step falls on midnight UTC (the
 * chart library's own ticks follow the points and fell 1, 2 or 3 days apart).
 */
export function timeTicks(from: number, to: number, max = 8): number[] {
  const step =
    TIME_STEPS.find(s => (to - from) / s < max) ??
    TIME_STEPS[TIME_STEPS.length - 1];
  const ticks: number[] = [];
  for (let t = Math.ceil(from / step) * step; t <= to; t += step) ticks.push(t);
  return ticks;
}

/** The newest point with data, if any. */
export function latest(points: TimePoint[]): TimePoint | undefined {
  for (let i = points.length - 1; i >= 0; i--) {
    if (points[i].value !== null) return points[i];
  }
  return undefined;
}

/** Whether the point at i has data and its neighbours have none (no line reaches it). */
export function isolated(points: TimePoint[], i: number): boolean {
  return (
    points[i]?.value !== null &&
    points[i]?.value !== undefined &&
    (points[i - 1]?.value ?? null) === null &&
    (points[i + 1]?.value ?? null) === null
  );
}

/**
 * recharts' `dot` for a line that draws no dots but for isolated points: a point with gaps on
 * both sides has no line, so a dot shows it.
 */
export function isolatedDot(points: TimePoint[], r: number, fill: string) {
  return (dot: unknown) => {
    const { cx, cy, index } = dot as {
      cx?: number;
      cy?: number;
      index: number;
    };
    return isolated(points, index) && cx !== undefined && cy !== undefined ? (
      <circle key={index} cx={cx} cy={cy} r={r} fill={fill} />
    ) : (
      <g key={index} />
    );
  };
}

const GRID = 'var(--bui-border-1)';
const AXIS = 'var(--bui-border-2)';
const TEXT = 'var(--bui-fg-primary)';
const LINE = 'var(--bui-accent-bg)';
const REFERENCE = 'var(--bui-negative-fg-subdued)';

/**
 * One line over time with a dashed reference line, in a figure whose caption says in words what
 * the line shows (the chart is not the only way to read it). A null value is a gap in the line.
 * Drawn with recharts: import it only from a lazily loaded module (a tab), so the library loads
 * with that tab and not with the overview's cards. Colours are Backstage UI's tokens (both themes):
 * the line in the accent colour, the reference line in the negative text colour, axis labels in
 * the primary text colour (the secondary grey is under 4.5:1 on the dark card).
 */
export function TimeChart(props: {
  label: string;
  summary: string;
  points: TimePoint[];
  format: (v: number) => string;
  tick: (t: number) => string;
  reference?: {
    y: number;
    label: string;
    /** Where the label sits: below the line (default) or above it (a line at the bottom). */
    above?: boolean;
  };
  domain?: [number | 'auto', number | 'auto'];
  /** The y axis' ticks, when recharts' own would fall between round values (durations). */
  ticks?: number[];
  /** The time axis' ticks (`timeTicks`); recharts' own follow the points, unevenly. */
  timeTicks?: number[];
}) {
  return (
    <figure style={{ margin: 0 }}>
      <figcaption>
        <Text variant="body-medium" weight="bold">
          {props.label}
        </Text>
      </figcaption>
      <Text as="p" variant="body-small">
        {props.summary}
      </Text>
      <div
        role="img"
        aria-label={`${props.label}: ${props.summary}`}
        style={{ height: 180 }}
      >
        <ResponsiveContainer width="100%" height="100%">
          <LineChart
            data={props.points}
            margin={{ top: 8, right: 16, bottom: 0, left: 0 }}
            accessibilityLayer={false}
          >
            <CartesianGrid stroke={GRID} />
            <XAxis
              dataKey="t"
              type="number"
              domain={['dataMin', 'dataMax']}
              ticks={props.timeTicks}
              tickFormatter={props.tick}
              stroke={AXIS}
              tick={{ fill: TEXT }}
              fontSize={12}
            />
            <YAxis
              tickFormatter={props.format}
              domain={props.domain ?? ['auto', 'auto']}
              ticks={props.ticks}
              stroke={AXIS}
              tick={{ fill: TEXT }}
              fontSize={12}
              width={56}
            />
            <Tooltip
              labelFormatter={t => absoluteTime(Number(t) * 1000)}
              formatter={v => (typeof v === 'number' ? props.format(v) : '–')}
              contentStyle={{
                background: 'var(--bui-bg-neutral-1)',
                color: TEXT,
                border: `1px solid ${AXIS}`,
              }}
            />
            {props.reference ? (
              <ReferenceLine
                y={props.reference.y}
                ifOverflow="extendDomain"
                stroke={REFERENCE}
                strokeDasharray="4 4"
                label={{
                  value: props.reference.label,
                  fill: TEXT,
                  fontSize: 12,
                  position: props.reference.above
                    ? 'insideBottomRight'
                    : 'insideTopRight',
                }}
              />
            ) : null}
            <Line
              dataKey="value"
              name={props.label}
              stroke={LINE}
              strokeWidth={2}
              dot={isolatedDot(props.points, 3, LINE)}
              isAnimationActive={false}
              connectNulls={false}
            />
          </LineChart>
        </ResponsiveContainer>
      </div>
    </figure>
  );
}
