import { Progress } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import { SloBurnRow } from '@shipshape/plugin-shipshape-common';
import { Alert, Container, Flex, Link, Text } from '@backstage/ui';
import useAsync from 'react-use/esm/useAsync';
import { shipshapeApiRef } from '../../api';
import { DataColumn, DataTable } from '../DataTable';
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

type Row = SloBurnRow & { id: string };

const byNumber =
  (f: (r: Row) => number | null | undefined) => (a: Row, b: Row) =>
    (f(a) ?? -1) - (f(b) ?? -1);
const byText = (f: (r: Row) => string) => (a: Row, b: Row) =>
  f(a).localeCompare(f(b), 'en-US');

const nameOf = (r: Row) => r.displayName ?? r.slo;
const stateOf = (r: Row) =>
  r.state === 'ok' ? 'ok' : `${r.state}: ${r.error ?? ''}`;

const columns: DataColumn<Row>[] = [
  {
    id: 'entity',
    label: 'Entity',
    isRowHeader: true,
    render: r => (
      <Link href={entityLink(r.entityRef)} title={r.entityRef}>
        {parseEntityRef(r.entityRef).name}
      </Link>
    ),
    compare: byText(r => r.entityRef),
    text: r => r.entityRef,
  },
  {
    id: 'slo',
    label: 'SLO',
    render: nameOf,
    compare: byText(nameOf),
    text: nameOf,
  },
  {
    id: 'objective',
    label: 'Objective',
    render: r => `${percent(r.objective, 3)} / ${r.window}`,
    compare: byNumber(r => r.objective),
  },
  {
    id: 'budget',
    label: 'Budget left',
    render: r => percent(r.errorBudgetRemaining, 1),
    compare: byNumber(r => r.errorBudgetRemaining),
  },
  ...(['5m', '1h', '6h', '3d'] as const).map(
    (w): DataColumn<Row> => ({
      id: `burn-${w}`,
      label: `Burn ${w}`,
      render: r => burn(r.burnRates[w]),
      compare: byNumber(r => r.burnRates[w]),
    }),
  ),
  {
    id: 'state',
    label: 'State',
    render: stateOf,
    compare: byText(stateOf),
    text: stateOf,
  },
];

/** The SLOs of the catalog (as far as the user may read it), fastest burn first. */
export function SloBurningPage() {
  const api = useApi(shipshapeApiRef);
  const { value, loading, error } = useAsync(() => api.getSloBurning(), [api]);
  return (
    <Container py="6">
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
          <DataTable<Row>
            label="SLOs by burn rate"
            columns={columns}
            rows={value.rows.map(r => ({
              ...r,
              id: `${r.entityRef}/${r.slo}`,
            }))}
            initialSort={{ column: 'burn-1h', direction: 'descending' }}
          />
        )}
        {value && !value.rows.length && !value.errors.length && (
          <Text as="p" variant="body-medium">
            No entity you can see declares an SLO.
          </Text>
        )}
      </Flex>
    </Container>
  );
}
