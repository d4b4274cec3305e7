import {
  getCompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
  StatusError,
  StatusOK,
  StatusWarning,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import { usePermission } from '@backstage/plugin-permission-react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import {
  ReadinessCheck,
  shipshapeBackupPermission,
} from '@shipshape/plugin-shipshape-common';
import { useCallback, useEffect, useState } from 'react';
import {
  BackupHistory,
  BackupItem,
  DrReadinessReport,
  shipshapeApiRef,
} from '../../api';

function size(bytes?: number) {
  if (bytes === undefined) return '';
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** The newest backups: when, how, outcome (with the failed step), size, who. */
function BackupRows({ items }: { items: BackupItem[] }) {
  if (!items.length) return null;
  return (
    <Box mt={2}>
      <Typography variant="subtitle2">Recent backups</Typography>
      <Table size="small" aria-label="backup history">
        <TableBody>
          {items.slice(0, 5).map(b => (
            <TableRow key={b.id}>
              <TableCell>
                <Typography variant="caption">
                  {b.startedAt.replace('T', ' ').slice(0, 16)} UTC
                </Typography>
              </TableCell>
              <TableCell>
                <Typography variant="caption">
                  {b.id.slice(0, 8)} · {b.method ?? 'pg_dump'}
                </Typography>
              </TableCell>
              <TableCell title={b.error}>
                <Typography variant="caption">
                  {b.status}
                  {b.failedStep ? ` at ${b.failedStep}` : ''}
                  {b.sizeBytes !== undefined ? ` · ${size(b.sizeBytes)}` : ''}
                </Typography>
              </TableCell>
              <TableCell>
                <Typography variant="caption">
                  {b.requestedBy.replace(/^user:(default\/)?/, '')}
                </Typography>
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </Box>
  );
}

const when = (iso: string) => `${iso.replace('T', ' ').slice(0, 16)} UTC`;

/** "Changed since <previous grade>": each check whose status moved, from → to. */
function Changes({ report }: { report: DrReadinessReport }) {
  if (!report.previous) {
    return (
      <Typography variant="caption" color="textSecondary">
        First graded {when(report.gradedAt)}
      </Typography>
    );
  }
  return (
    <Box>
      <Typography variant="caption" color="textSecondary">
        Graded {report.status.toUpperCase()} {when(report.gradedAt)}; changed
        since {when(report.previous.gradedAt)} (was{' '}
        {report.previous.status.toUpperCase()}):{' '}
        {report.changes
          .map(c => `${c.id} ${c.from ?? 'new'} → ${c.to ?? 'gone'}`)
          .join(', ')}
      </Typography>
    </Box>
  );
}

const STATUS: Record<ReadinessCheck['status'], typeof StatusOK> = {
  pass: StatusOK,
  warn: StatusWarning,
  fail: StatusError,
};

/**
 * DR readiness of the entity as the backend grades it (GET .../dr-readiness: rules in
 * shipshape-common readiness.ts, cluster facts, what changed since the last grade), its backup
 * history, with a Back up now button for users allowed to back it up.
 */
export function DrReadinessCard() {
  const { entity } = useEntity();
  const api = useApi(shipshapeApiRef);
  const entityRef = stringifyEntityRef(entity);
  const ref = getCompoundEntityRef(entity);
  const { allowed: canBackUp } = usePermission({
    permission: shipshapeBackupPermission,
    resourceRef: entityRef,
  });
  const [history, setHistory] = useState<BackupHistory>();
  const [historyError, setHistoryError] = useState<string>();
  const [readiness, setReadiness] = useState<DrReadinessReport>();
  const [error, setError] = useState<Error>();
  const [message, setMessage] = useState<string>();
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    // Readiness is graded by the backend (it reads the cluster); the history is optional.
    const [r, h] = await Promise.allSettled([
      api.getDrReadiness(ref),
      api.getBackupHistory(ref),
    ]);
    if (r.status === 'fulfilled') {
      setReadiness(r.value);
      setError(undefined);
    } else {
      setError(r.reason as Error);
    }
    if (h.status === 'fulfilled') {
      setHistory(h.value);
      setHistoryError(undefined);
    } else {
      setHistoryError((h.reason as Error).message);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, entityRef]);

  useEffect(() => {
    load();
  }, [load]);

  const backUp = async () => {
    setBusy(true);
    try {
      const b = await api.startBackup(ref, 'Back up now (DR readiness card)');
      setMessage(`Backup ${b.id} started`);
      await load();
    } catch (e) {
      setMessage((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const drill = async () => {
    setBusy(true);
    try {
      const d = await api.startRestoreDrill(ref);
      setMessage(`Restore drill ${d.id} started`);
      await load();
    } catch (e) {
      setMessage((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const items = history?.items ?? [];
  const lastVerified = items.find(b => b.status === 'verified');
  const Overall = readiness && STATUS[readiness.status];

  return (
    <InfoCard title="DR Readiness">
      {!readiness && !error && <Progress />}
      {error && <ResponseErrorPanel error={error} />}
      {readiness && Overall && (
        <>
          <Box display="flex" alignItems="center" mb={1}>
            <Overall>{readiness.status.toUpperCase()}</Overall>
            <Box ml={2}>
              <Typography variant="body2">
                {history
                  ? `Target ${history.target} (${history.storage})`
                  : historyError}
              </Typography>
            </Box>
            <Box ml={2}>
              <Typography variant="caption" color="textSecondary">
                Cluster checks from {readiness.environment}
              </Typography>
            </Box>
          </Box>
          <Changes report={readiness} />
          <Table size="small" aria-label="DR readiness checks">
            <TableBody>
              {readiness.checks.map(c => {
                const S = STATUS[c.status];
                return (
                  <TableRow key={c.id}>
                    <TableCell style={{ whiteSpace: 'nowrap' }}>
                      <S>{c.status}</S>
                    </TableCell>
                    <TableCell>
                      <Typography variant="body2">{c.message}</Typography>
                      {c.fix && (
                        <Typography variant="caption" color="textSecondary">
                          Fix: {c.fix}
                        </Typography>
                      )}
                    </TableCell>
                  </TableRow>
                );
              })}
            </TableBody>
          </Table>
          <BackupRows items={items} />
        </>
      )}
      <Box mt={2} display="flex" alignItems="center">
        <Button
          variant="contained"
          color="primary"
          disabled={!canBackUp || busy || !history}
          onClick={backUp}
        >
          Back up now
        </Button>
        <Box ml={1}>
          <Button
            variant="outlined"
            disabled={!canBackUp || busy || !lastVerified}
            onClick={drill}
          >
            Run restore drill
          </Button>
        </Box>
        {!canBackUp && (
          <Box ml={2}>
            <Typography variant="caption">
              You may not back up this entity
            </Typography>
          </Box>
        )}
        {message && (
          <Box ml={2}>
            <Typography variant="body2" role="status">
              {message}
            </Typography>
          </Box>
        )}
      </Box>
    </InfoCard>
  );
}
