import {
  getCompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  Progress,
  StatusError,
  StatusOK,
  StatusPending,
  StatusRunning,
  StatusWarning,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { EntityInfoCard, useEntity } from '@backstage/plugin-catalog-react';
import { Button, Flex, Link, Text } from '@backstage/ui';
import { ShipshapeOpenApi } from '@shipshape/plugin-shipshape-common';
import { Fragment, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { shipshapeApiRef } from '../../api';
import { OperationLog } from '../OperationLog';
import { DangerText } from '../DangerText';
import { ShipshapeErrorPanel } from '../ShipshapeErrorPanel';
import { StaticTable, Td, Th } from '../StaticTable';
import { absoluteTime, relativeTime } from '../time';
import { FALLBACK_POLL_MS, useEntitySignal } from '../useEntitySignal';
import { SignalFreshness } from '../SignalFreshness';

type Operation = ShipshapeOpenApi.Operation;

const NOWRAP = { whiteSpace: 'nowrap' } as const;

/** Operations per page. */
export const ACTIVITY_PAGE_SIZE = 20;

const KIND_LABEL: Record<string, string> = {
  deploy: 'Deploy',
  rollback: 'Rollback',
  pause: 'Pause',
  promote: 'Promote',
  abort: 'Abort',
  retry: 'Retry',
  backup: 'Backup',
  'restore-drill': 'Restore drill',
};

// core-components' status icons (MUI) with the status in words: Backstage UI 0.18 has no status
// indicator yet
const STATUS: Record<string, typeof StatusOK> = {
  succeeded: StatusOK,
  failed: StatusError,
  'rolled-back': StatusWarning,
  running: StatusRunning,
  queued: StatusPending,
};

/** The operation's input as far as this view reads it (it depends on the kind). */
interface Input {
  environment?: string;
  target?: string;
  backupId?: string;
  method?: string;
  rollouts?: string[];
  changes?: Array<{ name?: string; toImage?: string }>;
}

/** Who asked: a user by name, a scheduled pass as such, a service as its ref. */
export function whoOf(requestedBy: string): string {
  if (requestedBy === 'shipshape:restore-drill-schedule') return 'schedule';
  return requestedBy.replace(/^user:default\//, '');
}

/** What was done, in words: the kind and what it acted on. */
function whatOf(op: Operation): string {
  const input = (op.input ?? {}) as Input;
  const kind = KIND_LABEL[op.kind] ?? op.kind;
  if (op.kind === 'deploy' && input.changes?.length) {
    return `${kind} ${input.changes.map(c => c.toImage).join(', ')}`;
  }
  if (input.rollouts?.length) return `${kind} ${input.rollouts.join(', ')}`;
  if (op.kind === 'restore-drill' && input.backupId) {
    return `${kind} of backup ${input.backupId.slice(0, 8)}`;
  }
  if (op.kind === 'backup' && input.method === 'in-cluster') {
    return `${kind} (in-cluster job)`;
  }
  return kind;
}

/** Where: the environment, or the backup target of a backup or drill. */
function whereOf(op: Operation): string {
  const input = (op.input ?? {}) as Input;
  if (input.environment) return input.environment;
  if (input.target) return `target ${input.target}`;
  return '–';
}

function OperationRow({
  op,
  open,
  logLink,
}: {
  op: Operation;
  open: boolean;
  logLink: (id?: string) => string;
}) {
  const Status = STATUS[op.status] ?? StatusWarning;
  return (
    <Fragment>
      <tr>
        <Td style={NOWRAP}>
          <span title={absoluteTime(op.createdAt)}>
            {relativeTime(op.createdAt)}
          </span>
        </Td>
        <Td>
          {whatOf(op)}
          {op.reason ? (
            <Text as="div" variant="body-x-small">
              {op.reason}
            </Text>
          ) : null}
        </Td>
        <Td style={NOWRAP}>{whereOf(op)}</Td>
        <Td style={NOWRAP}>{whoOf(op.requestedBy)}</Td>
        <Td style={{ overflowWrap: 'anywhere' }}>
          <Status>{op.status}</Status>
          {op.outcomeReason ? (
            <Text as="div" variant="body-x-small">
              {op.status === 'succeeded' ? (
                op.outcomeReason
              ) : (
                <DangerText>{op.outcomeReason}</DangerText>
              )}
            </Text>
          ) : null}
        </Td>
        <Td style={NOWRAP}>
          <Link
            href={logLink(open ? undefined : op.id)}
            aria-label={`${open ? 'Hide log' : 'Log'} of ${
              KIND_LABEL[op.kind] ?? op.kind
            } ${absoluteTime(op.createdAt)}`}
          >
            {open ? 'Hide log' : 'Log'}
          </Link>
        </Td>
      </tr>
      {open ? (
        <tr>
          <Td colSpan={6}>
            <OperationLog id={op.id} kind={op.kind} entityRef={op.entityRef} />
          </Td>
        </tr>
      ) : null}
    </Fragment>
  );
}

/**
 * The entity's Activity: every operation of every kind (deploy, rollback, pause, promote, backup,
 * restore drill, scheduled ones too), newest first, paged, each with who, what, where, when and
 * its outcome, and a link to its log (`?operation=<id>`, so a log can be linked to). Re-read when
 * a signal says the entity changed.
 */
export function ActivityContent() {
  const { entity } = useEntity();
  const api = useApi(shipshapeApiRef);
  const entityRef = stringifyEntityRef(entity);
  const [offset, setOffset] = useState(0);
  const [params] = useSearchParams();
  const selected = params.get('operation') ?? undefined;
  const page = useAsyncRetry(
    () =>
      api.getEntityOperations(getCompoundEntityRef(entity), {
        limit: ACTIVITY_PAGE_SIZE,
        offset,
      }),
    [api, entityRef, offset],
  );
  const freshness = useEntitySignal(
    entityRef,
    () => page.retry(),
    () => page.retry(),
    FALLBACK_POLL_MS,
  );

  const logLink = (id?: string) => {
    const next = new URLSearchParams(params);
    if (id) next.set('operation', id);
    else next.delete('operation');
    const query = next.toString();
    return query ? `?${query}` : '?';
  };

  let content;
  if (page.loading && !page.value) content = <Progress />;
  else if (page.error) content = <ShipshapeErrorPanel error={page.error} />;
  else if (page.value && page.value.total === 0) {
    content = (
      <Text as="p" variant="body-small">
        No operations yet. Deploys, rollbacks, pauses and promotes (Rollout
        card) and backups and restore drills (DR readiness card, and scheduled
        drills) are listed here as they happen.
      </Text>
    );
  } else if (page.value) {
    const { items, total } = page.value;
    const first = offset + 1;
    const last = offset + items.length;
    content = (
      <>
        <StaticTable label="operations, newest first">
          <thead>
            <tr>
              <Th>When</Th>
              <Th>What</Th>
              <Th>Environment</Th>
              <Th>Who</Th>
              <Th>Outcome</Th>
              <Th>Log</Th>
            </tr>
          </thead>
          <tbody>
            {items.map(op => (
              <OperationRow
                key={op.id}
                op={op}
                open={op.id === selected}
                logLink={logLink}
              />
            ))}
          </tbody>
        </StaticTable>
        <Flex align="center" gap="2" mt="2">
          <Text variant="body-small">{`${first}–${last} of ${total}`}</Text>
          <Button
            size="small"
            variant="secondary"
            isDisabled={offset === 0}
            onPress={() => setOffset(Math.max(0, offset - ACTIVITY_PAGE_SIZE))}
          >
            Newer
          </Button>
          <Button
            size="small"
            variant="secondary"
            isDisabled={last >= total}
            onPress={() => setOffset(offset + ACTIVITY_PAGE_SIZE)}
          >
            Older
          </Button>
        </Flex>
      </>
    );
  }
  return (
    <EntityInfoCard title="Activity">
      <Flex direction="column" gap="2">
        {content}
        <SignalFreshness {...freshness} testId="activity-freshness" />
      </Flex>
    </EntityInfoCard>
  );
}
