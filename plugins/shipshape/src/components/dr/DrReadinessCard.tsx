import {
  getCompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  Progress,
  StatusError,
  StatusOK,
  StatusWarning,
} from '@backstage/core-components';
import { formatDuration } from '@shipshape/plugin-shipshape-common';
import { useApi } from '@backstage/core-plugin-api';
import {
  ConfigHint,
  ShipshapeErrorPanel,
  configKeyOf,
  errorMessageOf,
} from '../ShipshapeErrorPanel';
import { EntityInfoCard, useEntity } from '@backstage/plugin-catalog-react';
import { usePermission } from '@backstage/plugin-permission-react';
import { Button, Flex, Link, Text } from '@backstage/ui';
import {
  ReadinessCheck,
  SHIPSHAPE_ANNOTATIONS,
  shipshapeBackupPermission,
} from '@shipshape/plugin-shipshape-common';
import { useCallback, useEffect, useId, useRef, useState } from 'react';
import {
  BackupHistory,
  BackupItem,
  DrillItem,
  DrReadinessReport,
  shipshapeApiRef,
} from '../../api';
import { DangerText } from '../DangerText';
import { StaticTable, Td } from '../StaticTable';
import { absoluteTime } from '../time';
import { FALLBACK_POLL_MS, useEntitySignal } from '../useEntitySignal';
import { SignalFreshness } from '../SignalFreshness';

/** Long messages (errors, fixes) wrap inside the card. */
const WRAP = { overflowWrap: 'anywhere' } as const;

