import {
  EmptyState,
  InfoCard,
  Link,
  Progress,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { getCompoundEntityRef } from '@backstage/catalog-model';
import { useEntity } from '@backstage/plugin-catalog-react';
import {
  EntitySlosResponse,
  SLO_BURN_WINDOWS,
  SloAlert,
  SloStatus,
} from '@shipshape/plugin-shipshape-common';
import Box from '@material-ui/core/Box';
import Chip from '@material-ui/core/Chip';
import LinearProgress from '@material-ui/core/LinearProgress';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import { useEffect } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { shipshapeApiRef } from '../../api';
import { ShipshapeErrorPanel } from '../ShipshapeErrorPanel';
import { absoluteTime, relativeTime } from '../time';
import { burn, percent } from './format';
import { BudgetSparkline } from './Sparkline';
import { AccessibleColours } from '../AccessibleColours';

/** Page-level burn rate for a 28/30-day window (the workbook's 1h factor, adjusted). */
const pageBurn = (window: string) => (window === '28d' ? 13.44 : 14.4);

/** Chip colours with white text at 4.5:1 or more (WCAG AA). */
const HOT = '#c62828';
const WARM = '#a84300';

function badgeColour(hot: boolean, warm: boolean): string | undefined {
  if (hot) return HOT;
  return warm ? WARM : undefined;
}

/** What a burn rate means, in words (shown, not only as a colour). */
function burnWord(hot: boolean, warm: boolean): string {
  if (hot) return 'paging';
  return warm ? 'over' : '';
}

function budgetText(left: number | null): string {
  if (left === null) return 'No data over the window';
  if (left < 0) return `Budget exhausted (${percent(left, 1)})`;
  return `${percent(left, 1)} of the error budget left`;
}

function BurnBadge({
  window,
  rate,
  slo,
}: {
  window: string;
  rate: number | null;
  slo: SloStatus;
}) {
  const hot = rate !== null && rate >= pageBurn(slo.window);
  const warm = rate !== null && rate >= 1;
  const word = burnWord(hot, warm);
  return (
    <Chip
      size="small"
      label={`${window} ${burn(rate)}${word ? ` ${word}` : ''}`}
      aria-label={`Burn rate over ${window}: ${burn(rate)}${
        word ? `, ${word === 'over' ? 'over budget pace' : 'paging rate'}` : ''
      }`}
      style={{
        marginRight: 4,
        marginBottom: 4,
        backgroundColor: badgeColour(hot, warm),
        color: hot || warm ? '#fff' : undefined,
      }}
    />
  );
}

/** Where an alert can be seen: Prometheus' ALERTS series and, if configured, Alertmanager. */
export interface AlertViews {
  prometheus: string;
  alertmanager?: string;
}

/** PromQL/Alertmanager matchers for the alert's name and service. */
function matchers(alert: SloAlert): string {
  return [
    `alertname="${alert.name}"`,
    ...(alert.labels.service ? [`service="${alert.labels.service}"`] : []),
  ].join(',');
}

export function alertLinks(alert: SloAlert, views: AlertViews) {
  const prometheus = `${views.prometheus.replace(
    /\/$/,
    '',
  )}/graph?${new URLSearchParams({
    'g0.expr': `ALERTS{${matchers(alert)}}`,
    'g0.tab': '1',
  })}`;
  const am = views.alertmanager?.replace(/\/$/, '');
  return {
    prometheus,
    alertmanager: am
      ? `${am}/#/alerts?${new URLSearchParams({
          filter: `{${matchers(alert)}}`,
        })}`
      : undefined,
    silences: am
      ? (alert.silencedBy ?? []).map(id => `${am}/#/silences/${id}`)
      : [],
  };
}

function AlertLine({ alert, views }: { alert: SloAlert; views: AlertViews }) {
  const critical = ['page', 'critical'].includes(alert.severity ?? '');
  const links = alertLinks(alert, views);
  return (
    <Box display="flex" alignItems="center" mb={0.5} data-testid="slo-alert">
      <Chip
        size="small"
        label={alert.severity ?? 'no severity'}
        style={{
          marginRight: 8,
          backgroundColor: critical ? HOT : WARM,
          color: '#fff',
        }}
      />
      <Typography variant="body2" component="span">
        <strong>{alert.name}</strong> {alert.state}
        {alert.activeAt && (
          <span title={`since ${absoluteTime(alert.activeAt)}`}>
            {` for ${relativeTime(alert.activeAt, { suffix: false })}`}
          </span>
        )}
        {alert.silencedBy?.length ? ' (silenced)' : ''}
        {alert.summary && ` — ${alert.summary}`}{' '}
        <Link
          to={links.prometheus}
          underline="always"
          aria-label={`${alert.name} in Prometheus`}
        >
          Prometheus
        </Link>
        {links.alertmanager && (
          <>
            {' · '}
            <Link
              to={links.alertmanager}
              underline="always"
              aria-label={`${alert.name} in Alertmanager`}
            >
              Alertmanager
            </Link>
          </>
        )}
        {links.silences.map((href, i) => (
          <span key={href}>
            {' · '}
            <Link to={href} underline="always">{`silence ${i + 1}`}</Link>
          </span>
        ))}
      </Typography>
    </Box>
  );
}

function BudgetBar({ slo }: { slo: SloStatus }) {
  const left = slo.errorBudgetRemaining;
  const value = left === null ? 0 : Math.max(0, Math.min(1, left)) * 100;
  const low = left !== null && left < 0.25;
  return (
    <Box>
      <Box display="flex" justifyContent="space-between">
        <Typography variant="body2">{budgetText(left)}</Typography>
        <Typography variant="body2" color="textSecondary">
          SLI {percent(slo.sli, 3)} / objective {percent(slo.objective, 3)} over{' '}
          {slo.window}
        </Typography>
      </Box>
      <LinearProgress
        variant="determinate"
        value={value}
        color={low ? 'secondary' : 'primary'}
        aria-label={`${slo.displayName ?? slo.name} error budget remaining`}
        style={{ height: 10, borderRadius: 4, marginTop: 4 }}
      />
    </Box>
  );
}

function SloBlock({ slo, views }: { slo: SloStatus; views: AlertViews }) {
  return (
    <Box mb={3} data-testid={`slo-${slo.name}`}>
      <Box display="flex" alignItems="baseline" justifyContent="space-between">
        <Typography variant="subtitle1" component="h3">
          {slo.displayName ?? slo.name}
          {slo.kind === 'latency' &&
            slo.latencyThresholdSeconds !== undefined &&
            !(slo.displayName ?? '').includes(
              `${Math.round(slo.latencyThresholdSeconds * 1000)} ms`,
            ) && (
              <Typography
                variant="caption"
                color="textSecondary"
                component="span"
              >
                {' '}
                (within {Math.round(slo.latencyThresholdSeconds * 1000)} ms)
              </Typography>
            )}
        </Typography>
        <Box>
          <Link to={slo.link} target="_blank" rel="noopener">
            Prometheus
          </Link>
          {slo.grafanaLink && (
            <>
              {' · '}
              <Link to={slo.grafanaLink} target="_blank" rel="noopener">
                Grafana
              </Link>
            </>
          )}
        </Box>
      </Box>
      {slo.state === 'error' ? (
        <Alert severity="error">{slo.error}</Alert>
      ) : (
        <>
          {slo.state === 'stale' && (
            <Alert severity="warning" style={{ marginBottom: 8 }}>
              Stale: {slo.error}; numbers as of {absoluteTime(slo.asOf)}
            </Alert>
          )}
          <BudgetBar slo={slo} />
          <Box
            display="flex"
            alignItems="center"
            justifyContent="space-between"
            mt={1}
          >
            <Box>
              {SLO_BURN_WINDOWS.map(w => (
                <BurnBadge
                  key={w}
                  window={w}
                  rate={slo.burnRates[w]}
                  slo={slo}
                />
              ))}
            </Box>
            <BudgetSparkline
              points={slo.history}
              title={`${
                slo.displayName ?? slo.name
              }: error budget remaining, day by day over ${slo.window}`}
            />
          </Box>
        </>
      )}
      {slo.alerts.map(a => (
        <AlertLine
          key={`${a.name}-${JSON.stringify(a.labels)}`}
          alert={a}
          views={views}
        />
      ))}
    </Box>
  );
}

/** The loaded view; exported for the tab and the tests. */
export function SloDetails({ data }: { data: EntitySlosResponse }) {
  const others = data.alerts.filter(a => !a.slo);
  const views: AlertViews = {
    prometheus: data.prometheus.url,
    alertmanager: data.alertmanager?.url,
  };
  return (
    <>
      {data.errors.map(e => (
        <Alert key={e} severity="error" style={{ marginBottom: 8 }}>
          {e}
        </Alert>
      ))}
      {data.slos.map(s => (
        <SloBlock key={s.name} slo={s} views={views} />
      ))}
      {data.alertsState !== 'ok' && data.alertsError && (
        <Alert severity={data.alertsState === 'error' ? 'error' : 'warning'}>
          Alerts: {data.alertsError}
        </Alert>
      )}
      {others.length > 0 && (
        <Box mt={1}>
          <Typography variant="subtitle2" component="h3" gutterBottom>
            Other alerts of {data.service}
          </Typography>
          {others.map(a => (
            <AlertLine
              key={`${a.name}-${JSON.stringify(a.labels)}`}
              alert={a}
              views={views}
            />
          ))}
        </Box>
      )}
      <Typography variant="caption" color="textSecondary">
        Prometheus instance{' '}
        <Link to={data.prometheus.url} underline="always">
          {data.prometheus.instance}
        </Link>
      </Typography>
    </>
  );
}

const REFRESH_MS = 30_000;

/** The SLO card of an entity: budgets, burn rates, budget over the window and alerts. */
export function SloCard() {
  const { entity } = useEntity();
  const api = useApi(shipshapeApiRef);
  const ref = getCompoundEntityRef(entity);
  const { value, loading, error, retry } = useAsyncRetry(
    () => api.getEntitySlos(ref),
    [api, ref.kind, ref.namespace, ref.name],
  );
  useEffect(() => {
    const id = setInterval(retry, REFRESH_MS);
    return () => clearInterval(id);
  }, [retry]);

  let content: React.ReactNode;
  if (loading && !value) content = <Progress />;
  else if (error) content = <ShipshapeErrorPanel error={error} />;
  else if (value && !value.declared) {
    content = (
      <EmptyState
        missing="field"
        title="No SLO declared"
        description="Add shipshape.dev/slo (e.g. availability=99.9%; latency-p99=250ms) or shipshape.dev/slo-ref (an OpenSLO file) to catalog-info.yaml."
      />
    );
  } else if (value) content = <SloDetails data={value} />;
  return (
    <AccessibleColours>
      <InfoCard title="SLOs and error budgets">{content}</InfoCard>
    </AccessibleColours>
  );
}
