import { parseEntityRef } from '@backstage/catalog-model';
import {
  Progress,
  StatusError,
  StatusOK,
  StatusPending,
  StatusWarning,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { TIERS, formatDuration } from '@shipshape/plugin-shipshape-common';
import {
  Alert,
  Button,
  Card,
  CardBody,
  Container,
  Flex,
  Link,
  Select,
  Text,
} from '@backstage/ui';
import { ReactNode, useMemo, useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { DrOverviewQuery, DrOverviewRow, shipshapeApiRef } from '../../api';
import { DangerText } from '../DangerText';
import { DataColumn, DataTable } from '../DataTable';
import { ConfigHint, ShipshapeErrorPanel } from '../ShipshapeErrorPanel';
import { download } from '../ownership/OwnershipPage';
import { toCsv } from '../ownership/format';
import { NO_TIME, absoluteTime, relativeTime } from '../time';

/** The whole fleet in one answer (the backend's most); the table pages it. */
const FLEET = 5000;

type Filters = Pick<DrOverviewQuery, 'owner' | 'tier' | 'grade'>;

const GRADES = ['fail', 'warn', 'none', 'pass'] as const;
const GRADE_TEXT: Record<DrOverviewRow['grade'], string> = {
  fail: 'fail',
  warn: 'warn',
  none: 'not graded',
  pass: 'pass',
};

/** The name of an entity ref (`group:default/team-a` → team-a). */
function nameOf(ref?: string): string {
  if (!ref) return NO_TIME;
  try {
    return parseEntityRef(ref).name;
  } catch {
    return ref;
  }
}

/** What the page says of each `shipshape.*` key the backend names as not set. */
const UNCONFIGURED: Record<string, string> = {
  'shipshape.backup.targets':
    "No backup target is configured, so no service can be backed up or drilled and none has a verified backup or a restore drill: set shipshape.backup.targets in app-config and name one in each service's shipshape.dev/backup-target.",
};

/** A restore's duration: "220ms", "1m 30s". */
function restoreTime(ms?: number): string {
  return ms === undefined ? NO_TIME : formatDuration(ms / 1000);
}

// core-components' status icons (MUI) with the status in words: Backstage UI 0.18 has no status
// indicator yet
/** A verdict as a status dot with its words (never the colour alone). */
function Verdict(props: { ok?: boolean; children: ReactNode }) {
  if (props.ok === true) return <StatusOK>{props.children}</StatusOK>;
  if (props.ok === false) return <StatusError>{props.children}</StatusError>;
  return <StatusPending>{props.children}</StatusPending>;
}

function Grade({ row }: { row: DrOverviewRow }) {
  const text = GRADE_TEXT[row.grade];
  const title = row.gradedAt ? `since ${absoluteTime(row.gradedAt)}` : '';
  const Status = {
    pass: StatusOK,
    warn: StatusWarning,
    fail: StatusError,
    none: StatusPending,
  }[row.grade];
  return (
    <span title={title}>
      <Status>{text}</Status>
    </span>
  );
}

/** No verified backup, or one older than the RPO (or no RPO to say): not recoverable in time. */
export const withinRpo = (r: DrOverviewRow) => r.backupWithinRpo === true;

/** An objective: "RPO 4h", "RTO 30m", or "no RPO". */
function objective(label: string, seconds?: number): string {
  return seconds === undefined
    ? `no ${label}`
    : `${label} ${formatDuration(seconds)}`;
}

type Row = DrOverviewRow & { id: string };

/** Ascending by a number; a missing one sorts as `missing` (Infinity: last; the oldest backup). */
const byNumber =
  (f: (r: Row) => number | undefined, missing = Infinity) =>
  (a: Row, b: Row) =>
    (f(a) ?? missing) - (f(b) ?? missing) || 0;
const byText = (f: (r: Row) => string) => (a: Row, b: Row) =>
  f(a).localeCompare(f(b), 'en-US');

const serviceName = (r: Row) => r.title ?? r.name;
const tierOf = (r: Row) => r.tier ?? NO_TIME;

const columns: DataColumn<Row>[] = [
  {
    id: 'service',
    label: 'Service',
    isRowHeader: true,
    render: r => (
      <Link href={r.link} title={r.entityRef}>
        {serviceName(r)}
      </Link>
    ),
    compare: byText(serviceName),
    text: r => `${serviceName(r)} ${r.entityRef}`,
  },
  {
    id: 'grade',
    label: 'Grade',
    render: r => <Grade row={r} />,
    compare: (a, b) => GRADES.indexOf(a.grade) - GRADES.indexOf(b.grade),
    text: r => GRADE_TEXT[r.grade],
  },
  {
    id: 'backup',
    label: 'Last verified backup',
    render: r => (
      <span title={absoluteTime(r.lastBackupAt)}>
        <Verdict ok={r.backupWithinRpo}>
          {r.lastBackupAt ? relativeTime(r.lastBackupAt) : 'none'} (
          {objective('RPO', r.rpoSeconds)})
        </Verdict>
      </span>
    ),
    // no verified backup is the oldest of all
    compare: byNumber(r => r.backupAgeSeconds),
  },
  {
    id: 'drill',
    label: 'Last drill',
    render: r =>
      r.lastDrillAt ? (
        <span title={absoluteTime(r.lastDrillAt)}>
          <Verdict
            ok={
              r.lastDrillStatus === 'running' || r.lastDrillStatus === 'queued'
                ? undefined
                : r.lastDrillStatus === 'succeeded'
            }
          >
            {r.lastDrillStatus} {relativeTime(r.lastDrillAt)}
          </Verdict>
        </span>
      ) : (
        'none'
      ),
    // never drilled is the longest ago
    compare: byNumber(
      r => (r.lastDrillAt ? Date.parse(r.lastDrillAt) : undefined),
      -Infinity,
    ),
  },
  {
    id: 'restore',
    label: 'Restore time',
    render: r =>
      r.restoreMs === undefined ? (
        NO_TIME
      ) : (
        <Verdict ok={r.restoreWithinRto}>
          {restoreTime(r.restoreMs)} ({objective('RTO', r.rtoSeconds)})
        </Verdict>
      ),
    compare: byNumber(r => r.restoreMs),
  },
  {
    id: 'owner',
    label: 'Owner',
    render: r => nameOf(r.owner),
    compare: byText(r => nameOf(r.owner)),
    text: r => nameOf(r.owner),
  },
  {
    id: 'tier',
    label: 'Tier',
    render: tierOf,
    compare: byText(tierOf),
    text: tierOf,
  },
  {
    id: 'system',
    label: 'System',
    render: r => nameOf(r.system),
    compare: byText(r => nameOf(r.system)),
    text: r => nameOf(r.system),
  },
];

/** The CSV of the rows shown (after the filters), one line per service. */
export function overviewCsv(rows: DrOverviewRow[]): string {
  return toCsv(
    [
      'entity',
      'owner',
      'tier',
      'system',
      'grade',
      'graded at',
      'rpo seconds',
      'last verified backup',
      'backup age seconds',
      'within rpo',
      'last drill',
      'drill outcome',
      'restore ms',
      'rto seconds',
      'within rto',
      'link',
    ],
    rows.map(r => [
      r.entityRef,
      r.owner,
      r.tier,
      r.system,
      r.grade,
      r.gradedAt,
      r.rpoSeconds,
      r.lastBackupAt,
      r.backupAgeSeconds,
      r.backupWithinRpo === undefined ? undefined : String(r.backupWithinRpo),
      r.lastDrillAt,
      r.lastDrillStatus,
      r.restoreMs,
      r.rtoSeconds,
      r.restoreWithinRto === undefined ? undefined : String(r.restoreWithinRto),
      r.link,
    ]),
  );
}

/** The option that filters nothing (a Select's keys cannot be empty). */
const ALL = 'all';

function FilterSelect(props: {
  label: string;
  value?: string;
  options: Array<[value: string, text: string]>;
  onChange: (value?: string) => void;
}) {
  return (
    <Select
      label={props.label}
      selectedKey={props.value ?? ALL}
      onSelectionChange={key =>
        props.onChange(key === ALL || key === null ? undefined : String(key))
      }
      options={[
        { id: ALL, label: 'All' },
        ...props.options.map(([id, label]) => ({ id, label })),
      ]}
      style={{ minWidth: 180 }}
    />
  );
}

/**
 * The fleet's DR: each service the user may read with its recorded grade, last verified backup
 * against its RPO, last restore drill and restore time against its RTO; filters by owner, tier
 * and grade (the backend filters), sortable columns, CSV export of the rows shown.
 */
export function DrOverviewPage() {
  const api = useApi(shipshapeApiRef);
  const [filters, setFilters] = useState<Filters>({});
  const [owners, setOwners] = useState<string[]>([]);
  const { value, loading, error } = useAsync(async () => {
    const answer = await api.getDrOverview({ ...filters, limit: FLEET });
    setOwners(answer.owners);
    return answer;
  }, [api, filters.owner, filters.tier, filters.grade]);
  const set = (key: keyof Filters) => (v?: string) =>
    setFilters(f => ({ ...f, [key]: v }));
  const rows = useMemo(() => value?.rows ?? [], [value]);
  const tableRows = useMemo(
    () => rows.map(r => ({ ...r, id: r.entityRef })),
    [rows],
  );
  const late = rows.filter(r => !withinRpo(r)).length;
  const filtered = Boolean(filters.owner || filters.tier || filters.grade);

  const summary = rows.length
    ? `${late} of ${value?.total} ${
        value?.total === 1
          ? 'service has no verified backup within its RPO'
          : 'services have no verified backup within their RPO'
      }`
    : '';

  return (
    <Container py="6">
      <Flex direction="column" gap="4">
        <Text as="p" variant="body-medium">
          Which services are not recoverable within their RPO right now: each
          service's last recorded DR grade, its newest verified backup against
          its RPO, and its last restore drill against its RTO.
        </Text>
        <Card>
          <CardBody>
            <Flex align="end" gap="4" style={{ flexWrap: 'wrap' }}>
              <FilterSelect
                label="Owner"
                value={filters.owner}
                options={owners.map(o => [o, nameOf(o)])}
                onChange={set('owner')}
              />
              <FilterSelect
                label="Tier"
                value={filters.tier}
                options={[
                  ...TIERS.map(t => [t, t] as [string, string]),
                  ['none', 'no tier'],
                ]}
                onChange={set('tier') as (v?: string) => void}
              />
              <FilterSelect
                label="Grade"
                value={filters.grade}
                options={GRADES.map(g => [g, GRADE_TEXT[g]])}
                onChange={set('grade') as (v?: string) => void}
              />
              <Flex grow={1} justify="end">
                <Button
                  variant="secondary"
                  size="small"
                  isDisabled={!rows.length}
                  onPress={() =>
                    download('shipshape-dr-overview.csv', overviewCsv(rows))
                  }
                >
                  Export CSV
                </Button>
              </Flex>
            </Flex>
          </CardBody>
        </Card>
        {/* core-components' Progress (MUI): Backstage UI 0.18 has no progress indicator */}
        {loading && <Progress />}
        {error && <ShipshapeErrorPanel error={error} />}
        {value && !error && (
          <>
            {value.unconfigured?.map(key => (
              <ConfigHint
                key={key}
                configKey={key}
                message={UNCONFIGURED[key]}
              />
            ))}
            {value.truncated && (
              <Alert
                status="info"
                icon
                title={`Only the first ${value.entities} services are looked at.`}
              />
            )}
            {rows.length ? (
              <>
                {late ? (
                  // a block of its own: padded, not the inline padding of a phrase
                  <DangerText
                    as="p"
                    variant="title-x-small"
                    style={{ padding: 'var(--bui-space-2) var(--bui-space-3)' }}
                  >
                    {summary}
                  </DangerText>
                ) : (
                  <Text as="p" variant="title-x-small">
                    {summary}
                  </Text>
                )}
                <DataTable<Row>
                  label={`DR readiness of ${value.total} service${
                    value.total === 1 ? '' : 's'
                  }`}
                  columns={columns}
                  // in the backend's order (worst grade first) until a column is sorted
                  rows={tableRows}
                />
              </>
            ) : (
              <Text as="p" variant="body-medium">
                {filtered
                  ? 'No service matches these filters.'
                  : 'No service you can see names a backup target, a kubernetes-id or a tier.'}
              </Text>
            )}
          </>
        )}
      </Flex>
    </Container>
  );
}
