import { Progress } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { getCompoundEntityRef } from '@backstage/catalog-model';
import { EntityInfoCard, useEntity } from '@backstage/plugin-catalog-react';
import {
  EntitySlosResponse,
  SLO_BURN_WINDOWS,
  SloAlert,
  SloStatus,
} from '@shipshape/plugin-shipshape-common';
import { Alert, Flex, Link, Text, VisuallyHidden } from '@backstage/ui';
import { CSSProperties, ReactNode, Suspense, lazy, useEffect } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { shipshapeApiRef } from '../../api';
import { ShipshapeErrorPanel } from '../ShipshapeErrorPanel';
import { absoluteTime, relativeTime } from '../time';
import { burn, percent } from './format';
import { COMPACT } from './compact';

/**
 * The compact budget chart (recharts), a lazy chunk: recharts loads after the card's numbers,
 * in the chunk the SLO and DR tabs' charts share; its placeholder has its size (no jump).
 */
const BudgetChart = lazy(() => import('./BudgetChart'));

/** Page-level burn rate for a 28/30-day window (the workbook's 1h factor, adjusted). */
const pageBurn = (window: string) => (window === '28d' ? 13.44 : 14.4);

/** Long texts (alert summaries, errors) wrap inside the card. */
const WRAP = { overflowWrap: 'anywhere' } as const;

type Tone = 'danger' | 'warning' | 'neutral';

/**
 * Backstage UI's subdued text-on-background pairs, 4.5:1 or more in both themes (WCAG AA):
 * danger #991919 on #ffcbcb / #fca5a5 on #350708, warning #aa4d00 on #ffedd5 / #f2ab4a on #491e00.
 */
const TONE: Record<Tone, CSSProperties> = {
  danger: {
    color: 'var(--bui-negative-fg-subdued)',
    backgroundColor: 'var(--bui-negative-bg-subdued)',
  },
  warning: {
    color: 'var(--bui-warning-fg-subdued)',
    backgroundColor: 'var(--bui-warning-bg-subdued)',
  },
  neutral: {
    color: 'var(--bui-fg-primary)',
    backgroundColor: 'var(--bui-bg-neutral-2)',
    border: '1px solid var(--bui-border-1)',
  },
};

/**
 * A small label whose words say what its tone shows; `label`, when given, is what a screen reader
 * reads instead of the short words.
 */
function Pill(props: { tone: Tone; children: string; label?: string }) {
  return (
    <Text
      variant="body-x-small"
      weight="bold"
      style={{
        ...TONE[props.tone],
        display: 'inline-block',
        whiteSpace: 'nowrap',
        borderRadius: 'var(--bui-radius-full)',
        padding: '0 var(--bui-space-2)',
        lineHeight: '1.5rem',
      }}
    >
      {props.label ? (
        <>
          <span aria-hidden>{props.children}</span>
          <VisuallyHidden>{props.label}</VisuallyHidden>
        </>
      ) : (
        props.children
      )}
    </Text>
  );
}

function burnTone(hot: boolean, warm: boolean): Tone {
  if (hot) return 'danger';
  return warm ? 'warning' : 'neutral';
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
    <Pill
      tone={burnTone(hot, warm)}
      label={`Burn rate over ${window}: ${burn(rate)}${
        word ? `, ${word === 'over' ? 'over budget pace' : 'paging rate'}` : ''
      }`}
    >
      {`${window} ${burn(rate)}${word ? ` ${word}` : ''}`}
    </Pill>
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
    <Flex align="center" gap="2" data-testid="slo-alert">
      <Pill tone={critical ? 'danger' : 'warning'}>
        {alert.severity ?? 'no severity'}
      </Pill>
      <Text as="span" variant="body-small" style={WRAP}>
        <strong>{alert.name}</strong> {alert.state}
        {alert.activeAt && (
          <span title={`since ${absoluteTime(alert.activeAt)}`}>
            {` for ${relativeTime(alert.activeAt, { suffix: false })}`}
          </span>
        )}
        {alert.silencedBy?.length ? ' (silenced)' : ''}
        {alert.summary && ` — ${alert.summary}`}{' '}
        <Link
          href={links.prometheus}
          variant="body-small"
          aria-label={`${alert.name} in Prometheus`}
        >
          Prometheus
        </Link>
        {links.alertmanager && (
          <>
            {' · '}
            <Link
              href={links.alertmanager}
              variant="body-small"
              aria-label={`${alert.name} in Alertmanager`}
            >
              Alertmanager
            </Link>
          </>
        )}
        {links.silences.map((href, i) => (
          <span key={href}>
            {' · '}
            <Link href={href} variant="body-small">{`silence ${i + 1}`}</Link>
          </span>
        ))}
      </Text>
    </Flex>
  );
}

/**
 * The error budget left as a bar (a meter: Backstage UI 0.18 has none), in the theme's accent
 * colour, the warning text colour under a quarter, the negative text colour when spent; the
 * words above it say the same.
 */
