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
import { Button, Flex, Text } from '@backstage/ui';
import { ShipshapeOpenApi } from '@shipshape/plugin-shipshape-common';
import { DeployHistory as History, shipshapeApiRef } from '../../api';
import { absoluteTime, relativeTime } from '../time';
import { OperationLog } from '../OperationLog';
import { ShipshapeErrorPanel } from '../ShipshapeErrorPanel';
import { DangerText } from '../DangerText';
import { StaticTable, Td, Th } from '../StaticTable';

/** Long texts (images, descriptions) wrap inside the card. */
const WRAP = { overflowWrap: 'anywhere' } as const;

type Release = ShipshapeOpenApi.DeployHistoryRelease;
type EnvironmentHistory = ShipshapeOpenApi.EnvironmentDeployHistory;

/**
 * Helm's release status as a status icon (core-components, MUI: Backstage UI 0.18 has no status
 * indicator yet), with the status in words.
 */
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
    return <>{r.description || '—'}</>;
  }
  const op = r.operation;
  const Outcome = OUTCOME[op.status];
  return (
    <Flex direction="column" gap="1" align="start">
      <div>
        {`portal ${op.kind} by ${op.requestedBy.replace(
          /^user:default\//,
          '',
        )}${op.reason ? `: ${op.reason}` : ''}`}
        {Outcome ? (
          <>
            {' '}
            {/* the status is a flex box (a line of its own): kept in the sentence */}
            <span style={{ display: 'inline-block' }}>
              <Outcome>{op.status}</Outcome>
            </span>
          </>
        ) : (
          ` (${op.status})`
        )}
      </div>
      <Button
        size="small"
        variant="tertiary"
        aria-expanded={open}
        onPress={() => setOpen(!open)}
      >
        {open ? 'Hide operation log' : 'Operation log'}
      </Button>
      {open ? <OperationLog id={op.id} /> : null}
    </Flex>
  );
}

function EnvironmentReleases({ env }: { env: EnvironmentHistory }) {
  const problem = `${NOT_SHOWN[env.status]}${env.error ?? ''}`;
  return (
    <section aria-label={`deploy history ${env.environment}`}>
      <Flex direction="column" gap="1">
        <Text as="h4" variant="body-medium" weight="bold">
          {`${env.environment} · Helm release ${env.namespace}/${env.release}`}
        </Text>
        {env.status !== 'ok' ? (
          <Text as="p" variant="body-small" style={WRAP}>
            {env.status === 'not-helm' ? (
              problem
            ) : (
              <DangerText>{problem}</DangerText>
            )}
          </Text>
        ) : (
          <StaticTable label={`Helm releases in ${env.environment}`}>
            <thead>
              <tr>
                <Th>Revision</Th>
                <Th>Image</Th>
                <Th>Who, why</Th>
                <Th>When</Th>
                <Th>Outcome</Th>
              </tr>
            </thead>
            <tbody>
              {env.releases.map(r => {
                const Status = HELM_STATUS[r.status] ?? StatusWarning;
                return (
                  <tr key={r.revision}>
                    <Td>
                      <div>{r.revision}</div>
                      <Text as="div" variant="body-x-small">
                        {r.chart}
                      </Text>
                    </Td>
                    <Td style={WRAP}>
                      {r.images.map(i => (
                        <div key={`${i.workload}/${i.image}`}>{i.image}</div>
                      ))}
                    </Td>
                    <Td style={WRAP}>
                      <Who r={r} />
                    </Td>
                    <Td style={{ whiteSpace: 'nowrap' }}>
                      <span title={absoluteTime(r.updated)}>
                        {relativeTime(r.updated)}
                      </span>
                    </Td>
                    <Td style={{ whiteSpace: 'nowrap' }}>
                      <Status>{r.status}</Status>
                    </Td>
                  </tr>
                );
              })}
            </tbody>
          </StaticTable>
        )}
      </Flex>
    </section>
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
    <Flex direction="column" gap="2" align="start">
      <Button
        size="small"
        variant="secondary"
        aria-expanded={open}
        onPress={() => {
          setOpen(!open);
          if (!open) load();
        }}
      >
        {open ? 'Hide deploy history' : 'Deploy history'}
      </Button>
      {open ? (
        <Flex direction="column" gap="4" style={{ alignSelf: 'stretch' }}>
          {/* core-components' Progress (MUI): Backstage UI 0.18 has no progress indicator */}
          {history.loading ? <Progress /> : null}
          {history.error ? <ShipshapeErrorPanel error={history.error} /> : null}
          {history.value?.environments.map(env => (
            <EnvironmentReleases key={env.environment} env={env} />
          ))}
        </Flex>
      ) : null}
    </Flex>
  );
}
