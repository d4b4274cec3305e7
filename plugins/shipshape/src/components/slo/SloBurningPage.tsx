import {
  Content,
  Link,
  Progress,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import { SloBurnRow } from '@shipshape/plugin-shipshape-common';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
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

const columns: TableColumn<SloBurnRow>[] = [
  {
    title: 'Entity',
    field: 'entityRef',
    render: r => (
      <Link to={entityLink(r.entityRef)} title={r.entityRef}>
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
      <Typography variant="body1" component="p" gutterBottom>
        Services burning their error budget fastest.
      </Typography>
      {loading && <Progress />}
      {error && <ShipshapeErrorPanel error={error} />}
      {value && (
        <>
          {value.truncated && (
            <Alert severity="info" style={{ marginBottom: 8 }}>
              Only the first {value.entities} entities with SLOs are shown.
            </Alert>
          )}
          {[...new Set(value.errors.map(e => configKeyOf(e.error)))].map(
            key =>
              key && (
                <ConfigHint
                  key={key}
                  configKey={key}
                  message={value.errors.find(e => e.error.includes(key))!.error}
                />
              ),
          )}
          {value.errors
            .filter(e => !configKeyOf(e.error))
            .map(e => (
              <Alert
                key={`${e.entityRef}${e.error}`}
                severity="warning"
                style={{ marginBottom: 8 }}
              >
                {e.entityRef}: {e.error}
              </Alert>
            ))}
          {value.rows.length ? (
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
          ) : (
            !value.errors.length && (
              <Typography>No entity you can see declares an SLO.</Typography>
            )
          )}
        </>
      )}
    </Content>
  );
}