function size(bytes?: number) {
  if (bytes === undefined) return '';
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * A titled table of the five newest records, a row of caption cells each; the third cell (the
 * outcome) also shows the record's error as text (readable without hovering).
 */
function RecentRows<T extends { id: string; error?: string }>(props: {
  title: string;
  label: string;
  rows: T[];
  cells: (row: T) => string[];
}) {
  if (!props.rows.length) return null;
  return (
    <Flex direction="column" gap="1" mt="4">
      <Text as="h4" variant="body-medium" weight="bold">
        {props.title}
      </Text>
      <StaticTable label={props.label}>
        <tbody>
          {props.rows.slice(0, 5).map(row => (
            <tr key={row.id}>
              {props.cells(row).map((text, i) => (
                <Td key={i}>
                  {text}
                  {i === 2 && row.error && (
                    <Text as="div" variant="body-x-small" style={WRAP}>
                      <DangerText>{row.error}</DangerText>
                    </Text>
                  )}
                </Td>
              ))}
            </tr>
          ))}
        </tbody>
      </StaticTable>
    </Flex>
  );
}

/**
 * A backup's status in words: its run's status (the operations' one vocabulary), except that
 * a succeeded backup reads `verified` when the portal checked its dump and `deleted` once
 * retention removed it (facts of the dump, docs/backup.md); an in-cluster Job's stays `succeeded`.
 */
function backupState(
  b: Pick<BackupItem, 'status' | 'verifiedAt' | 'deletedAt'>,
) {
  if (b.deletedAt) return 'deleted';
  return b.status === 'succeeded' && b.verifiedAt ? 'verified' : b.status;
}

/** The newest backups: when, how, outcome (with the failed step), size, who. */
function BackupRows({ items }: { items: BackupItem[] }) {
  return (
    <RecentRows
      title="Recent backups"
      label="backup history"
      rows={items}
      cells={b => [
        absoluteTime(b.startedAt),
        `${b.id.slice(0, 8)} · ${b.method ?? 'pg_dump'}`,
        `${backupState(b)}${b.failedStep ? ` at ${b.failedStep}` : ''}${
          b.sizeBytes !== undefined ? ` · ${size(b.sizeBytes)}` : ''
        }`,
        b.requestedBy.replace(/^user:(default\/)?/, ''),
      ]}
    />
  );
}

/** The newest restore drills: when, which backup, outcome, observed RTO and achievable RPO. */
function DrillRows({ items }: { items: BackupItem[] }) {
  return (
    <RecentRows
      title="Recent restore drills"
      label="restore drill history"
      rows={items
        .flatMap(b => b.drills)
        .sort((a, b) => b.startedAt.localeCompare(a.startedAt))}
      cells={d => [
        absoluteTime(d.startedAt),
        `${d.id.slice(0, 8)} of backup ${d.backupId.slice(0, 8)}`,
        `${d.status}${d.failedStep ? ` at ${d.failedStep}` : ''}${
          d.restoreMs !== undefined
            ? ` · restored in ${formatDuration(d.restoreMs / 1000)}`
            : ''
        }${
          d.backupAgeSeconds !== undefined
            ? ` · backup ${formatDuration(d.backupAgeSeconds)} old`
            : ''
        }`,
      ]}
    />
  );
}

type Run = Pick<BackupItem, 'id' | 'step' | 'failedStep' | 'error'> &
  Partial<Pick<BackupItem, 'verifiedAt' | 'deletedAt'>> & {
    status: BackupItem['status'] | DrillItem['status'];
  };

const active = (r: Run) => r.status === 'running' || r.status === 'queued';

/** What the card says of a backup or drill it started: its step while it runs, then its end. */
function describeRun(what: string, r: Run): string {
  if (active(r)) {
    return `${what} ${r.id} ${r.status}${r.step ? `: ${r.step}` : ''}`;
  }
  return `${what} ${r.id} ${backupState(r)}${
    r.failedStep ? ` at ${r.failedStep}: ${r.error ?? ''}` : ''
  }`;
}

/** "Changed since <previous grade>": each check whose status moved, from → to. */
function Changes({ report }: { report: DrReadinessReport }) {
  if (!report.previous) {
    return (
      <Text as="p" variant="body-x-small">
        First graded {absoluteTime(report.gradedAt)}
      </Text>
    );
  }
  return (
    <Text as="p" variant="body-x-small">
      Graded {report.status.toUpperCase()} {absoluteTime(report.gradedAt)};
      changed since {absoluteTime(report.previous.gradedAt)} (was{' '}
      {report.previous.status.toUpperCase()}):{' '}
      {report.changes
        .map(c => `${c.id} ${c.from ?? 'new'} → ${c.to ?? 'gone'}`)
        .join(', ')}
    </Text>
  );
}

/**
 * The checks with one message and fix as one row naming them all: a cluster that cannot be read
 * fails each cluster check with the same words (e.g. an unknown environment), said once.
 */
function groupChecks(
  checks: DrReadinessReport['checks'],
): Array<DrReadinessReport['checks'][number] & { ids: string[] }> {
  const rows: Array<DrReadinessReport['checks'][number] & { ids: string[] }> =
    [];
  for (const c of checks) {
    const same = rows.find(
      r => r.status === c.status && r.message === c.message && r.fix === c.fix,
    );
    if (same) same.ids.push(c.id);
    else rows.push({ ...c, ids: [c.id] });
  }
  return rows;
}

/**
 * Why the entity has no usable backup target, when it is the portal's config: the history's
 * NotFoundError names the `shipshape.backup.targets` key (none configured, or not the one the
 * entity names). Undefined otherwise (no annotation: the backup-target check says what to add).
 */
function missingConfig(
  error?: Error,
): { key: string; message: string } | undefined {
  if (!error) return undefined;
  const body = (error as { body?: { error?: { name?: string } } }).body;
  if (body?.error?.name !== 'NotFoundError') return undefined;
  const message = errorMessageOf(error);
  const key = configKeyOf(message);
  return key ? { key, message } : undefined;
}

/** An ISO 8601 time in a check's message (e.g. the backup CronJob's last run). */
const ISO_TIME =
  /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})/g;

/**
 * A check's message as the card shows it: a passing runbook check links its URL (a new tab,
 * named as the runbook), and the times in it read like the card's other times (absoluteTime).
 */
