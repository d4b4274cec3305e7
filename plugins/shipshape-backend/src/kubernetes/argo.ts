import * as k8s from '@kubernetes/client-node';
import {
  AnalysisRunInfo,
  RolloutPhase,
  WorkloadStatus,
  ECOSYSTEM_ANNOTATIONS,
} from '@shipshape/plugin-shipshape-common';
import { ClusterClient } from './types';
import { imageTag } from './image';
import { ARGO, images, podInfosOf, revisionOf } from './workloads';

/**
 * `kubectl argo rollouts status` logic: the controller computes phase and message (1.0+);
 * they count only once it has observed the spec's generation (and the one Shipshape patched).
 * Healthy is complete, Degraded (e.g. ProgressDeadlineExceeded) or aborted is stalled;
 * Paused and Progressing go on (timed pauses end on their own; an indefinite pause waits for a
 * promotion, or the follower's timeout).
 */
export function argoRolloutState(
  r: ArgoRollout,
  minGeneration = 0,
): { state: 'complete' | 'progressing' | 'stalled'; message: string } {
  const generation = r.metadata?.generation ?? 0;
  const observed = Number(r.status?.observedGeneration ?? NaN);
  if (!(observed >= Math.max(generation, minGeneration))) {
    return {
      state: 'progressing',
      message: 'waiting for the controller to observe the new spec',
    };
  }
  const s = r.status ?? {};
  const message = s.message ? `: ${s.message}` : '';
  if (s.abort) return { state: 'stalled', message: `aborted${message}` };
  const steps = r.spec?.strategy?.canary?.steps?.length;
  const step =
    steps && s.currentStepIndex !== undefined
      ? ` (canary step ${Math.min(s.currentStepIndex + 1, steps)}/${steps})`
      : '';
  switch (s.phase) {
    case 'Healthy':
      if (r.spec?.strategy?.canary && s.stableRS !== s.currentPodHash) break;
      return {
        state: 'complete',
        message: `${s.availableReplicas ?? 0} replicas healthy on ${
          s.currentPodHash
        }`,
      };
    case 'Degraded':
      return { state: 'stalled', message: `Degraded${message}` };
    default:
  }
  return {
    state: 'progressing',
    message: `${s.phase ?? 'Progressing'}${step}${message}`,
  };
}

/** One step of a canary Rollout (the fields Shipshape reads). */
export interface CanaryStep {
  setWeight?: number;
  pause?: { duration?: string | number };
  analysis?: { templates?: Array<{ templateName?: string }> };
}

/** The Argo Rollouts `Rollout` fields Shipshape reads. */
export interface ArgoRollout {
  metadata: k8s.V1ObjectMeta;
  spec?: {
    replicas?: number;
    paused?: boolean;
    selector?: k8s.V1LabelSelector;
    template?: k8s.V1PodTemplateSpec;
    strategy?: {
      canary?: { steps?: CanaryStep[] };
      blueGreen?: { activeService?: string; previewService?: string };
    };
  };
  status?: {
    observedGeneration?: string;
    phase?: string;
    message?: string;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    currentStepIndex?: number;
    currentPodHash?: string;
    stableRS?: string;
    canary?: { weights?: { canary?: { weight?: number } } };
    blueGreen?: { activeSelector?: string; previewSelector?: string };
    abort?: boolean;
    pauseConditions?: Array<{ reason?: string; startTime?: string }>;
  };
}

/** The Argo Rollouts `AnalysisRun` fields Shipshape reads. */
interface ArgoAnalysisRun {
  metadata: k8s.V1ObjectMeta;
  spec?: {
    metrics?: Array<{ name: string; failureCondition?: string }>;
  };
  status?: {
    phase?: string;
    message?: string;
    startedAt?: string;
    metricResults?: Array<{
      name: string;
      phase?: string;
      message?: string;
      measurements?: Array<{
        phase?: string;
        value?: string;
        message?: string;
      }>;
    }>;
  };
}

/** A canary step as the card shows it. */
export function stepText(step: CanaryStep): string {
  if (step.setWeight !== undefined) return `setWeight ${step.setWeight}`;
  if (step.pause) {
    return step.pause.duration !== undefined
      ? `pause ${step.pause.duration}`
      : 'pause until promoted';
  }
  if (step.analysis) {
    return `analysis ${(step.analysis.templates ?? [])
      .map(t => t.templateName)
      .join(', ')}`;
  }
  return Object.keys(step).join(', ') || 'step';
}