function BudgetBar({ slo }: { slo: SloStatus }) {
  const left = slo.errorBudgetRemaining;
  const value = left === null ? 0 : Math.max(0, Math.min(1, left)) * 100;
  let fill = 'var(--bui-accent-bg)';
  if (left !== null && left < 0) fill = 'var(--bui-negative-fg-subdued)';
  else if (left !== null && left < 0.25) fill = 'var(--bui-warning-fg-subdued)';
  return (
    <Flex direction="column" gap="1">
      <Flex justify="between" gap="2" style={{ flexWrap: 'wrap' }}>
        <Text variant="body-small">{budgetText(left)}</Text>
        <Text variant="body-small">
          SLI {percent(slo.sli, 3)} / objective {percent(slo.objective, 3)} over{' '}
          {slo.window}
        </Text>
      </Flex>
      <div
        role="meter"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(value)}
        aria-valuetext={budgetText(left)}
        aria-label={`${slo.displayName ?? slo.name} error budget remaining`}
        style={{
          height: 10,
          borderRadius: 'var(--bui-radius-2)',
          background: 'var(--bui-bg-neutral-2)',
          border: '1px solid var(--bui-border-2)',
          overflow: 'hidden',
        }}
      >
        <div style={{ width: `${value}%`, height: '100%', background: fill }} />
      </div>
    </Flex>
  );
}

function SloBlock({ slo, views }: { slo: SloStatus; views: AlertViews }) {
  const name = slo.displayName ?? slo.name;
  const ms =
    slo.latencyThresholdSeconds !== undefined
      ? Math.round(slo.latencyThresholdSeconds * 1000)
      : undefined;
  return (
    <Flex direction="column" gap="2" data-testid={`slo-${slo.name}`}>
      <Flex
        align="baseline"
        justify="between"
        gap="2"
        style={{ flexWrap: 'wrap' }}
      >
        <Text as="h3" variant="body-large" weight="bold">
          {name}
          {slo.kind === 'latency' &&
            ms !== undefined &&
            !(slo.displayName ?? '').includes(`${ms} ms`) && (
              <Text as="span" variant="body-small" weight="regular">
                {' '}
                (within {ms} ms)
              </Text>
            )}
        </Text>
        <Text variant="body-small">
          <Link
            href={slo.link}
            target="_blank"
            rel="noopener"
            variant="body-small"
          >
            Prometheus
          </Link>
          {slo.grafanaLink && (
            <>
              {' · '}
              <Link
                href={slo.grafanaLink}
                target="_blank"
                rel="noopener"
                variant="body-small"
              >
                Grafana
              </Link>
            </>
          )}
        </Text>
      </Flex>
      {slo.state === 'error' ? (
        <Alert status="danger" icon title={slo.error} />
      ) : (
        <>
          {slo.state === 'stale' && (
            <Alert
              status="warning"
              icon
              title={`Stale: ${slo.error}; numbers as of ${absoluteTime(
                slo.asOf,
              )}`}
            />
          )}
          <BudgetBar slo={slo} />
          <Flex
            align="center"
            justify="between"
            gap="2"
            style={{ flexWrap: 'wrap' }}
          >
            <Flex gap="1" style={{ flexWrap: 'wrap' }}>
              {SLO_BURN_WINDOWS.map(w => (
                <BurnBadge
                  key={w}
                  window={w}
                  rate={slo.burnRates[w]}
                  slo={slo}
                />
              ))}
            </Flex>
            <Suspense fallback={<div style={COMPACT} />}>
              <BudgetChart
                points={slo.history}
                title={`${name}: error budget remaining, day by day over ${slo.window}`}
              />
            </Suspense>
          </Flex>
        </>
      )}
      {slo.alerts.map(a => (
        <AlertLine
          key={`${a.name}-${JSON.stringify(a.labels)}`}
          alert={a}
          views={views}
        />
      ))}
    </Flex>
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
    <Flex direction="column" gap="5">
      {data.errors.map(e => (
        <Alert key={e} status="danger" icon title={e} />
      ))}
      {data.slos.map(s => (
        <SloBlock key={s.name} slo={s} views={views} />
      ))}
      {data.alertsState !== 'ok' && data.alertsError && (
        <Alert
          status={data.alertsState === 'error' ? 'danger' : 'warning'}
          icon
          title={`Alerts: ${data.alertsError}`}
        />
      )}
      {others.length > 0 && (
        <Flex direction="column" gap="2">
          <Text as="h3" variant="body-medium" weight="bold">
            Other alerts of {data.service}
          </Text>
          {others.map(a => (
            <AlertLine
              key={`${a.name}-${JSON.stringify(a.labels)}`}
              alert={a}
              views={views}
            />
          ))}
        </Flex>
      )}
      <Text as="p" variant="body-x-small">
        Prometheus instance{' '}
        <Link href={data.prometheus.url} variant="body-x-small">
          {data.prometheus.instance}
        </Link>
      </Text>
    </Flex>
  );
}

/** An entity without an SLO: what to add to catalog-info.yaml (no empty box). */
export function NoSlo(props: { title: string; description: string }) {
  return (
    <Flex direction="column" gap="1">
      <Text as="h3" variant="body-large" weight="bold">
        {props.title}
      </Text>
      <Text as="p" variant="body-small" style={WRAP}>
        {props.description}
      </Text>
    </Flex>
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

  let content: ReactNode;
  // core-components' Progress (MUI): Backstage UI 0.18 has no progress indicator
  if (loading && !value) content = <Progress />;
  else if (error) content = <ShipshapeErrorPanel error={error} />;
  else if (value && !value.declared) {
    content = (
      <NoSlo
        title="No SLO declared"
        description="Add shipshape.dev/slo (e.g. availability=99.9%; latency-p99=250ms) or shipshape.dev/slo-ref (an OpenSLO file) to catalog-info.yaml."
      />
    );
  } else if (value) content = <SloDetails data={value} />;
  return (
    <EntityInfoCard title="SLOs and error budgets">{content}</EntityInfoCard>
  );
}