function CheckMessage({
  check,
}: {
  check: DrReadinessReport['checks'][number];
}) {
  const runbook =
    check.id === 'runbook' && check.status === 'pass'
      ? /^Runbook (https?:\/\/\S+)$/.exec(check.message)?.[1]
      : undefined;
  if (runbook) {
    return (
      <div>
        Runbook{' '}
        <Link
          href={runbook}
          target="_blank"
          rel="noopener noreferrer"
          variant="body-small"
          aria-label={`Runbook ${runbook} (opens in a new tab)`}
        >
          {runbook}
        </Link>
      </div>
    );
  }
  return <div>{check.message.replace(ISO_TIME, t => absoluteTime(t))}</div>;
}

// core-components' status icons (MUI) with the status in words: Backstage UI 0.18 has no status
// indicator yet
const STATUS: Record<ReadinessCheck['status'], typeof StatusOK> = {
  pass: StatusOK,
  warn: StatusWarning,
  fail: StatusError,
};

/**
 * DR readiness of the entity as the backend grades it; an entity without a usable backup target
 * reads "No backup target" with the check's fix, and has no backup buttons (GET .../dr-readiness: rules in
 * shipshape-common readiness.ts, cluster facts, what changed since the last grade), its recent
 * backups and restore drills, with Back up now and Run restore drill buttons for users allowed to
 * back it up: each follows what it started to its end.
 */
