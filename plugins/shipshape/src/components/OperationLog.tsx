import { Progress } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import Typography from '@material-ui/core/Typography';
import useAsync from 'react-use/esm/useAsync';
import { shipshapeApiRef } from '../api';
import { ShipshapeErrorPanel } from './ShipshapeErrorPanel';
import { absoluteTime } from './time';

/**
 * An operation's log (any kind), loaded when shown: each line with its time (UTC); a warning or
 * error says so in words, not only in colour.
 */
export function OperationLog({ id }: { id: string }) {
  const api = useApi(shipshapeApiRef);
  const log = useAsync(() => api.getOperationLog(id), [api, id]);
  if (log.loading) return <Progress />;
  if (log.error) return <ShipshapeErrorPanel error={log.error} />;
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
