import { Progress } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import Typography from '@material-ui/core/Typography';
import useAsync from 'react-use/esm/useAsync';
import { shipshapeApiRef } from '../api';
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
  if (log.loading) return <Progress />;
  if (log.error) return <ShipshapeErrorPanel error={log.error} />;
  if (log.value?.withheld) {
    const what = WITHHELD_KIND[kind ?? ''] ?? 'operation';
    return (
      <Typography variant="caption" color="textSecondary">
        {entityRef
          ? `The log of this ${what} is shown to those who may run backups of ${entityRef}.`
          : `The log of this ${what} is not shown to you.`}
      </Typography>
    );
  }
  if (!log.value?.lines.length) {
    return (
      <Typography variant="caption" color="textSecondary">
        No log lines yet.
      </Typography>
    );
  }
  return (
    <ol aria-label={`log of operation ${id}`}>
      {log.value.lines.map(l => (
        <Typography
          key={l.seq}
          component="li"
          variant="caption"
          display="block"
          color={l.level === 'info' ? 'textSecondary' : 'error'}
        >
          {`${absoluteTime(l.at)} ${
            l.level === 'info' ? '' : `${l.level.toLocaleUpperCase('en-US')}: `
          }${l.message}`}
        </Typography>
      ))}
    </ol>
  );
}
