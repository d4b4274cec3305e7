import { Progress } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { Text } from '@backstage/ui';
import useAsync from 'react-use/esm/useAsync';
import { shipshapeApiRef } from '../api';
import { DangerText } from './DangerText';
import { ShipshapeErrorPanel } from './ShipshapeErrorPanel';
import { absoluteTime } from './time';

/** The kinds whose log the backend may withhold, in words. */
const WITHHELD_KIND: Record<string, string> = {
  backup: 'backup',
  'restore-drill': 'restore drill',
};

/**
 * An operation's log (any kind), loaded when shown: each line with its time (UTC); a warning or
 * error says so in words, not only in colour. A log the backend withholds (a backup or restore
 * drill to a reader who may not run backups of its entity) says who may read it, given the
 * operation's `kind` and `entityRef`.
 */
export function OperationLog({
  id,
  kind,
  entityRef,
}: {
  id: string;
  kind?: string;
  entityRef?: string;
}) {
  const api = useApi(shipshapeApiRef);
  const log = useAsync(() => api.getOperationLog(id), [api, id]);
  // core-components' Progress (MUI): Backstage UI 0.18 has no progress indicator
  if (log.loading) return <Progress />;
  if (log.error) return <ShipshapeErrorPanel error={log.error} />;
  if (log.value?.withheld) {
    const what = WITHHELD_KIND[kind ?? ''] ?? 'operation';
    return (
      <Text as="p" variant="body-x-small">
        {entityRef
          ? `The log of this ${what} is shown to those who may run backups of ${entityRef}.`
          : `The log of this ${what} is not shown to you.`}
      </Text>
    );
  }
  if (!log.value?.lines.length) {
    return (
      <Text as="p" variant="body-x-small">
        No log lines yet.
      </Text>
    );
  }
  return (
    <ol
      aria-label={`log of operation ${id}`}
      style={{ listStyle: 'none', margin: 0, padding: 0 }}
    >
      {log.value.lines.map(l => {
        const text = `${absoluteTime(l.at)} ${
          l.level === 'info' ? '' : `${l.level.toLocaleUpperCase('en-US')}: `
        }${l.message}`;
        return (
          <li key={l.seq}>
            <Text
              as="div"
              variant="body-x-small"
              style={{ overflowWrap: 'anywhere' }}
            >
              {l.level === 'info' ? text : <DangerText>{text}</DangerText>}
            </Text>
          </li>
        );
      })}
    </ol>
  );
}
