import {
  Content,
  Progress,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import { SloBurnRow } from '@shipshape/plugin-shipshape-common';
import { Alert, Flex, Link, Text } from '@backstage/ui';
import useAsync from 'react-use/esm/useAsync';
import { shipshapeApiRef } from '../../api';
import {
  ConfigHint,
  ShipshapeErrorPanel,
  configKeyOf,
} from '../ShipshapeErrorPanel';
import { burn, percent } from './format';

function entityLink(ref: string) {
  const { kind, namespace, name } = parseEntityRef(ref);
  return `/catalog/${namespace}/${kind.toLocaleLowerCase('en-US')}/${name}`;
}

// core-components' Table (material-table, MUI): sortable columns with custom sorts, search and
// paging, which Backstage UI 0.18's Table does not do on the client
const columns: TableColumn<SloBurnRow>[] = [
  {
    title: 'Entity',
    field: 'entityRef',
    render: r => (
      <Link href={entityLink(r.entityRef)} title={r.entityRef}>
        {parseEntityRef(r.entityRef).name}
      </Link>
    ),
  },
  { title: 'SLO', field: 'slo', render: r => r.displayName ?? r.slo },
  {
    title: 'Objective',
    field: 'objective',
    render: r => `${percent(r.objective, 3)} / ${r.window}`,
  },
  {
    title: 'Budget left',
    field: 'errorBudgetRemaining',
    render: r => percent(r.errorBudgetRemaining, 1),
  },
  ...(['5m', '1h', '6h', '3d'] as const).map(
    (w): TableColumn<SloBurnRow> => ({
      title: `Burn ${w}`,
      field: `burnRates.${w}`,
      render: r => burn(r.burnRates[w]),
      defaultSort: w === '1h' ? 'desc' : undefined,
      customSort: (a, b) => (a.burnRates[w] ?? -1) - (b.burnRates[w] ?? -1),
    }),
  ),
  {
    title: 'State',
    field: 'state',
    render: r => (r.state === 'ok' ? 'ok' : `${r.state}: ${r.error ?? ''}`),
  },
];

/** The SLOs of the catalog (as far as the user may read it), fastest burn first. */
export function SloBurningPage() {
  const api = useApi(shipshapeApiRef);
  const { value, loading, error } = useAsync(() => api.getSloBurning(), [api]);
  return (
    <Content>
      <Flex direction="column" gap="3">
        <Text as="p" variant="body-medium">
          Services burning their error budget fastest.
        </Text>
        {/* core-components' Progress (MUI): Backstage UI 0.18 has no progress indicator */}
        {loading && <Progress />}
        {error && <ShipshapeErrorPanel error={error} />}
        {value?.truncated && (
          <Alert
            status="info"
            icon
            title={`Only the first ${value.entities} entities with SLOs are shown.`}
          />
        )}
        {value &&
          [...new Set(value.errors.map(e => configKeyOf(e.error)))].map(
            key =>
              key && (
                <ConfigHint
                  key={key}
                  configKey={key}
                  message={value.errors.find(e => e.error.includes(key))!.error}
                />
              ),
          )}
        {value?.errors
          .filter(e => !configKeyOf(e.error))
          .map(e => (
            <Alert
              key={`${e.entityRef}${e.error}`}
              status="warning"
              icon
              title={`${e.entityRef}: ${e.error}`}
            />
          ))}
        {value && value.rows.length > 0 && (
          <Table<SloBurnRow>
            title="SLOs by burn rate"
            options={{
              paging: value.rows.length > 20,
              pageSize: 20,
              search: true,
              // no column dragging: its drag handle inside the sort button is a nested control
              draggable: false,
            }}
            columns={columns}
            data={value.rows}
          />
        )}
        {value && !value.rows.length && !value.errors.length && (
          <Text as="p" variant="body-medium">
            No entity you can see declares an SLO.
          </Text>
        )}
      </Flex>
    </Content>
  );
}
