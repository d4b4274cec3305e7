import { Progress } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import {
  OwnershipSummary,
  OwnershipSummaryRow,
} from '@shipshape/plugin-shipshape-common';
import { Button, Container, Flex, Text } from '@backstage/ui';
import useAsync from 'react-use/esm/useAsync';
import { ShipshapeApi, shipshapeApiRef } from '../../api';
import { DataColumn, DataTable } from '../DataTable';
import { DangerText } from '../DangerText';
import { ConfigHint, ShipshapeErrorPanel } from '../ShipshapeErrorPanel';
import { ClusterErrors } from './ClusterErrors';
import { formatUsd, toCsv } from './format';

const PAGE = 1000;

/** All rows of both lists, page by page (the API pages with limit/offset). */
export async function loadWholeSummary(
  api: Pick<ShipshapeApi, 'getOwnershipSummary'>,
): Promise<OwnershipSummary> {
  const first = await api.getOwnershipSummary({ limit: PAGE, offset: 0 });
  const all = {
    ...first,
    costCenters: { ...first.costCenters },
    owners: { ...first.owners },
  };
  for (
    let offset = PAGE;
    offset < Math.max(first.costCenters.totalCount, first.owners.totalCount);
    offset += PAGE
  ) {
    const next = await api.getOwnershipSummary({ limit: PAGE, offset });
    all.costCenters.items = [
      ...all.costCenters.items,
      ...next.costCenters.items,
    ];
    all.owners.items = [...all.owners.items, ...next.owners.items];
  }
  return all;
}

/** The summary's two lists, each shown as a table with its own CSV export. */
const LISTS = [
  {
    field: 'costCenters',
    key: 'costCenter',
    title: 'Cost centers',
    label: 'Cost center',
    none: 'none',
    filename: 'shipshape-cost-centers.csv',
  },
  {
    field: 'owners',
    key: 'owner',
    title: 'Owners',
    label: 'Owner',
    none: 'no owner',
    filename: 'shipshape-owners.csv',
  },
] as const;

type Row = OwnershipSummaryRow & { id: string; name: string };

function rowsOf(
  items: OwnershipSummaryRow[],
  key: 'costCenter' | 'owner',
  none: string,
): Row[] {
  return items.map(item => ({
    ...item,
    id: item[key] ?? `(${none})`,
    name: item[key] ?? `(${none})`,
  }));
}

/** Downloads `csv` as `filename` (an export button's click). */
export function download(filename: string, csv: string) {
  const url = URL.createObjectURL(
    new Blob([csv], { type: 'text/csv;charset=utf-8' }),
  );
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  URL.revokeObjectURL(url);
}

/** The CSV of one list, as the export button downloads it. */
export function summaryCsv(
  rows: Row[],
  label: string,
  withCost: boolean,
): string {
  return toCsv(
    [
      label,
      'entities',
      'violations',
      'entities with violations',
      ...(withCost ? ['monthly USD'] : []),
    ],
    rows.map(r => [
      r.name,
      r.entities,
      r.violations,
      r.entitiesWithViolations,
      ...(withCost ? [r.monthlyUsd] : []),
    ]),
  );
}

function SummaryTable(props: {
  title: string;
  label: string;
  rows: Row[];
  withCost: boolean;
  filename: string;
}) {
  const { title, label, rows, withCost, filename } = props;
  const count = (f: (r: Row) => number) => ({
    render: (r: Row) => f(r),
    compare: (a: Row, b: Row) => f(a) - f(b),
    align: 'end' as const,
  });
  const columns: DataColumn<Row>[] = [
    {
      id: 'name',
      label,
      isRowHeader: true,
      render: r => r.name,
      compare: (a, b) => a.name.localeCompare(b.name, 'en-US'),
      text: r => r.name,
    },
    { id: 'entities', label: 'Entities', ...count(r => r.entities) },
    { id: 'violations', label: 'Violations', ...count(r => r.violations) },
    {
      id: 'entitiesWithViolations',
      label: 'Entities with violations',
      ...count(r => r.entitiesWithViolations),
    },
  ];
  if (withCost) {
    columns.push({
      id: 'monthlyUsd',
      label: 'Monthly cost',
      ...count(r => r.monthlyUsd ?? -1),
      render: r => (r.monthlyUsd === undefined ? '—' : formatUsd(r.monthlyUsd)),
    });
  }
  return (
    <DataTable<Row>
      label={title}
      columns={columns}
      rows={rows}
      initialSort={
        withCost ? { column: 'monthlyUsd', direction: 'descending' } : undefined
      }
      actions={
        <Button
          variant="secondary"
          size="small"
          aria-label={`Export CSV of ${title}`}
          onPress={() => download(filename, summaryCsv(rows, label, withCost))}
        >
          Export CSV
        </Button>
      }
    />
  );
}

/** Cost centers and owners with totals and violations, sortable, with CSV export. */
export function OwnershipPage() {
  const api = useApi(shipshapeApiRef);
  const { value, loading, error } = useAsync(
    () => loadWholeSummary(api),
    [api],
  );
  return (
    <Container py="6">
      {/* MUI progress bar (core-components): Backstage UI 0.18 has no progress indicator yet */}
      {loading && <Progress />}
      {error && <ShipshapeErrorPanel error={error} />}
      {value && <SummaryView summary={value} />}
    </Container>
  );
}

function costHeadline(summary: OwnershipSummary): string {
  if (summary.cost.status === 'ok') {
    return `${formatUsd(summary.totals.monthlyUsd ?? 0)} per month`;
  }
  if (summary.cost.status === 'error') {
    return 'Cost: the cluster could not be read';
  }
  return 'Cost: no cluster configured';
}

export function SummaryView({ summary }: { summary: OwnershipSummary }) {
  const withCost = summary.cost.status === 'ok';
  const { totals } = summary;
  const violationsLine = `${totals.violations} violations in ${totals.entitiesWithViolations} entities`;
  if (!totals.entities) {
    return (
      <Text as="p" variant="body-medium">
        No catalog entities you may read fall under the Shipshape policy.
      </Text>
    );
  }
  return (
    <Flex direction="column" gap="6">
      <div>
        <Flex gap="8" style={{ flexWrap: 'wrap' }} aria-label="Totals">
          <Text as="h2" variant="title-x-small">
            {totals.entities} entities
          </Text>
          <Text as="h2" variant="title-x-small">
            {totals.violations ? (
              <DangerText variant="title-x-small" weight="regular">
                {violationsLine}
              </DangerText>
            ) : (
              violationsLine
            )}
          </Text>
          <Text as="h2" variant="title-x-small">
            {costHeadline(summary)}
          </Text>
        </Flex>
        <ClusterErrors errors={summary.cost.errors} />
      </div>
      {summary.cost.status === 'no-cluster' && (
        <ConfigHint
          configKey="shipshape.environments"
          message="No cluster is configured, so no cost is estimated: set shipshape.environments in app-config, each environment a cluster of kubernetes.clusterLocatorMethods (type config, authProvider serviceAccount with a serviceAccountToken). Unit prices: shipshape.cost (docs/ownership.md)."
        />
      )}
      {LISTS.map(list => (
        <SummaryTable
          key={list.field}
          title={list.title}
          label={list.label}
          rows={rowsOf(summary[list.field].items, list.key, list.none)}
          withCost={withCost}
          filename={list.filename}
        />
      ))}
    </Flex>
  );
}