/**
 * Argo lists a run's metric results in the order they were first measured, which differs from
 * run to run; the card keeps the template's order (slo.yaml's), so rows do not swap places.
 */
function inTemplateOrder<T extends { name: string }>(
  results: T[],
  specMetrics: Array<{ name: string }>,
): T[] {
  const rank = (name: string) => {
    const i = specMetrics.findIndex(m => m.name === name);
    return i < 0 ? specMetrics.length : i;
  };
  return [...results].sort((a, b) => rank(a.name) - rank(b.name));
}

/** A Rollout's analysis runs, newest first (at most three), as the card shows them. */
export function analysisRunsOf(
  runs: ArgoAnalysisRun[],
  rollout: ArgoRollout,
): AnalysisRunInfo[] {
  return runs
    .filter(a =>
      a.metadata.ownerReferences?.some(o => o.uid === rollout.metadata.uid),
    )
    .sort((a, b) =>
      String(b.metadata.creationTimestamp ?? '').localeCompare(
        String(a.metadata.creationTimestamp ?? ''),
      ),
    )
    .slice(0, 3)
    .map(a => {
      const revision = revisionOf(a);
      return {
        name: a.metadata.name!,
        phase: a.status?.phase ?? 'Pending',
        ...(revision ? { revision } : {}),
        ...(a.status?.startedAt ? { startedAt: a.status.startedAt } : {}),
        ...(a.status?.message ? { message: a.status.message } : {}),
        metrics: inTemplateOrder(
          a.status?.metricResults ?? [],
          a.spec?.metrics ?? [],
        ).map(m => {
          const last = m.measurements?.at(-1);
          const failureCondition = a.spec?.metrics?.find(
            x => x.name === m.name,
          )?.failureCondition;
          return {
            name: m.name,
            phase: m.phase ?? 'Pending',
            ...(last?.value !== undefined ? { value: last.value } : {}),
            ...(failureCondition ? { failureCondition } : {}),
            ...(m.message ?? last?.message
              ? { message: m.message ?? last?.message }
              : {}),
          };
        }),
      };
    });
}

/** Why an analysis failed, with the metric and its value: `slo-x = [0.23] (fails when ...)`. */
export function analysisFailure(runs: AnalysisRunInfo[]): string | undefined {
  const run = runs.find(r => r.phase === 'Failed' || r.phase === 'Error');
  if (!run) return undefined;
  const bad = run.metrics.filter(
    m => m.phase === 'Failed' || m.phase === 'Error',
  );
  return `analysis ${run.name} ${run.phase.toLowerCase()}: ${bad
    .map(
      m =>
        `${m.name} = ${m.value ?? '(no value)'}${
          m.failureCondition ? ` (fails when ${m.failureCondition})` : ''
        }${m.message ? ` ${m.message}` : ''}`,
    )
    .join('; ')}`;
}

async function listAnalysisRuns(
  client: ClusterClient,
  namespace: string,
  opts?: ReturnType<typeof k8s.setHeaderOptions>,
): Promise<ArgoAnalysisRun[]> {
  try {
    const list = await client.kubeConfig
      .makeApiClient(k8s.CustomObjectsApi)
      .listNamespacedCustomObject(
        { ...ARGO, namespace, plural: 'analysisruns' },
        opts,
      );
    return list.items ?? [];
  } catch (e) {
    // no Argo Rollouts API (404), or a reader role from before analysis runs were read (403):
    // the Rollout still shows, without its runs
    const code = (e as { code?: number }).code;
    if (code === 404 || code === 403) return [];
    throw e;
  }
}

const PHASES: Record<string, RolloutPhase> = {
  Healthy: 'complete',
  Progressing: 'progressing',
  Paused: 'paused',
  Degraded: 'degraded',
};

/**
 * The entity's Argo Rollouts in one namespace, as workloads. A cluster without the
 * `argoproj.io` API (404) simply has none.
 */
