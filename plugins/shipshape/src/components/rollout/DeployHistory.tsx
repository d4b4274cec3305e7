import { CompoundEntityRef } from '@backstage/catalog-model';
import {
  Progress,
  StatusAborted,
  StatusError,
  StatusOK,
  StatusPending,
  StatusWarning,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { useState } from 'react';
import useAsyncFn from 'react-use/esm/useAsyncFn';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { ShipshapeOpenApi } from '@shipshape/plugin-shipshape-common';
import { DeployHistory as History, shipshapeApiRef } from '../../api';
import { absoluteTime, relativeTime } from '../time';
import { OperationLog } from '../OperationLog';
import { ShipshapeErrorPanel } from '../ShipshapeErrorPanel';

type Release = ShipshapeOpenApi.DeployHistoryRelease;
type EnvironmentHistory = ShipshapeOpenApi.EnvironmentDeployHistory;

/** Helm's release status as a status icon. */
const HELM_STATUS: Record<string, typeof StatusOK> = {
  deployed: StatusOK,
  superseded: StatusPending,
  failed: StatusError,
  uninstalled: StatusAborted,
};

const OUTCOME: Record<string, typeof StatusOK> = {
  succeeded: StatusOK,
  'rolled-back': StatusWarning,
  failed: StatusError,
};

const NOT_SHOWN: Record<EnvironmentHistory['status'], string> = {
  ok: '',
  'not-helm':
    'Helm does not manage this service here: deploys patch its workloads directly (their revisions are above).',
  forbidden: 'The cluster refused access: ',
  unreachable: 'The cluster is unreachable: ',
  error: 'Could not read the history: ',
};

/** Who started a release: the portal's operation (with its log), else what Helm recorded. */
function Who({ r }: { r: Release }) {
  const [open, setOpen] = useState(false);
  if (!r.operation) {
    return (
      <Typography variant="caption" color="textSecondary">
        {r.description || '—'}
      </Typography>
    );
  }
  const op = r.operation;
  const Outcome = OUTCOME[op.status];
  return (
    <>
      <Typography variant="caption" display="block">
        {`portal ${op.kind} by ${op.requestedBy.replace(
          /^user:default\//,
          '',
        )}${op.reason ? `: ${op.reason}` : ''}`}
        {Outcome ? (
          <>
            {' '}
            <Outcome>{op.status}</Outcome>
          </>
        ) : (
          ` (${op.status})`
        )}
      </Typography>
      <Button size="small" aria-expanded={open} onClick={() => setOpen(!open)}>
        {open ? 'Hide operation log' : 'Operation log'}
      </Button>
      {open ? <OperationLog id={op.id} /> : null}
    </>
  );
}

function EnvironmentReleases({ env }: { env: EnvironmentHistory }) {
  return (
    <Box
      component="section"
      aria-label={`deploy history ${env.environment}`}
      mb={2}
    >
      <Typography variant="subtitle2" component="h4">
        {`${env.environment} · Helm release ${env.namespace}/${env.release}`}
      </Typography>
      {env.status !== 'ok' ? (
        <Typography
          variant="body2"
          color={env.status === 'not-helm' ? 'textSecondary' : 'error'}
        >
          {`${NOT_SHOWN[env.status]}${env.error ?? ''}`}
        </Typography>
      ) : (
        <Table size="small">
          <TableHead>
            <TableRow>
              <TableCell>Revision</TableCell>
              <TableCell>Image</TableCell>
              <TableCell>Who, why</TableCell>
              <TableCell>When</TableCell>
              <TableCell>Outcome</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {env.releases.map(r => {
              const Status = HELM_STATUS[r.status] ?? StatusWarning;
              return (
                <TableRow key={r.revision}>
                  <TableCell>
                    {r.revision}
                    <Typography
                      variant="caption"
                      display="block"
                      color="textSecondary"
                    >
                      {r.chart}
                    </Typography>
                  </TableCell>
                  <TableCell>
                    {r.images.map(i => (
                      <Typography
                        key={`${i.workload}/${i.image}`}
                        variant="caption"
                        display="block"
                      >
                        {i.image}
                      </Typography>
                    ))}
                  </TableCell>
                  <TableCell>
                    <Who r={r} />
                  </TableCell>
                  <TableCell>
                    <span title={absoluteTime(r.updated)}>
                      {relativeTime(r.updated)}
                    </span>
                  </TableCell>
                  <TableCell>
                    <Status>{r.status}</Status>
                  </TableCell>
                </TableRow>
              );
            })}
          </TableBody>
        </Table>
      )}
    </Box>
  );
}

/**
 * The Rollout card's deploy history: per environment, every Helm release (from the portal, the
 * release workflow or anyone with helm), loaded when opened.
 */
export function DeployHistorySection({
  entity,
}: {
  entity: CompoundEntityRef;
}) {
  const api = useApi(shipshapeApiRef);
  const [open, setOpen] = useState(false);
  const [history, load] = useAsyncFn(
    (): Promise<History> => api.getDeployHistory(entity),
    [api, entity.kind, entity.namespace, entity.name],
  );
  return (
    <Box mt={1}>
      <Button
        size="small"
        variant="outlined"
        aria-expanded={open}
        onClick={() => {
          setOpen(!open);
          if (!open) load();
        }}
      >
        {open ? 'Hide deploy history' : 'Deploy history'}
      </Button>
      {open ? (
        <Box mt={1}>
          {history.loading ? <Progress /> : null}
          {history.error ? <ShipshapeErrorPanel error={history.error} /> : null}
          {history.value?.environments.map(env => (
            <EnvironmentReleases key={env.environment} env={env} />
          ))}
        </Box>
      ) : null}
    </Box>
  );
}
