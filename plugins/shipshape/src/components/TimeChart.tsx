import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { useTheme } from '@material-ui/core/styles';
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
 * One line over time with a dashed reference line, in a figure whose caption says in words what
 * the line shows (the chart is not the only way to read it). A null value is a gap in the line.
 * Drawn with recharts: import it only from a lazily loaded module (a tab), so the library loads
 * with that tab and not with the overview's cards.
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
}) {
  const theme = useTheme();
  return (
    <Box component="figure" m={0}>
      <Typography component="figcaption" variant="subtitle2">
        {props.label}
      </Typography>
      <Typography variant="body2" color="textSecondary">
        {props.summary}
      </Typography>
      <Box
        role="img"
        aria-label={`${props.label}: ${props.summary}`}
        height={180}
      >
        <ResponsiveContainer width="100%" height="100%">
          <LineChart
            data={props.points}
            margin={{ top: 8, right: 16, bottom: 0, left: 0 }}
            accessibilityLayer={false}
          >
            <CartesianGrid stroke={theme.palette.divider} />
            <XAxis
              dataKey="t"
              type="number"
              domain={['dataMin', 'dataMax']}
              tickFormatter={props.tick}
              stroke={theme.palette.text.secondary}
              fontSize={12}
            />
            <YAxis
              tickFormatter={props.format}
              domain={props.domain ?? ['auto', 'auto']}
              ticks={props.ticks}
              stroke={theme.palette.text.secondary}
              fontSize={12}
              width={56}
            />
            <Tooltip
              labelFormatter={t => absoluteTime(Number(t) * 1000)}
              formatter={v => (typeof v === 'number' ? props.format(v) : '–')}
              contentStyle={{
                background: theme.palette.background.paper,
                color: theme.palette.text.primary,
              }}
            />
            {props.reference ? (
              <ReferenceLine
                y={props.reference.y}
                ifOverflow="extendDomain"
                stroke={theme.palette.error.main}
                strokeDasharray="4 4"
                label={{
                  value: props.reference.label,
                  fill: theme.palette.text.primary,
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
              stroke={theme.palette.primary.main}
              strokeWidth={2}
              // a point with gaps on both sides has no line: a dot shows it
              dot={dot => {
                const { cx, cy, index } = dot as {
                  cx?: number;
                  cy?: number;
                  index: number;
                };
                return isolated(props.points, index) &&
                  cx !== undefined &&
                  cy !== undefined ? (
                  <circle
                    key={index}
                    cx={cx}
                    cy={cy}
                    r={3}
                    fill={theme.palette.primary.main}
                  />
                ) : (
                  <g key={index} />
                );
              }}
              isAnimationActive={false}
              connectNulls={false}
            />
          </LineChart>
        </ResponsiveContainer>
      </Box>
    </Box>
  );
}
