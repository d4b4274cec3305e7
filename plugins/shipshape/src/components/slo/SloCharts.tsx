import { getCompoundEntityRef } from '@backstage/catalog-model';
import { Progress } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { EntityInfoCard, useEntity } from '@backstage/plugin-catalog-react';
import { Flex, Grid, Text } from '@backstage/ui';
import { ShipshapeOpenApi } from '@shipshape/plugin-shipshape-common';
import { ReactNode } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { shipshapeApiRef } from '../../api';
import { DangerText } from '../DangerText';
import { ShipshapeErrorPanel } from '../ShipshapeErrorPanel';
import { TimeChart, TimePoint, day, latest, timeTicks } from '../TimeChart';
import { NoSlo, SloCard } from './SloCard';

type Chart = ShipshapeOpenApi.SloChart;

/** Points per chart asked of the backend (it allows 10-500). */
export const CHART_POINTS = 120;

const pct = (v: number) => `${Math.round(v * 1000) / 10}%`;
const times = (v: number) => `${Math.round(v * 100) / 100}x`;
const hour = (t: number) =>
  new Date(t * 1000).toLocaleString('en-GB', {
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    timeZone: 'UTC',
  });

/** Even ticks over the points' time range. */
const ticksOf = (points: TimePoint[]) =>
  points.length ? timeTicks(points[0].t, points[points.length - 1].t) : [];

function SloChartSection({ chart }: { chart: Chart }) {
  const title = chart.displayName ?? chart.name;
  const gaps = chart.budget.points.filter(p => p.value === null).length;
  const left = latest(chart.budget.points);
  const first = chart.budget.points.find(p => p.value !== null);
  return (
    <section aria-label={`charts of ${title}`}>
      <Flex direction="column" gap="3">
        <Text as="h3" variant="title-x-small">
          {`${title} · ${pct(chart.objective)} over ${chart.window}`}
        </Text>
        {chart.state !== 'ok' && chart.error ? (
          <Text
            as="p"
            variant="body-small"
            style={{ overflowWrap: 'anywhere' }}
          >
            <DangerText>
              {`${chart.state === 'stale' ? 'Stale: ' : ''}${chart.error}`}
            </DangerText>
          </Text>
        ) : null}
        {chart.budget.points.length ? (
          <TimeChart
            label={`Error budget left over ${chart.window}`}
            summary={
              left
                ? `${pct(left.value!)} left now${
                    first ? `, ${pct(first.value!)} on ${day(first.t)}` : ''
                  }${
                    gaps
                      ? `; no data for ${gaps} of ${chart.budget.points.length} points (gaps)`
                      : ''
                  }`
                : 'No data from Prometheus over the window'
            }
            points={chart.budget.points}
            format={pct}
            tick={day}
            timeTicks={ticksOf(chart.budget.points)}
            // above the zero line: below it, the label sat on the x axis' last date
            reference={{ y: 0, label: 'budget spent', above: true }}
          />
        ) : null}
        <Grid.Root columns={{ initial: '1', md: '2' }} gap="4">
          {chart.burn.windows.map(w => {
            const now = latest(w.points);
            return (
              <Grid.Item key={w.window}>
                <TimeChart
                  label={`Burn rate over ${w.window}, last 3 days`}
                  summary={`${now ? `${times(now.value!)} now` : 'no data'}; ${
                    w.severity === 'page' ? 'pages' : 'opens a ticket'
                  } above ${times(w.threshold)}${
                    now && now.value! > w.threshold ? ' (above now)' : ''
                  }`}
                  points={w.points}
                  format={times}
                  tick={hour}
                  timeTicks={ticksOf(w.points)}
                  reference={{
                    y: w.threshold,
                    label: `${w.severity} ${times(w.threshold)}`,
                  }}
                  domain={[0, 'auto']}
                />
              </Grid.Item>
            );
          })}
        </Grid.Root>
      </Flex>
    </section>
  );
}

/**
 * The SLO tab's charts: per SLO the error budget left over its window and the burn rate of each
 * alert window against its threshold, from the backend's range queries (the browser never calls
 * Prometheus). A gap in the data is a gap in the line.
 */
export function SloChartsCard() {
  const { entity } = useEntity();
  const api = useApi(shipshapeApiRef);
  const ref = getCompoundEntityRef(entity);
  const { value, loading, error } = useAsync(
    () => api.getEntitySloCharts(ref, CHART_POINTS),
    [api, ref.kind, ref.namespace, ref.name],
  );
  let content: ReactNode;
  // core-components' Progress (MUI): Backstage UI 0.18 has no progress indicator
  if (loading) content = <Progress />;
  else if (error) content = <ShipshapeErrorPanel error={error} />;
  else if (value && !value.slos.length) {
    content = (
      <NoSlo
        title={value.declared ? 'No SLO could be read' : 'No SLO declared'}
        description={
          value.declared
            ? `The declared SLOs do not parse: ${value.errors.join('; ')}`
            : 'Add shipshape.dev/slo (e.g. availability=99.9%; latency-p99=250ms) or shipshape.dev/slo-ref (an OpenSLO file) to catalog-info.yaml to see its error budget and burn rates here.'
        }
      />
    );
  } else if (value) {
    content = (
      <Flex direction="column" gap="6">
        {value.slos.map(chart => (
          <SloChartSection key={chart.name} chart={chart} />
        ))}
      </Flex>
    );
  }
  return (
    <EntityInfoCard title="Error budget and burn rate over time">
      {content}
    </EntityInfoCard>
  );
}

/** The SLO tab: the card with today's numbers and alerts, then the charts over time. */
export function SloTab() {
  return (
    <Flex direction="column" gap="6">
      <SloCard />
      <SloChartsCard />
    </Flex>
  );
}