export async function readArgoRollouts(
  client: ClusterClient,
  namespace: string,
  kubernetesId: string,
  pods: k8s.V1Pod[],
  opts?: ReturnType<typeof k8s.setHeaderOptions>,
  /**
   * The entity's Rollouts, labelled ReplicaSets and, when their watch is synced, the
   * AnalysisRuns its Rollouts own, from the watches (WorkloadCache).
   */
  cached?: {
    rollouts: ArgoRollout[];
    replicaSets: k8s.V1ReplicaSet[];
    analysisRuns?: ArgoAnalysisRun[];
  },
): Promise<WorkloadStatus[]> {
  let items: ArgoRollout[] = cached?.rollouts ?? [];
  if (!cached) {
    try {
      const custom = client.kubeConfig.makeApiClient(k8s.CustomObjectsApi);
      const list = await custom.listNamespacedCustomObject(
        {
          ...ARGO,
          namespace,
          labelSelector: `${ECOSYSTEM_ANNOTATIONS.kubernetesId}=${kubernetesId}`,
        },
        opts,
      );
      items = list.items ?? [];
    } catch (e) {
      if ((e as { code?: number }).code === 404) return [];
      throw e;
    }
  }
  if (items.length === 0) return [];
  // the cached ReplicaSets are the labelled ones: a Rollout whose template lacks the label (none
  // of its ReplicaSets cached) has them read from the cluster
  const cachedSets =
    cached &&
    items.every(r =>
      cached.replicaSets.some(rs =>
        rs.metadata?.ownerReferences?.some(o => o.uid === r.metadata.uid),
      ),
    )
      ? cached.replicaSets
      : undefined;
  const [sets, runs] = await Promise.all([
    cachedSets ??
      client.apps
        .listNamespacedReplicaSet({ namespace }, opts)
        .then(l => l.items),
    cached?.analysisRuns ?? listAnalysisRuns(client, namespace, opts),
  ]);
  return items.map(r => {
    const owned = sets
      .filter(rs =>
        rs.metadata?.ownerReferences?.some(o => o.uid === r.metadata.uid),
      )
      .sort((a, b) => (revisionOf(b) ?? 0) - (revisionOf(a) ?? 0));
    const currentRev = revisionOf(r);
    const previousRs = owned.find(
      rs => (revisionOf(rs) ?? 0) < (currentRev ?? 0),
    );
    const podInfos = podInfosOf(
      pods,
      r.spec?.selector?.matchLabels ?? {},
      'rollouts-pod-template-hash',
      { current: r.status?.currentPodHash, previous: r.status?.stableRS },
    );
    const canary = r.spec?.strategy?.canary;
    const blueGreen = r.spec?.strategy?.blueGreen;
    const steps = canary?.steps ?? [];
    const stepIndex = r.status?.currentStepIndex;
    let phase = PHASES[r.status?.phase ?? ''] ?? 'progressing';
    const analysisRuns = analysisRunsOf(runs, r);
    const failed = r.status?.abort ? analysisFailure(analysisRuns) : undefined;
    const message = `${
      r.status?.message ?? r.status?.phase ?? 'no status yet'
    }${failed ? `; ${failed}` : ''}`;
    if (r.status?.abort || /ProgressDeadlineExceeded/.test(message)) {
      phase = 'stalled';
    }
    const errored = podInfos.filter(p => p.error);
    const currentImages = images(r.spec?.template);
    const previousImages = images(previousRs?.spec?.template);
    return {
      kind: 'Rollout' as const,
      name: r.metadata.name!,
      namespace: r.metadata.namespace!,
      replicas: {
        desired: r.spec?.replicas ?? 1,
        updated: r.status?.updatedReplicas ?? 0,
        ready: r.status?.readyReplicas ?? 0,
        available: r.status?.availableReplicas ?? 0,
      },
      strategy: canary
        ? {
            type: 'Canary',
            canaryStep:
              stepIndex === undefined
                ? undefined
                : Math.min(stepIndex + 1, steps.length),
            canarySteps: steps.length,
            canaryWeight:
              r.status?.canary?.weights?.canary?.weight ??
              [...steps.slice(0, (stepIndex ?? 0) + 1)]
                .reverse()
                .find(s => s.setWeight !== undefined)?.setWeight,
            steps: steps.map(stepText),
          }
        : {
            type: blueGreen ? 'BlueGreen' : 'Unknown',
            activeSelector: r.status?.blueGreen?.activeSelector,
            previewSelector: r.status?.blueGreen?.previewSelector,
          },
      current: {
        revision: currentRev,
        images: currentImages,
        tags: currentImages.map(imageTag),
      },
      previous: previousRs
        ? {
            revision: revisionOf(previousRs),
            images: previousImages,
            tags: previousImages.map(imageTag),
          }
        : undefined,
      phase,
      reason: `${message}${
        errored.length
          ? `; ${errored.length} pod(s) failing: ${[
              ...new Set(errored.map(p => p.error!.reason)),
            ].join(', ')}`
          : ''
      }`,
      pods:
        podInfos.length <= 10
          ? podInfos
          : podInfos.filter(p => p.error || !p.ready),
      ...(analysisRuns.length ? { analysisRuns } : {}),
    };
  });
}
