import * as k8s from '@kubernetes/client-node';
import { KubernetesClusters } from '../kubernetes/clusters';
import { EnvironmentConfig } from '../kubernetes/types';
import { WorkloadRef } from '../kubernetes/placement';
import {
  EnvironmentRollout,
  OperationSummary,
  PodInfo,
  RevisionInfo,
  RolloutPhase,
  RolloutStatusResponse,
  WorkloadStatus,
} from '@shipshape/plugin-shipshape-common';
import { Operation } from '../operations/store';
import { readArgoRollouts } from '../kubernetes/argo';
import { imageTag } from '../kubernetes/image';
import {
  abortable,
  deploymentRolloutState,
  images,
  listEntityObjects,
  ownedReplicaSets,
  podInfosOf,
  revisionOf,
} from '../kubernetes/workloads';
import { DeadlineError, withDeadline } from '../http/deadline';
import { WorkloadCache } from '../kubernetes/cache';

export function summarize(op: Operation): OperationSummary {
  return {
    id: op.id,
    kind: op.kind,
    status: op.status,
    requestedBy: op.requestedBy,
    reason: op.reason,
    outcomeReason: op.outcomeReason,
    createdAt: op.createdAt,
    finishedAt: op.finishedAt,
  };
}

function revisionInfo(
  rs: k8s.V1ReplicaSet | undefined,
  template?: k8s.V1PodTemplateSpec,
): RevisionInfo {
  const imgs = images(template ?? rs?.spec?.template);
  return {
    revision: rs ? revisionOf(rs) : undefined,
    images: imgs,
    tags: imgs.map(imageTag),
    changeCause: rs?.metadata?.annotations?.['kubernetes.io/change-cause'],
  };
}

function phaseOf(
  d: k8s.V1Deployment,
  pods: PodInfo[],
): { phase: RolloutPhase; reason: string } {
  if (d.spec?.paused) return { phase: 'paused', reason: 'rollout is paused' };
  const state = deploymentRolloutState(d);
  const errored = pods.filter(p => p.error);
  const errText = errored.length
    ? `; ${errored.length} pod(s) failing: ${[
        ...new Set(errored.map(p => p.error!.reason)),
      ].join(', ')}`
    : '';
  if (state.state === 'stalled')
    return { phase: 'stalled', reason: state.message + errText };
  if (state.state === 'progressing') {
    return { phase: 'progressing', reason: state.message + errText };
  }
  const desired = d.spec?.replicas ?? 1;
  const available = d.status?.availableReplicas ?? 0;
  const availableCond = d.status?.conditions?.find(c => c.type === 'Available');
  if (
    available < desired ||
    availableCond?.status === 'False' ||
    errored.length
  ) {
    return {
      phase: 'degraded',
      reason: `${available}/${desired} available${errText}${
        availableCond?.status === 'False'
          ? `; ${availableCond.message ?? ''}`
          : ''
      }`,
    };
  }
  return { phase: 'complete', reason: state.message };
}

/** A cluster read's failure as an environment's status (forbidden, unreachable or error). */
export function classify(
  e: unknown,
  token = 'read',
): {
  status: EnvironmentRollout['status'];
  error: string;
} {
  const code = (e as any)?.code;
  const msg = e instanceof Error ? e.message : String(e);
  if (code === 401 || code === 403) {
    return {
      status: 'forbidden',
      error: `the cluster refused the ${token} token (HTTP ${code})`,
    };
  }
  if (
    e instanceof DeadlineError ||
    /ECONNREFUSED|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH|socket hang up|ECONNRESET|fetch failed/i.test(
      msg,
    ) ||
    /ECONNREFUSED|ETIMEDOUT|ENOTFOUND/.test(
      String((e as any)?.cause?.code ?? ''),
    )
  ) {
    return { status: 'unreachable', error: msg.split('\n')[0].slice(0, 300) };
  }
  return { status: 'error', error: msg.split('\n')[0].slice(0, 300) };
}

