import * as k8s from '@kubernetes/client-node';
import {
  RolloutPhase,
  WorkloadStatus,
} from '@shipshape/plugin-shipshape-common';
import { ClusterClient } from './clusters';
import { imageTag } from './image';
import {
  KUBERNETES_ID_LABEL,
  images,
  podInfosOf,
  revisionOf,
} from './workloads';

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

/** The Argo Rollouts `Rollout` fields Shipshape reads. */
export interface ArgoRollout {
  metadata: k8s.V1ObjectMeta;
  spec?: {
    replicas?: number;
    paused?: boolean;
    selector?: k8s.V1LabelSelector;
    template?: k8s.V1PodTemplateSpec;
    strategy?: {
      canary?: { steps?: Array<{ setWeight?: number; pause?: unknown }> };
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
  };
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
): Promise<WorkloadStatus[]> {
  let items: ArgoRollout[];
  try {
    const custom = client.kubeConfig.makeApiClient(k8s.CustomObjectsApi);
    const list = await custom.listNamespacedCustomObject(
      {
        group: 'argoproj.io',
        version: 'v1alpha1',
        namespace,
        plural: 'rollouts',
        labelSelector: `${KUBERNETES_ID_LABEL}=${kubernetesId}`,
      },
      opts,
    );
    items = list.items ?? [];
  } catch (e) {
    if ((e as { code?: number }).code === 404) return [];
    throw e;
  }
  if (items.length === 0) return [];
  const sets = (await client.apps.listNamespacedReplicaSet({ namespace }, opts))
    .items;
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
    const message = r.status?.message ?? r.status?.phase ?? 'no status yet';
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
    };
  });
}
