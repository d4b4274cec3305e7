import {
  getCompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
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
import { EntityInfoCard, useEntity } from '@backstage/plugin-catalog-react';
import { usePermission } from '@backstage/plugin-permission-react';
import { useRef, useState } from 'react';
import { Badge, Button, ButtonLink, Flex, Link, Text } from '@backstage/ui';
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
import { pollInterval, useEntitySignal } from '../useEntitySignal';
import { SignalFreshness } from '../SignalFreshness';
import { DangerText } from '../DangerText';
import { StaticTable, Td, Th } from '../StaticTable';
import { DeployHistorySection } from './DeployHistory';
import {
  DEPLOY_TEMPLATE_PATH,
  DeployTemplateMissing,
  useDeployTemplateRegistered,
} from './useDeployTemplate';

/** Long messages (reasons, pod errors, analysis metrics) wrap inside the card. */
const WRAP = { overflowWrap: 'anywhere' } as const;
/** A list of lines without bullets or indent. */
const LIST = { listStyle: 'none', margin: 0, padding: 0 } as const;

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

// core-components' status icons (MUI) with the status in words: Backstage UI 0.18 has no status
// indicator yet
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
      <Text as="p" variant="body-small">
        No deploy from Shipshape yet.
      </Text>
    );
  }
  const Status = OPERATION_STATUS[op.status] ?? StatusError;
  return (
    <Text as="div" variant="body-small">
      Last operation:{' '}
      {/* the status is a flex box (a line of its own): kept in the sentence */}
      <span style={{ display: 'inline-block' }}>
        <Status>{`${op.kind} ${op.status}`}</Status>
      </span>{' '}
      by {op.requestedBy.replace(/^user:default\//, '')},{' '}
      <span title={absoluteTime(op.createdAt)}>
        {relativeTime(op.createdAt)}
      </span>
      {op.outcomeReason ? (
        <Text as="div" variant="body-x-small" style={WRAP}>
          {op.outcomeReason}
        </Text>
      ) : null}
    </Text>
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
    <Text
      as="div"
      variant="body-x-small"
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
    </Text>
  );
}

/** A Rollout's analysis runs: phase and each metric's value against its failure condition. */
function AnalysisRuns({ w }: { w: WorkloadStatus }) {
  if (!w.analysisRuns?.length) return null;
  return (
    <ul aria-label={`analysis runs of ${w.name}`} style={LIST}>
      {w.analysisRuns.map(run => {
        const failed = run.phase === 'Failed' || run.phase === 'Error';
        const text = `Analysis${
          run.revision ? ` of rev ${run.revision}` : ''
        }: ${run.phase}${run.metrics
          .map(
            m =>
              ` · ${m.name} = ${m.value ?? '—'} (${m.phase}${
                m.failureCondition ? `; fails when ${m.failureCondition}` : ''
              })`,
          )
          .join('')}`;
        return (
          <li key={run.name}>
            <Text as="div" variant="body-x-small" style={WRAP}>
              {failed ? <DangerText>{text}</DangerText> : text}
            </Text>
          </li>
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
    <Flex direction="column" gap="1" mt="2" align="start">
      <Flex gap="2" style={{ flexWrap: 'wrap' }}>
        {actions.map(action => (
          <Button
            key={action}
            size="small"
            variant={action === 'promote' ? 'primary' : 'secondary'}
            isDisabled={busy}
            aria-label={`${ACTION_LABEL[action]} ${w.name}`}
            onPress={async () => {
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
        ))}
      </Flex>
      {failure ? (
        <Text as="div" variant="body-x-small" style={WRAP}>
          <DangerText>{failure}</DangerText>
        </Text>
      ) : null}
    </Flex>
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
      <tr>
        <Td style={WRAP}>
          <div>{w.name}</div>
          <Text as="div" variant="body-x-small">
            {strategyText(w)}
          </Text>
          <RolloutSteps w={w} />
          <Link
            href={kubernetesTab}
            variant="body-x-small"
            aria-label={`Pods, events, logs of ${w.name}`}
          >
            Pods, events, logs
          </Link>
        </Td>
        <Td>
          {`${w.replicas.updated}/${w.replicas.ready}/${w.replicas.available} of ${w.replicas.desired}`}
        </Td>
        <Td style={WRAP}>
          <div>{revisionText(w.current)}</div>
          {w.previous ? (
            <Text as="div" variant="body-x-small">
              previous {revisionText(w.previous)}
            </Text>
          ) : null}
        </Td>
        <Td style={WRAP}>
          {/* one line: beside a canary's steps the column is narrow, and broke "complete" */}
          <span style={{ whiteSpace: 'nowrap' }}>
            <Phase>{w.phase}</Phase>
          </span>
          <Text as="div" variant="body-x-small">
            {w.reason}
          </Text>
          {mutable.length > 0 && (
            <Text as="div" variant="body-x-small">
              <DangerText>
                {`Mutable image tag: ${mutable.join(
                  ', ',
                )}; deploy by version or digest`}
              </DangerText>
            </Text>
          )}
          {onAction ? <RolloutButtons w={w} onAction={onAction} /> : null}
        </Td>
      </tr>
      {w.analysisRuns?.length ? (
        // a row of its own: in the Phase cell the metrics' text squeezed the other columns
        <tr>
          <Td colSpan={4}>
            <AnalysisRuns w={w} />
          </Td>
        </tr>
      ) : null}
      {listed.length > 0 ? (
        <tr>
          <Td colSpan={4} style={WRAP}>
            <ul aria-label={`pods of ${w.name}`} style={LIST}>
              {listed.map(p => (
                <li key={p.name}>
                  <Text as="div" variant="body-x-small">
                    {p.error ? (
                      <DangerText>{podText(p)}</DangerText>
                    ) : (
                      podText(p)
                    )}
                  </Text>
                </li>
              ))}
            </ul>
          </Td>
        </tr>
      ) : null}
      {pods === 'errors' && failing.length > 0 ? (
        <tr>
          <Td colSpan={4} style={WRAP}>
            {failing.map(p => (
              <Text as="div" key={p.name} variant="body-x-small">
                <DangerText>
                  {`${p.name}: ${p.error!.reason}${
                    p.error!.message ? ` — ${p.error!.message}` : ''
                  } (container ${p.error!.container}, ${p.restarts} restarts)`}
                </DangerText>
              </Text>
            ))}
          </Td>
        </tr>
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
      <Text as="div" variant="body-small" style={WRAP}>
        <StatusAborted>
          <DangerText variant="body-small">
            {`Cluster ${env.cluster} ${CLUSTER_PROBLEM[env.status]}: ${
              env.error ?? ''
            }`}
          </DangerText>
        </StatusAborted>
      </Text>
    );
  }
  if (env.workloads.length === 0) {
    return (
      <Text as="p" variant="body-small">
        No workloads in this environment.
      </Text>
    );
  }
  return (
    <StaticTable label={`workloads in ${env.environment}`}>
      <thead>
        <tr>
          <Th>Workload</Th>
          <Th>Updated/ready/available</Th>
          <Th>Revision</Th>
          <Th>Phase</Th>
        </tr>
      </thead>
      <tbody>
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
      </tbody>
    </StaticTable>
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
    <section aria-label={`environment ${env.environment}`}>
      <Flex direction="column" gap="2">
        <Flex align="center" gap="2">
          <Text as="h3" variant="title-x-small">
            {env.environment}
          </Text>
          <Badge size="small">{`${env.cluster}/${env.namespace}`}</Badge>
        </Flex>
        <EnvironmentBody
          env={env}
          pods={pods}
          kubernetesTab={kubernetesTab}
          onAction={onAction}
        />
        <LastOperation op={env.lastOperation} />
      </Flex>
    </section>
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
  // where the portal has not registered the templates, Deploy would open a template that is not
  // there: asked once per page, only of a user who may deploy
  const templateRegistered = useDeployTemplateRegistered(canDeploy && hasId);
  // A deploy's or rollback's signal, or a workload change the backend's watches see (a rollout
  // started outside the portal too), refreshes at once; the card's own poll runs only while
  // signals are not live (no signals plugin, socket dropped), else a slow fallback.
  const signalled = useRef(() => {});
  const { live } = useEntitySignal(
    entityRef,
    s => {
      if (s.kind === 'rollout' || s.kind === 'operation') signalled.current();
    },
    // the socket is open again: what was signalled while it was down is re-read now
    () => signalled.current(),
  );
  const pollMs = props.refreshIntervalMs ?? 10_000;
  const { value, error, loading, updatedAt, refresh } = useAutoRefresh(
    () => api.getEntityRollout(getCompoundEntityRef(entity)),
    hasId ? pollInterval(live, pollMs) : -1,
    [entityRef, hasId],
  );
  signalled.current = refresh;
  // Promote, Abort, Retry: engine operations; the card shows the Rollout's new state after
  const act = async (action: RolloutAction, environment: string) => {
    await api.rolloutAction(getCompoundEntityRef(entity), action, environment);
    refresh();
  };

  if (!hasId) {
    return (
      <EntityInfoCard title="Rollout status">
        <Text as="p" variant="body-small">
          {`This entity has no ${ECOSYSTEM_ANNOTATIONS.kubernetesId} annotation, so its workloads cannot be found.`}
        </Text>
      </EntityInfoCard>
    );
  }
  const deployLink = `${DEPLOY_TEMPLATE_PATH}?${new URLSearchParams({
    formData: JSON.stringify({ entityRef }),
  })}`;
  // it opens the deploy template: a link, styled as a button; kept while the catalog is asked
  const deployAction =
    templateRegistered === false ? (
      <DeployTemplateMissing />
    ) : (
      <ButtonLink href={deployLink} variant="secondary" size="small">
        Deploy
      </ButtonLink>
    );
  return (
    <EntityInfoCard
      title="Rollout status"
      headerActions={canDeploy ? deployAction : undefined}
    >
      <Flex direction="column" gap="4">
        {updatedAt ? (
          <SignalFreshness
            live={live}
            pollMs={pollMs}
            updatedAt={updatedAt}
            testId="rollout-freshness"
          />
        ) : null}
        {/* core-components' Progress (MUI): Backstage UI 0.18 has no progress indicator */}
        {loading && !value ? <Progress /> : null}
        {error ? <ShipshapeErrorPanel error={error} /> : null}
        {value?.environments.map((env, i) => (
          <div
            key={env.environment}
            style={
              i > 0
                ? {
                    borderTop: '1px solid var(--bui-border-1)',
                    paddingTop: 'var(--bui-space-4)',
                  }
                : undefined
            }
          >
            <EnvironmentSection
              env={env}
              pods={props.pods ?? 'errors'}
              kubernetesTab={kubernetesTab}
              onAction={canDeploy ? act : undefined}
            />
          </div>
        ))}
        {value ? (
          <DeployHistorySection entity={getCompoundEntityRef(entity)} />
        ) : null}
      </Flex>
    </EntityInfoCard>
  );
}