async function readEnvironment(
  clusters: KubernetesClusters,
  env: EnvironmentConfig,
  kubernetesId: string,
  signal: AbortSignal,
  cache?: WorkloadCache,
): Promise<WorkloadStatus[]> {
  const client = clusters.reader(env);
  const opts = abortable(signal);
  // from the watches when they are synced, else three lists (and the Rollouts') per request
  const cached = cache?.entityObjects(env.cluster, env.namespace, kubernetesId);
  const { deployments, pods, replicaSets } =
    cached ??
    (await listEntityObjects(client, env.namespace, kubernetesId, opts));
  const argoRollouts = readArgoRollouts(
    client,
    env.namespace,
    kubernetesId,
    pods,
    opts,
    cached,
  );
  const deploymentStatuses = Promise.all(
    deployments.map(async (d): Promise<WorkloadStatus> => {
      const labelled = replicaSets
        .filter(rs =>
          rs.metadata?.ownerReferences?.some(
            o => o.uid === d.metadata?.uid && o.controller,
          ),
        )
        .sort((a, b) => (revisionOf(b) ?? 0) - (revisionOf(a) ?? 0));
      // A template without the label: ask for the Deployment's own ReplicaSets.
      const sets = labelled.length
        ? labelled
        : await ownedReplicaSets(client, d);
      const currentRev = revisionOf(d);
      const currentRs =
        sets.find(rs => revisionOf(rs) === currentRev) ?? sets[0];
      const previousRs = sets.find(
        rs =>
          (revisionOf(rs) ?? 0) <
          (currentRev ?? revisionOf(currentRs ?? {}) ?? 0),
      );
      const hashOf = (rs?: k8s.V1ReplicaSet) =>
        rs?.metadata?.labels?.['pod-template-hash'];
      const podInfos = podInfosOf(
        pods,
        d.spec?.selector?.matchLabels ?? {},
        'pod-template-hash',
        { current: hashOf(currentRs), previous: hashOf(previousRs) },
      );
      const { phase, reason } = phaseOf(d, podInfos);
      const ru = d.spec?.strategy?.rollingUpdate;
      return {
        kind: 'Deployment' as const,
        name: d.metadata!.name!,
        namespace: d.metadata!.namespace!,
        replicas: {
          desired: d.spec?.replicas ?? 1,
          updated: d.status?.updatedReplicas ?? 0,
          ready: d.status?.readyReplicas ?? 0,
          available: d.status?.availableReplicas ?? 0,
        },
        strategy: {
          type: d.spec?.strategy?.type ?? 'RollingUpdate',
          maxSurge:
            ru?.maxSurge !== undefined ? String(ru.maxSurge) : undefined,
          maxUnavailable:
            ru?.maxUnavailable !== undefined
              ? String(ru.maxUnavailable)
              : undefined,
        },
        current: {
          ...revisionInfo(currentRs, d.spec?.template),
          revision: currentRev ?? revisionOf(currentRs ?? {}),
        },
        previous: previousRs ? revisionInfo(previousRs) : undefined,
        phase,
        reason,
        pods:
          podInfos.length <= 10
            ? podInfos
            : podInfos.filter(p => p.error || !p.ready),
      };
    }),
  );
  const [fromDeployments, fromRollouts] = await Promise.all([
    deploymentStatuses,
    argoRollouts,
  ]);
  return [...fromDeployments, ...fromRollouts];
}

/** Every environment's rollout for one entity, read in parallel, each within its own timeout. */
export async function readRolloutStatus(options: {
  clusters: KubernetesClusters;
  workload: WorkloadRef;
  entityRef: string;
  timeoutMs: number;
  operations: Operation[];
  /** The watched workloads, read instead of the cluster where synced. */
  cache?: WorkloadCache;
}): Promise<RolloutStatusResponse> {
  const { clusters, workload } = options;
  const { kubernetesId } = workload;
  const environments = await Promise.all(
    clusters.environments().map(async (env): Promise<EnvironmentRollout> => {
      const started = Date.now();
      const lastOp = options.operations.find(
        op => (op.input as { environment?: string })?.environment === env.name,
      );
      const base = {
        environment: env.name,
        cluster: env.cluster,
        namespace: env.namespace ?? workload.namespace ?? workload.kubernetesId,
        lastOperation: lastOp ? summarize(lastOp) : undefined,
      };
      try {
        const place = clusters.placement(env.name, workload);
        base.namespace = place.namespace;
        const workloads = await withDeadline(
          `cluster ${env.cluster}`,
          options.timeoutMs,
          signal =>
            readEnvironment(
              clusters,
              place,
              kubernetesId,
              signal,
              options.cache,
            ),
        );
        return {
          ...base,
          status: 'ok',
          workloads,
          durationMs: Date.now() - started,
        };
      } catch (e) {
        return {
          ...base,
          ...classify(e),
          workloads: [],
          durationMs: Date.now() - started,
        };
      }
    }),
  );
  return { entityRef: options.entityRef, kubernetesId, environments };
}
