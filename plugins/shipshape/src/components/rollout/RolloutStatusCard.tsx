import {
  getCompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  InfoCard,
  Link,
  LinkButton,
  Progress,
  StatusAborted,
  StatusError,
  StatusOK,
  StatusPending,
  StatusRunning,
  StatusWarning,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import { useEntity } from '@backstage/plugin-catalog-react';
import { usePermission } from '@backstage/plugin-permission-react';
import { useEffect, useRef, useState } from 'react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Chip from '@material-ui/core/Chip';
import Divider from '@material-ui/core/Divider';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import {
  ECOSYSTEM_ANNOTATIONS,
  EnvironmentRollout,
  OperationSummary,
  PodInfo,
  RevisionInfo,
  RolloutPhase,
  WorkloadStatus,
  mutableImageTag,
  shipshapeDeployPermission,
} from '@shipshape/plugin-shipshape-common';
import { shipshapeApiRef } from '../../api';
import { absoluteTime, relativeTime } from '../time';
import { ShipshapeErrorPanel } from '../ShipshapeErrorPanel';
import { useEntityTabLink } from '../links';
import { useAutoRefresh } from './useAutoRefresh';
import { SIGNALLED_POLL_MS, useEntitySignal } from '../useEntitySignal';
import { AccessibleColours } from '../AccessibleColours';
import { DeployHistorySection } from './DeployHistory';

/** The day-2 template the Deploy button opens (templates/deploy-service). */
export const DEPLOY_TEMPLATE_PATH =
  '/create/templates/default/shipshape-deploy-service';

/**
 * Props of the Rollout status card (`EntityShipshapeRolloutCard`).
 *
 * @public
 */
export interface RolloutStatusCardProps {
  /**
   * How often to refresh while the tab is visible (default 10 s; at least 60 s while signals
   * push the changes; 0 turns it off).
   */
  refreshIntervalMs?: number;
  /** `errors` (the card): only failing pods; `all` (the tab): every pod. */
  pods?: 'errors' | 'all';
}

type PodsShown = NonNullable<RolloutStatusCardProps['pods']>;

const PHASE_STATUS: Record<
  RolloutPhase,
  (p: { children: string }) => JSX.Element
> = {
  complete: ({ children }) => <StatusOK>{children}</StatusOK>,
  progressing: ({ children }) => <StatusRunning>{children}</StatusRunning>,
  paused: ({ children }) => <StatusPending>{children}</StatusPending>,
  stalled: ({ children }) => <StatusError>{children}</StatusError>,
  degraded: ({ children }) => <StatusWarning>{children}</StatusWarning>,
};

const OPERATION_STATUS: Record<string, typeof StatusOK> = {
  succeeded: StatusOK,
  running: StatusRunning,
  queued: StatusRunning,
  'rolled-back': StatusWarning,
  failed: StatusError,
};

const CLUSTER_PROBLEM: Record<EnvironmentRollout['status'], string> = {
  ok: 'is fine',
  unreachable: 'is unreachable',
  forbidden: 'refused access',
  error: 'failed',
};

/** The strategy line: rolling-update limits, canary step and weight, blue-green selectors. */
export function strategyText(w: WorkloadStatus): string {
  const s = w.strategy;
  const kind = w.kind === 'Rollout' ? 'Argo Rollout, ' : '';
  if (s.type === 'Canary') {
    const step =
      s.canaryStep !== undefined
        ? ` step ${s.canaryStep}/${s.canarySteps}`
        : '';
    const weight =
      s.canaryWeight !== undefined ? `, weight ${s.canaryWeight}%` : '';
    return `${kind}Canary${step}${weight}`;
  }
  if (s.type === 'BlueGreen') {
    return `${kind}BlueGreen (active ${s.activeSelector ?? '?'}, preview ${
      s.previewSelector ?? 'none'
    })`;
  }
  if (s.maxSurge !== undefined) {
    return `${kind}${s.type} (surge ${s.maxSurge}, unavailable ${s.maxUnavailable})`;
  }
  return `${kind}${s.type}`;
}

function revisionText(r?: RevisionInfo): string {
  if (!r) return '—';
  return `rev ${r.revision ?? '?'} (${r.tags.join(', ') || 'no image'})`;
}

function LastOperation({ op }: { op?: OperationSummary }) {
  if (!op) {
    return (
      <Typography variant="body2" color="textSecondary">
        No deploy from Shipshape yet.
      </Typography>
    );
  }
  const Status = OPERATION_STATUS[op.status] ?? StatusError;
  return (
    <Typography variant="body2" component="div">
      Last operation: <Status>{`${op.kind} ${op.status}`}</Status> by{' '}
      {op.requestedBy.replace(/^user:default\//, '')},{' '}
      <span title={absoluteTime(op.createdAt)}>
        {relativeTime(op.createdAt)}
      </span>
      {op.outcomeReason ? (
        <Typography variant="caption" display="block" color="textSecondary">
          {op.outcomeReason}
        </Typography>
      ) : null}
    </Typography>
  );
}

function podText(p: PodInfo): string {
  const state = p.ready ? 'ready' : `not ready (${p.phase ?? 'unknown'})`;
  const error = p.error
    ? `: ${p.error.reason}${
        p.error.message ? ` — ${p.error.message}` : ''
      } (container ${p.error.container})`
    : '';
  return `${p.name} · ${p.revision ?? 'other'} revision · ${state} · ${
    p.restarts
  } restarts${p.node ? ` · ${p.node}` : ''}${error}`;
}

/** What the portal may do to a Rollout: Promote, Abort, Retry (engine operations). */
export type RolloutAction = 'promote' | 'abort' | 'retry';

/** The actions that fit a Rollout's phase (the backend refuses the others with a 409). */
export function rolloutActions(w: WorkloadStatus): RolloutAction[] {
  if (w.kind !== 'Rollout') return [];
  if (w.phase === 'paused') return ['promote', 'abort'];
  if (w.phase === 'progressing') return ['abort'];
  if (w.phase === 'stalled' && /abort/i.test(w.reason)) return ['retry'];
  return [];
}

const ACTION_LABEL: Record<RolloutAction, string> = {
  promote: 'Promote',
  abort: 'Abort',
  retry: 'Retry',
};

/** A canary's steps, the current one marked; blue-green's active and preview. */
function RolloutSteps({ w }: { w: WorkloadStatus }) {
  const steps = w.strategy.steps ?? [];
  if (!steps.length) return null;
  const current = w.strategy.canaryStep;
  return (
    <Typography
      variant="caption"
      display="block"
      aria-label={`canary steps of ${w.name}`}
    >
      {steps.map((text, i) => {
        const label = `${i + 1}. ${text}`;
        return (
          <span key={label}>
            {i > 0 ? ' · ' : ''}
            {current === i + 1 && w.phase !== 'complete' ? (
              <strong aria-current="step">{label}</strong>
            ) : (
              label
            )}
          </span>
        );
      })}
    </Typography>
  );
}

/** A Rollout's analysis runs: phase and each metric's value against its failure condition. */
function AnalysisRuns({ w }: { w: WorkloadStatus }) {
  if (!w.analysisRuns?.length) return null;
  return (
    <ul aria-label={`analysis runs of ${w.name}`}>
      {w.analysisRuns.map(run => {
        const failed = run.phase === 'Failed' || run.phase === 'Error';
        return (
          <Typography
            key={run.name}
            component="li"
            variant="caption"
            display="block"
            color={failed ? 'error' : 'textSecondary'}
          >
            {`Analysis${run.revision ? ` of rev ${run.revision}` : ''}: ${
              run.phase
            }${run.metrics
              .map(
                m =>
                  ` · ${m.name} = ${m.value ?? '—'} (${m.phase}${
                    m.failureCondition
                      ? `; fails when ${m.failureCondition}`
                      : ''
                  })`,
              )
              .join('')}`}
          </Typography>
        );
      })}
    </ul>
  );
}

function RolloutButtons({
  w,
  onAction,
}: {
  w: WorkloadStatus;
  onAction: (action: RolloutAction) => Promise<void>;
}) {
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string>();
  const actions = rolloutActions(w);
  if (!actions.length) return null;
  return (
    <Box mt={1}>
      {actions.map(action => (
        <Box component="span" mr={1} key={action}>
          <Button
            size="small"
            variant="outlined"
            color={action === 'abort' ? 'secondary' : 'primary'}
            disabled={busy}
            aria-label={`${ACTION_LABEL[action]} ${w.name}`}
            onClick={async () => {
              setBusy(true);
              setFailure(undefined);
              try {
                await onAction(action);
              } catch (e) {
                // the backend's reason (e.g. a 409: why the Rollout's state does not allow it)
                setFailure(
                  (e as ResponseError).body?.error?.message ??
                    (e as Error).message,
                );
              } finally {
                setBusy(false);
              }
            }}
          >
            {ACTION_LABEL[action]}
          </Button>
        </Box>
      ))}
      {failure ? (
        <Typography variant="caption" display="block" color="error">
          {failure}
        </Typography>
      ) : null}
    </Box>
  );
}

function WorkloadRow({
  w,
  pods,
  kubernetesTab,
  onAction,
}: {
  w: WorkloadStatus;
  pods: PodsShown;
  kubernetesTab: string;
  /** Set when the user may act on the entity's Rollouts in this environment. */
  onAction?: (action: RolloutAction) => Promise<void>;
}) {
  // a rollout of an image by a moving tag is complete today and may run other code tomorrow
  const mutable = w.current.images.flatMap(image => {
    const why = mutableImageTag(image);
    return why ? [`${image} (${why})`] : [];
  });
  const Phase =
    PHASE_STATUS[
      mutable.length && w.phase === 'complete' ? 'degraded' : w.phase
    ];
  const failing = w.pods.filter(p => p.error);
  const listed = pods === 'all' ? w.pods : [];
  return (
    <>
      <TableRow>
        <TableCell>
          <Typography variant="body2">{w.name}</Typography>
          <Typography variant="caption" color="textSecondary" display="block">
            {strategyText(w)}
          </Typography>
          <RolloutSteps w={w} />
          <Typography variant="caption">
            <Link
              to={kubernetesTab}
              aria-label={`Pods, events, logs of ${w.name}`}
            >
              Pods, events, logs
            </Link>
          </Typography>
        </TableCell>
        <TableCell aria-label="replicas">
          {`${w.replicas.updated}/${w.replicas.ready}/${w.replicas.available} of ${w.replicas.desired}`}
        </TableCell>
        <TableCell>
          <Typography variant="body2">{revisionText(w.current)}</Typography>
          {w.previous ? (
            <Typography variant="caption" color="textSecondary">
              previous {revisionText(w.previous)}
            </Typography>
          ) : null}
        </TableCell>
        <TableCell>
          {/* one line: beside a canary's steps the column is narrow, and broke "complete" */}
          <Box component="span" whiteSpace="nowrap">
            <Phase>{w.phase}</Phase>
          </Box>
          <Typography variant="caption" display="block" color="textSecondary">
            {w.reason}
          </Typography>
          {mutable.length > 0 && (
            <Typography variant="caption" display="block" color="error">
              {`Mutable image tag: ${mutable.join(
                ', ',
              )}; deploy by version or digest`}
            </Typography>
          )}
          {onAction ? <RolloutButtons w={w} onAction={onAction} /> : null}
        </TableCell>
      </TableRow>
      {w.analysisRuns?.length ? (
        // a row of its own: in the Phase cell the metrics' text squeezed the other columns
        <TableRow>
          <TableCell colSpan={4}>
            <AnalysisRuns w={w} />
          </TableCell>
        </TableRow>
      ) : null}
      {listed.length > 0 ? (
        <TableRow>
          <TableCell colSpan={4}>
            <ul aria-label={`pods of ${w.name}`}>
              {listed.map(p => (
                <Typography
                  key={p.name}
                  component="li"
                  variant="caption"
                  display="block"
                  color={p.error ? 'error' : 'textSecondary'}
                >
                  {podText(p)}
                </Typography>
              ))}
            </ul>
          </TableCell>
        </TableRow>
      ) : null}
      {pods === 'errors' && failing.length > 0 ? (
        <TableRow>
          <TableCell colSpan={4}>
            {failing.map(p => (
              <Typography
                key={p.name}
                variant="caption"
                display="block"
                color="error"
              >
                {`${p.name}: ${p.error!.reason}${
                  p.error!.message ? ` — ${p.error!.message}` : ''
                } (container ${p.error!.container}, ${p.restarts} restarts)`}
              </Typography>
            ))}
          </TableCell>
        </TableRow>
      ) : null}
    </>
  );
}

function EnvironmentBody({
  env,
  pods,
  kubernetesTab,
  onAction,
}: {
  env: EnvironmentRollout;
  pods: PodsShown;
  kubernetesTab: string;
  onAction?: (action: RolloutAction, environment: string) => Promise<void>;
}) {
  if (env.status !== 'ok') {
    return (
      <Typography variant="body2" color="error">
        <StatusAborted>
          {`Cluster ${env.cluster} ${CLUSTER_PROBLEM[env.status]}: ${
            env.error ?? ''
          }`}
        </StatusAborted>
      </Typography>
    );
  }
  if (env.workloads.length === 0) {
    return (
      <Typography variant="body2" color="textSecondary">
        No workloads in this environment.
      </Typography>
    );
  }
  return (
    <Table size="small">
      <TableHead>
        <TableRow>
          <TableCell>Workload</TableCell>
          <TableCell>Updated/ready/available</TableCell>
          <TableCell>Revision</TableCell>
          <TableCell>Phase</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {env.workloads.map(w => (
          <WorkloadRow
            key={`${w.kind}/${w.name}`}
            w={w}
            pods={pods}
            kubernetesTab={kubernetesTab}
            onAction={
              onAction ? action => onAction(action, env.environment) : undefined
            }
          />
        ))}
      </TableBody>
    </Table>
  );
}

function EnvironmentSection({
  env,
  pods,
  kubernetesTab,
  onAction,
}: {
  env: EnvironmentRollout;
  pods: PodsShown;
  kubernetesTab: string;
  onAction?: (action: RolloutAction, environment: string) => Promise<void>;
}) {
  return (
    <Box
      mb={2}
      component="section"
      aria-label={`environment ${env.environment}`}
    >
      <Box display="flex" alignItems="center" mb={1}>
        <Typography variant="h6" component="h3">
          {env.environment}
        </Typography>
        <Box ml={1}>
          <Chip size="small" label={`${env.cluster}/${env.namespace}`} />
        </Box>
      </Box>
      <EnvironmentBody
        env={env}
        pods={pods}
        kubernetesTab={kubernetesTab}
        onAction={onAction}
      />
      <Box mt={1}>
        <LastOperation op={env.lastOperation} />
      </Box>
    </Box>
  );
}

/** Per environment: each workload's replicas, revisions, phase, pod errors and the last deploy. */
export function RolloutStatusCard(props: RolloutStatusCardProps) {
  const { entity } = useEntity();
  const api = useApi(shipshapeApiRef);
  const entityRef = stringifyEntityRef(entity);
  // The stock Kubernetes plugin's entity tab: pods, their events and logs
  const kubernetesTab = useEntityTabLink(entity, 'kubernetes');
  const hasId =
    !!entity.metadata.annotations?.[ECOSYSTEM_ANNOTATIONS.kubernetesId];
  const { allowed: canDeploy } = usePermission({
    permission: shipshapeDeployPermission,
    resourceRef: entityRef,
  });
  // A deploy's or rollback's signal refreshes at once; polling is then a slow fallback, except
  // while a workload is not complete (a rollout started outside the portal sends no signal).
  const signalled = useRef(() => {});
  const { live } = useEntitySignal(entityRef, s => {
    if (s.kind === 'rollout' || s.kind === 'operation') signalled.current();
  });
  const [moving, setMoving] = useState(false);
  const pollMs = props.refreshIntervalMs ?? 10_000;
  const intervalMs =
    live && pollMs > 0 && !moving
      ? Math.max(pollMs, SIGNALLED_POLL_MS)
      : pollMs;
  const { value, error, loading, updatedAt, refresh } = useAutoRefresh(
    () => api.getEntityRollout(getCompoundEntityRef(entity)),
    hasId ? intervalMs : -1,
    [entityRef, hasId],
  );
  signalled.current = refresh;
  // Promote, Abort, Retry: engine operations; the card shows the Rollout's new state after
  const act = async (action: RolloutAction, environment: string) => {
    await api.rolloutAction(getCompoundEntityRef(entity), action, environment);
    refresh();
  };
  useEffect(
    () =>
      setMoving(
        !!value?.environments.some(e =>
          e.workloads.some(w => w.phase !== 'complete'),
        ),
      ),
    [value],
  );

  if (!hasId) {
    return (
      <InfoCard title="Rollout status">
        <Typography variant="body2">
          {`This entity has no ${ECOSYSTEM_ANNOTATIONS.kubernetesId} annotation, so its workloads cannot be found.`}
        </Typography>
      </InfoCard>
    );
  }
  const deployLink = `${DEPLOY_TEMPLATE_PATH}?${new URLSearchParams({
    formData: JSON.stringify({ entityRef }),
  })}`;
  return (
    <AccessibleColours>
      <InfoCard
        title="Rollout status"
        subheader={updatedAt ? `updated ${absoluteTime(updatedAt)}` : undefined}
        action={
          canDeploy ? (
            <Box mt={1} mr={1}>
              <LinkButton
                to={deployLink}
                variant="outlined"
                color="primary"
                size="small"
              >
                Deploy
              </LinkButton>
            </Box>
          ) : undefined
        }
      >
        {loading && !value ? <Progress /> : null}
        {error ? <ShipshapeErrorPanel error={error} /> : null}
        {value?.environments.map((env, i) => (
          <Box key={env.environment}>
            {i > 0 ? <Divider /> : null}
            <Box mt={i > 0 ? 2 : 0}>
              <EnvironmentSection
                env={env}
                pods={props.pods ?? 'errors'}
                kubernetesTab={kubernetesTab}
                onAction={canDeploy ? act : undefined}
              />
            </Box>
          </Box>
        ))}
        {value ? (
          <DeployHistorySection entity={getCompoundEntityRef(entity)} />
        ) : null}
      </InfoCard>
    </AccessibleColours>
  );
}
