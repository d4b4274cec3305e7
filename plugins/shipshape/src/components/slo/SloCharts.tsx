import { getCompoundEntityRef } from '@backstage/catalog-model';
import { EmptyState, InfoCard, Progress } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import Box from '@material-ui/core/Box';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import { ShipshapeOpenApi } from '@shipshape/plugin-shipshape-common';
import useAsync from 'react-use/esm/useAsync';
import { shipshapeApiRef } from '../../api';
import { AccessibleColours } from '../AccessibleColours';
import { ShipshapeErrorPanel } from '../ShipshapeErrorPanel';
import { TimeChart, day, latest } from '../TimeChart';
import { SloCard } from './SloCard';

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

function SloChartSection({ chart }: { chart: Chart }) {
  const title = chart.displayName ?? chart.name;
  const gaps = chart.budget.points.filter(p => p.value === null).length;
  const left = latest(chart.budget.points);
  const first = chart.budget.points.find(p => p.value !== null);
  return (
    <Box component="section" aria-label={`charts of ${title}`} mb={3}>
      <Typography variant="h6" component="h3">
        {`${title} · ${pct(chart.objective)} over ${chart.window}`}
      </Typography>
      {chart.state !== 'ok' && chart.error ? (
        <Typography variant="body2" color="error">
          {`${chart.state === 'stale' ? 'Stale: ' : ''}${chart.error}`}
        </Typography>
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
          // above the zero line: below it, the label sat on the x axis' last date
          reference={{ y: 0, label: 'budget spent', above: true }}
        />
      ) : null}
      <Grid container spacing={2}>
        {chart.burn.windows.map(w => {
          const now = latest(w.points);
          return (
            <Grid item xs={12} md={6} key={w.window}>
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
                reference={{
                  y: w.threshold,
                  label: `${w.severity} ${times(w.threshold)}`,
                }}
                domain={[0, 'auto']}
              />
            </Grid>
          );
        })}
      </Grid>
    </Box>
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
  let content: React.ReactNode;
  if (loading) content = <Progress />;
  else if (error) content = <ShipshapeErrorPanel error={error} />;
  else if (value && !value.slos.length) {
    content = (
      <EmptyState
        missing="field"
        title={value.declared ? 'No SLO could be read' : 'No SLO declared'}
        description={
          value.declared
            ? `The declared SLOs do not parse: ${value.errors.join('; ')}`
            : 'Add shipshape.dev/slo (e.g. availability=99.9%; latency-p99=250ms) or shipshape.dev/slo-ref (an OpenSLO file) to catalog-info.yaml to see its error budget and burn rates here.'
        }
      />
    );
  } else if (value) {
    content = value.slos.map(chart => (
      <SloChartSection key={chart.name} chart={chart} />
    ));
  }
  return (
    <AccessibleColours>
      <InfoCard title="Error budget and burn rate over time">
        {content}
      </InfoCard>
    </AccessibleColours>
  );
}

/** The SLO tab: the card with today's numbers and alerts, then the charts over time. */
export function SloTab() {
  return (
    <Grid container spacing={3}>
      <Grid item xs={12}>
        <SloCard />
      </Grid>
      <Grid item xs={12}>
        <SloChartsCard />
      </Grid>
    </Grid>
  );
}
