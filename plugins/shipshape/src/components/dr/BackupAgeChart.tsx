import {
  getCompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { Progress } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { EntityInfoCard, useEntity } from '@backstage/plugin-catalog-react';
import { Flex, Text } from '@backstage/ui';
import {
  ShipshapeOpenApi,
  formatDuration,
} from '@shipshape/plugin-shipshape-common';
import { ReactNode } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { shipshapeApiRef } from '../../api';
import { ShipshapeErrorPanel } from '../ShipshapeErrorPanel';
import { TimeChart, day, timeTicks } from '../TimeChart';
import { FALLBACK_POLL_MS, useEntitySignal } from '../useEntitySignal';
import { SignalFreshness } from '../SignalFreshness';
import { DrReadinessCard } from './DrReadinessCard';

/** How far back the chart looks, and its points (the backend allows 1-30 days, 10-500 points). */
export const AGE_DAYS = 7;
export const AGE_POINTS = 120;

/** Round steps of the age axis: 1, 5, 15, 30 min, 1, 2, 6, 12 h, 1, 2, 7 days. */
const TICK_STEPS = [
  60, 300, 900, 1800, 3600, 7200, 21600, 43200, 86400, 172800, 604800,
];

/** Ticks from 0 at a round step, at most 6, up to the highest age or the RPO. */
export function ageTicks(age: ShipshapeOpenApi.BackupAge): number[] {
  const top = Math.max(
    age.rpoSeconds ?? 0,
    ...age.points.map(p => p.value ?? 0),
    60,
  );
  const step =
    TICK_STEPS.find(s => top / s <= 5) ?? Math.ceil(top / 5 / 86400) * 86400;
  return Array.from({ length: Math.ceil(top / step) + 1 }, (_, i) => i * step);
}

/** "1 backup", "3 backups". */
const backups = (n: number) => `${n} backup${n === 1 ? '' : 's'}`;

/**
 * What the chart shows, in words: how old the newest backup is against the RPO, the oldest it
 * got, for how long it was over the RPO, the counts, and since when anything is known.
 */
export function summary(age: ShipshapeOpenApi.BackupAge): string {
  const { rpoSeconds: rpo, ageSeconds: now } = age;
  const parts: string[] = [];
  if (now !== undefined) {
    let against = '';
    if (rpo !== undefined) {
      against = ` (${now > rpo ? 'over' : 'within'} the RPO of ${formatDuration(
        rpo,
      )})`;
    }
    parts.push(`The newest backup is ${formatDuration(now)} old${against}`);
  }
  const known = age.points.filter(p => p.value !== null);
  const top = known.reduce<ShipshapeOpenApi.SloChartPoint | undefined>(
    (a, p) => (!a || p.value! > a.value! ? p : a),
    undefined,
  );
  if (top)
    parts.push(`at most ${formatDuration(top.value!)} old (${day(top.t)})`);
  if (rpo !== undefined) {
    // each point is the highest age during its step: time over the RPO, to a step
    const over = known.filter(p => p.value! > rpo).length;
    parts.push(
      over
        ? `over the RPO for about ${formatDuration(over * age.step)}`
        : 'never over the RPO',
    );
  } else {
    parts.push('no RPO declared (shipshape.dev/rpo or a tier)');
  }
  parts.push(
    `${backups(age.verified)} verified and ${
      age.failed || 'none'
    } failed in the last ${AGE_DAYS} days`,
  );
  if (known.length && known.length < age.points.length) {
    parts.push(`no backup known before ${day(known[0].t - age.step)}`);
  }
  return `${parts.join('; ')}.`;
}

/**
 * The DR tab's chart: the age of the newest verified backup over the last days against the RPO,
 * from the backend's backup records; before the first known backup the line has a gap. Read
 * again when a backup of the entity ends (signals).
 */
export function BackupAgeCard() {
  const { entity } = useEntity();
  const api = useApi(shipshapeApiRef);
  const ref = getCompoundEntityRef(entity);
  const { value, loading, error, retry } = useAsyncRetry(
    () => api.getEntityBackupAge(ref, { days: AGE_DAYS, points: AGE_POINTS }),
    [api, ref.kind, ref.namespace, ref.name],
  );
  const freshness = useEntitySignal(
    stringifyEntityRef(entity),
    s => {
      if (s.kind === 'backup' && s.status !== 'running') retry();
    },
    () => retry(),
    FALLBACK_POLL_MS,
  );
  let content: ReactNode;
  // core-components' Progress (MUI): Backstage UI 0.18 has no progress indicator
  if (loading && !value) content = <Progress />;
  else if (error) content = <ShipshapeErrorPanel error={error} />;
  else if (value && value.ageSeconds === undefined) {
    content = (
      <Flex direction="column" gap="1">
        <Text as="h3" variant="body-large" weight="bold">
          {`No verified backup of ${value.target} in the last ${AGE_DAYS} days`}
        </Text>
        <Text as="p" variant="body-small">
          {`${
            value.failed
              ? `${backups(
                  value.failed,
                )} failed in that time: the DR readiness card's backup history says why. `
              : ''
          }Press Back up now on the DR readiness card, or let the service's backup CronJob run (docs/backup.md); once a backup is verified, its age is drawn here against the RPO.`}
        </Text>
      </Flex>
    );
  } else if (value) {
    const ticks = ageTicks(value);
    content = (
      <TimeChart
        label={`Age of the newest verified backup, last ${AGE_DAYS} days`}
        summary={summary(value)}
        points={value.points}
        format={formatDuration}
        tick={day}
        reference={
          value.rpoSeconds === undefined
            ? undefined
            : {
                y: value.rpoSeconds,
                label: `RPO ${formatDuration(value.rpoSeconds)}`,
              }
        }
        ticks={ticks}
        timeTicks={timeTicks(value.from, value.to)}
        domain={[0, ticks[ticks.length - 1]]}
      />
    );
  }
  return (
    <EntityInfoCard title="Backup age against the RPO">
      <Flex direction="column" gap="2">
        {content}
        <SignalFreshness {...freshness} testId="backup-age-freshness" />
      </Flex>
    </EntityInfoCard>
  );
}

/** The DR tab: the readiness card (grade, checks, backups, drills), then the backup age over time. */
export function DrTab() {
  return (
    <Flex direction="column" gap="6">
      <DrReadinessCard />
      <BackupAgeCard />
    </Flex>
  );
}
