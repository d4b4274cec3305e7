import {
  Content,
  Progress,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import {
  OwnershipSummary,
  OwnershipSummaryRow,
} from '@shipshape/plugin-shipshape-common';
import { Button, Flex, Text } from '@backstage/ui';
import useAsync from 'react-use/esm/useAsync';
import { ShipshapeApi, shipshapeApiRef } from '../../api';
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
  const columns: TableColumn<Row>[] = [
    { title: label, field: 'name', highlight: true },
    { title: 'Entities', field: 'entities', type: 'numeric' },
    { title: 'Violations', field: 'violations', type: 'numeric' },
    {
      title: 'Entities with violations',
      field: 'entitiesWithViolations',
      type: 'numeric',
    },
  ];
  if (withCost) {
    columns.push({
      title: 'Monthly cost',
      field: 'monthlyUsd',
      type: 'numeric',
      defaultSort: 'desc',
      render: row =>
        row.monthlyUsd === undefined ? '—' : formatUsd(row.monthlyUsd),
    });
  }
  return (
    <Flex direction="column" gap="2">
      <Flex justify="end">
        <Button
          variant="secondary"
          size="small"
          aria-label={`Export CSV of ${title}`}
          onPress={() => download(filename, summaryCsv(rows, label, withCost))}
        >
          Export CSV
        </Button>
      </Flex>
      {/* MUI (core-components' material-table): Backstage UI 0.18's Table has no built-in search yet */}
      <Table<Row>
        title={title}
        options={{
          paging: rows.length > 20,
          pageSize: 20,
          search: true,
          padding: 'dense',
          // no column dragging: its drag handle inside the sort button is a nested control
          draggable: false,
        }}
        columns={columns}
        data={rows}
      />
    </Flex>
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
    <Content>
      {/* MUI progress bar (core-components): Backstage UI 0.18 has no progress indicator yet */}
      {loading && <Progress />}
      {error && <ShipshapeErrorPanel error={error} />}
      {value && <SummaryView summary={value} />}
    </Content>
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