export function DrReadinessCard() {
  const { entity } = useEntity();
  const api = useApi(shipshapeApiRef);
  const entityRef = stringifyEntityRef(entity);
  const ref = getCompoundEntityRef(entity);
  const { allowed: canBackUp } = usePermission({
    permission: shipshapeBackupPermission,
    resourceRef: entityRef,
  });
  const [history, setHistory] = useState<BackupHistory>();
  const [historyError, setHistoryError] = useState<Error>();
  const [readiness, setReadiness] = useState<DrReadinessReport>();
  const [error, setError] = useState<Error>();
  const [message, setMessage] = useState<string>();
  // which run is going ('Backup' or 'Restore drill'): its button is pending, not disabled, so
  // the keyboard focus stays on it while it runs; the other button is disabled meanwhile
  const [busy, setBusy] = useState<string | undefined>();
  const drillReasonId = useId();
  const mounted = useRef(true);
  useEffect(
    () => () => {
      mounted.current = false;
    },
    [],
  );

  const load = useCallback(async () => {
    // Readiness is graded by the backend (it reads the cluster); the history is optional.
    const [r, h] = await Promise.allSettled([
      api.getDrReadiness(ref),
      api.getBackupHistory(ref),
    ]);
    if (r.status === 'fulfilled') {
      setReadiness(r.value);
      setError(undefined);
    } else {
      setError(r.reason as Error);
    }
    if (h.status === 'fulfilled') {
      setHistory(h.value);
      setHistoryError(undefined);
    } else {
      setHistoryError(h.reason as Error);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, entityRef]);

  useEffect(() => {
    load();
  }, [load]);
  // A backup, drill or grade changed (here or anywhere else): read the card again. Without
  // live signals the card polls every FALLBACK_POLL_MS.
  const freshness = useEntitySignal(
    entityRef,
    s => {
      if (s.kind === 'backup' || s.kind === 'drill' || s.kind === 'grade') {
        load();
      }
    },
    () => load(),
    FALLBACK_POLL_MS,
  );

  // Starts a backup or drill, follows it (the backend's long poll answers on each step) and
  // grades the entity again when it has ended, so the card shows the outcome without a reload.
  const run = async (
    what: string,
    start: () => Promise<Run>,
    read: (id: string) => Promise<Run>,
  ) => {
    setBusy(what);
    try {
      let r = await start();
      setMessage(`${what} ${r.id} started`);
      await load();
      while (active(r) && mounted.current) {
        r = await read(r.id);
        if (mounted.current) setMessage(describeRun(what, r));
      }
      if (mounted.current) await load();
    } catch (e) {
      if (mounted.current) setMessage((e as Error).message);
    } finally {
      if (mounted.current) setBusy(undefined);
    }
  };
  const backUp = () =>
    run(
      'Backup',
      () => api.startBackup(ref, 'Back up now (DR readiness card)'),
      id => api.getBackup(ref, id, 25),
    );
  const drill = () =>
    run(
      'Restore drill',
      () => api.startRestoreDrill(ref),
      id => api.getRestoreDrill(ref, id, 25),
    );

  const named =
    entity.metadata.annotations?.[SHIPSHAPE_ANNOTATIONS.backupTarget.name];
  const items = history?.items ?? [];
  const lastVerified = items.find(b => b.verifiedAt && !b.deletedAt);
  // why Run restore drill is disabled, said in words next to it (not only a greyed button)
  const drillNeedsBackup = canBackUp && !!history && !lastVerified;
  const Overall = readiness && STATUS[readiness.status];
  const unconfigured = readiness?.target
    ? undefined
    : missingConfig(historyError);

  return (
    <EntityInfoCard title="DR Readiness">
      {/* core-components' Progress (MUI): Backstage UI 0.18 has no progress indicator */}
      {!readiness && !error && <Progress />}
      {error && <ShipshapeErrorPanel error={error} />}
      {readiness && Overall && (
        <>
          <Flex align="center" gap="4" mb="2" style={{ flexWrap: 'wrap' }}>
            <Overall>{readiness.status.toUpperCase()}</Overall>
            {readiness.target ? (
              <Text variant="body-small">
                {history
                  ? `Target ${history.target} (${history.storage})`
                  : historyError && errorMessageOf(historyError)}
              </Text>
            ) : (
              // nothing backs this entity up: the backup-target check below says how to fix it
              <DangerText variant="body-small">
                {named
                  ? `Backup target ${named} not usable`
                  : 'No backup target'}
              </DangerText>
            )}
            <Text variant="body-x-small">
              Cluster checks from {readiness.environment}
            </Text>
            <SignalFreshness {...freshness} testId="dr-freshness" />
          </Flex>
          {unconfigured && (
            <Flex direction="column" mb="2">
              <ConfigHint
                configKey={unconfigured.key}
                message={unconfigured.message}
              />
            </Flex>
          )}
          <Changes report={readiness} />
          <StaticTable label="DR readiness checks">
            <tbody>
              {groupChecks(readiness.checks).map(c => {
                const S = STATUS[c.status];
                return (
                  <tr key={c.id}>
                    <Td style={{ whiteSpace: 'nowrap' }}>
                      <S>{c.status}</S>
                    </Td>
                    <Td style={WRAP}>
                      <CheckMessage check={c} />
                      {c.ids.length > 1 && (
                        <Text as="div" variant="body-x-small">
                          Checks: {c.ids.join(', ')}
                        </Text>
                      )}
                      {c.fix && (
                        <Text as="div" variant="body-x-small">
                          Fix: {c.fix}
                        </Text>
                      )}
                    </Td>
                  </tr>
                );
              })}
            </tbody>
          </StaticTable>
          <BackupRows items={items} />
          <DrillRows items={items} />
        </>
      )}
      {readiness?.target && (
        <Flex align="center" gap="2" mt="4" style={{ flexWrap: 'wrap' }}>
          <Button
            variant="primary"
            isDisabled={!canBackUp || !history || (!!busy && busy !== 'Backup')}
            isPending={busy === 'Backup'}
            onPress={backUp}
          >
            Back up now
          </Button>
          <Button
            variant="secondary"
            isDisabled={
              !canBackUp ||
              !lastVerified ||
              (!!busy && busy !== 'Restore drill')
            }
            isPending={busy === 'Restore drill'}
            onPress={drill}
            aria-describedby={drillNeedsBackup ? drillReasonId : undefined}
          >
            Run restore drill
          </Button>
          {drillNeedsBackup && (
            <Text id={drillReasonId} variant="body-x-small">
              A restore drill needs a verified backup: back up first
            </Text>
          )}
          {!canBackUp && (
            <Text variant="body-x-small">You may not back up this entity</Text>
          )}
          {message && (
            <Text variant="body-small" role="status">
              {message}
            </Text>
          )}
        </Flex>
      )}
    </EntityInfoCard>
  );
}
