import { InputError, NotFoundError } from '@backstage/errors';
import * as k8s from '@kubernetes/client-node';
import {
  ECOSYSTEM_ANNOTATIONS,
  PodInfo,
} from '@shipshape/plugin-shipshape-common';
import { ClusterClient } from './types';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
/** Argo Rollouts' revision annotation (on the Rollout and its ReplicaSets). */
export const ARGO_REVISION_ANNOTATION = 'rollout.argoproj.io/revision';
export const CHANGE_CAUSE_ANNOTATION = 'kubernetes.io/change-cause';
/** The label the stock Kubernetes plugin (and the templates' chart) put on workloads. */

export const POD_ERROR_REASONS = [
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'ErrImagePull',
  'InvalidImageName',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
  'OOMKilled',
];

export function revisionOf(obj: {
  metadata?: k8s.V1ObjectMeta;
}): number | undefined {
  const a = obj.metadata?.annotations;
  const r = a?.[REVISION_ANNOTATION] ?? a?.[ARGO_REVISION_ANNOTATION];
  return r === undefined ? undefined : Number(r);
}

/**
 * A workload Shipshape deploys to: a Deployment, or an Argo Rollouts `Rollout` (same
 * metadata/spec.template/spec.selector shape), told apart by `kind` ('Rollout' is always set
 * on Rollouts read by Shipshape; a Deployment's may be absent).
 */
export type Workload = k8s.V1Deployment;
export type WorkloadKind = 'Deployment' | 'Rollout';

export function kindOf(w: { kind?: string }): WorkloadKind {
  return w.kind === 'Rollout' ? 'Rollout' : 'Deployment';
}

/** "Deployment ns/name" or "Rollout ns/name", for messages. */
export function describe(w: Workload): string {
  return `${kindOf(w)} ${w.metadata?.namespace}/${w.metadata?.name}`;
}

const jsonPatch = k8s.setHeaderOptions(
  'Content-Type',
  k8s.PatchStrategy.JsonPatch,
);

/**
 * Argo Rollouts' `Rollout` resource for CustomObjectsApi calls; its other kinds (AnalysisRun)
 * are in the same group and version: `{ ...ARGO, plural: 'analysisruns' }`.
 */
export const ARGO = {
  group: 'argoproj.io',
  version: 'v1alpha1',
  plural: 'rollouts',
};

function asRollout(obj: object): Workload {
  return { ...(obj as Workload), kind: 'Rollout' };
}

/** The entity's Argo Rollouts in a namespace (none where the cluster has no Rollout API). */
export async function listEntityRollouts(
  client: ClusterClient,
  namespace: string,
  kubernetesId: string,
): Promise<Workload[]> {
  try {
    const list = await client.kubeConfig
      .makeApiClient(k8s.CustomObjectsApi)
      .listNamespacedCustomObject({
        ...ARGO,
        namespace,
        labelSelector: `${ECOSYSTEM_ANNOTATIONS.kubernetesId}=${kubernetesId}`,
      });
    return (list.items ?? []).map(asRollout);
  } catch (e) {
    if ((e as { code?: number }).code === 404) return [];
    throw e;
  }
}

/** The entity's Deployments and Argo Rollouts in a namespace. */
export async function listEntityWorkloads(
  client: ClusterClient,
  namespace: string,
  kubernetesId: string,
): Promise<Workload[]> {
  const [deployments, rollouts] = await Promise.all([
    listEntityDeployments(client, namespace, kubernetesId),
    listEntityRollouts(client, namespace, kubernetesId),
  ]);
  return [...deployments, ...rollouts];
}

export async function readWorkload(
  client: ClusterClient,
  kind: WorkloadKind | undefined,
  namespace: string,
  name: string,
): Promise<Workload> {
  if (kind !== 'Rollout') {
    return client.apps.readNamespacedDeployment({ name, namespace });
  }
  return asRollout(
    await client.kubeConfig
      .makeApiClient(k8s.CustomObjectsApi)
      .getNamespacedCustomObject({ ...ARGO, namespace, name }),
  );
}

async function patchWorkload(
  client: ClusterClient,
  w: Workload,
  body: object[],
  dryRun = false,
): Promise<Workload> {
  const target = {
    name: w.metadata!.name!,
    namespace: w.metadata!.namespace!,
    body,
    dryRun: dryRun ? 'All' : undefined,
    fieldManager: 'shipshape',
  };
  if (kindOf(w) === 'Rollout') {
    return asRollout(
      await client.kubeConfig
        .makeApiClient(k8s.CustomObjectsApi)
        .patchNamespacedCustomObject({ ...ARGO, ...target }, jsonPatch),
    );
  }
  return client.apps.patchNamespacedDeployment(target, jsonPatch);
}

/**
 * `kubectl argo rollouts abort`: the controller scales the canary down and sends all traffic
 * back to the stable ReplicaSet at once.
 */
export async function abortRollout(
  client: ClusterClient,
  w: Workload,
): Promise<void> {
  await patchAbort(client, w, true);
}

/**
 * `kubectl argo rollouts retry`: status.abort cleared, so the controller releases the aborted
 * revision again.
 */
export async function retryRollout(
  client: ClusterClient,
  w: Workload,
): Promise<void> {
  await patchAbort(client, w, false);
}

async function patchAbort(
  client: ClusterClient,
  w: Workload,
  abort: boolean,
): Promise<void> {
  await client.kubeConfig
    .makeApiClient(k8s.CustomObjectsApi)
    .patchNamespacedCustomObjectStatus(
      {
        ...ARGO,
        name: w.metadata!.name!,
        namespace: w.metadata!.namespace!,
        body: { status: { abort } },
        fieldManager: 'shipshape',
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
}

/**
 * `kubectl argo rollouts pause` (spec.paused: true) or `promote` (the controller's pause
 * conditions cleared on the status subresource, then spec.paused cleared if set, so a canary
 * paused at a step, timed or indefinite, goes on to the next one).
 */
export async function pauseOrPromote(
  client: ClusterClient,
  w: Workload,
  action: 'pause' | 'promote',
): Promise<void> {
  const custom = client.kubeConfig.makeApiClient(k8s.CustomObjectsApi);
  const merge = k8s.setHeaderOptions(
    'Content-Type',
    k8s.PatchStrategy.MergePatch,
  );
  const target = {
    ...ARGO,
    name: w.metadata!.name!,
    namespace: w.metadata!.namespace!,
    fieldManager: 'shipshape',
  };
  if (action === 'pause') {
    await custom.patchNamespacedCustomObject(
      { ...target, body: { spec: { paused: true } } },
      merge,
    );
    return;
  }
  // As `kubectl argo rollouts promote`, from the Rollout as it is now: the status first (clear
  // the pause conditions, or, in a canary mid-step without one, move to the next step), then
  // spec.paused only when it is set. Patching spec.paused when it was not set changed the spec
  // under the controller for nothing.
  const now = (await custom.getNamespacedCustomObject({
    ...ARGO,
    name: target.name,
    namespace: target.namespace,
  })) as {
    spec?: { paused?: boolean; strategy?: { canary?: { steps?: unknown[] } } };
    status?: { pauseConditions?: unknown[]; currentStepIndex?: number };
  };
  const steps = now.spec?.strategy?.canary?.steps;
  let status: Record<string, unknown> | undefined;
  if ((now.status?.pauseConditions?.length ?? 0) > 0) {
    status = { pauseConditions: null };
  } else if (steps?.length) {
    const index = now.status?.currentStepIndex ?? 0;
    status = {
      pauseConditions: null,
      currentStepIndex: Math.min(index + 1, steps.length),
    };
  }
  if (status) {
    await custom.patchNamespacedCustomObjectStatus(
      { ...target, body: { status } },
      merge,
    );
  }
  if (now.spec?.paused) {
    await custom.patchNamespacedCustomObject(
      { ...target, body: { spec: { paused: false } } },
      merge,
    );
  }
}

export function selectorString(selector?: k8s.V1LabelSelector): string {
  return Object.entries(selector?.matchLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** JSON-pointer escaping for annotation keys. */
function pointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Request options that abort the request when the signal fires (per-cluster timeouts). */
export function abortable(
  signal: AbortSignal,
): ReturnType<typeof k8s.setHeaderOptions> {
  return {
    middleware: [
      {
        pre: ctx => {
          ctx.setSignal(signal);
          return new k8s.Observable(Promise.resolve(ctx));
        },
        post: response => new k8s.Observable(Promise.resolve(response)),
      },
    ],
    middlewareMergeStrategy: 'append',
  };
}

export async function listEntityDeployments(
  client: ClusterClient,
  namespace: string,
  kubernetesId: string,
): Promise<k8s.V1Deployment[]> {
  const list = await client.apps.listNamespacedDeployment({
    namespace,
    labelSelector: `${ECOSYSTEM_ANNOTATIONS.kubernetesId}=${kubernetesId}`,
  });
  return list.items;
}

/**
 * The entity's Deployments, Pods and ReplicaSets in a namespace: three requests whatever the
 * number of workloads (ReplicaSets carry their pod template's labels, so the kubernetes-id label
 * finds them too).
 */
export async function listEntityObjects(
  client: ClusterClient,
  namespace: string,
  kubernetesId: string,
  opts?: ReturnType<typeof k8s.setHeaderOptions>,
): Promise<{
  deployments: k8s.V1Deployment[];
  pods: k8s.V1Pod[];
  replicaSets: k8s.V1ReplicaSet[];
}> {
  const query = {
    namespace,
    labelSelector: `${ECOSYSTEM_ANNOTATIONS.kubernetesId}=${kubernetesId}`,
  };
  const [deployments, pods, replicaSets] = await Promise.all([
    client.apps.listNamespacedDeployment(query, opts),
    client.core.listNamespacedPod(query, opts),
    client.apps.listNamespacedReplicaSet(query, opts),
  ]);
  return {
    deployments: deployments.items,
    pods: pods.items,
    replicaSets: replicaSets.items,
  };
}

/** The ReplicaSets a Deployment (or Rollout) owns, newest revision first. */
export async function ownedReplicaSets(
  client: ClusterClient,
  deployment: Workload,
): Promise<k8s.V1ReplicaSet[]> {
  const list = await client.apps.listNamespacedReplicaSet({
    namespace: deployment.metadata!.namespace!,
    labelSelector: selectorString(deployment.spec?.selector),
  });
  return list.items
    .filter(rs =>
      rs.metadata?.ownerReferences?.some(
        o => o.uid === deployment.metadata?.uid && o.controller,
      ),
    )
    .sort((a, b) => (revisionOf(b) ?? 0) - (revisionOf(a) ?? 0));
}

/** Picks the container to change: the named one, or the only one. */
export function pickContainer(
  deployment: Workload,
  container?: string,
): { index: number; container: k8s.V1Container } {
  const containers = deployment.spec?.template.spec?.containers ?? [];
  if (container) {
    const index = containers.findIndex(c => c.name === container);
    if (index < 0) {
      throw new InputError(
        `container: ${kindOf(deployment)} ${
          deployment.metadata?.name
        } has no container '${container}' (has: ${containers
          .map(c => c.name)
          .join(', ')})`,
      );
    }
    return { index, container: containers[index] };
  }
  if (containers.length !== 1) {
    throw new InputError(
      `container: ${kindOf(deployment)} ${deployment.metadata?.name} has ${
        containers.length
      } containers (${containers
        .map(c => c.name)
        .join(', ')}); say which one to change`,
    );
  }
  return { index: 0, container: containers[0] };
}

/** Sets one container's image and the change-cause, guarded by the resourceVersion read. */
export async function patchImage(
  client: ClusterClient,
  deployment: Workload,
  containerIndex: number,
  image: string,
  changeCause: string,
  dryRun = false,
): Promise<Workload> {
  const body = changePatch(
    deployment,
    `/spec/template/spec/containers/${containerIndex}/image`,
    image,
    changeCause,
  );
  return patchWorkload(client, deployment, body, dryRun);
}

/**
 * A JSON patch that replaces `path` with `value` and records the change cause, refused by the
 * API server when the workload changed since it was read.
 */
function changePatch(
  workload: Workload,
  path: string,
  value: unknown,
  changeCause: string,
) {
  return [
    {
      op: 'test',
      path: '/metadata/resourceVersion',
      value: workload.metadata!.resourceVersion,
    },
    { op: 'replace', path, value },
    workload.metadata?.annotations
      ? {
          op: 'add',
          path: `/metadata/annotations/${pointer(CHANGE_CAUSE_ANNOTATION)}`,
          value: changeCause,
        }
      : {
          op: 'add',
          path: '/metadata/annotations',
          value: { [CHANGE_CAUSE_ANNOTATION]: changeCause },
        },
  ];
}

/** The ReplicaSet of a given revision (or the one before the current), as `rollout undo` picks it. */
export async function findUndoTarget(
  client: ClusterClient,
  deployment: Workload,
  toRevision?: number,
): Promise<{ replicaSet: k8s.V1ReplicaSet; revision: number }> {
  const sets = await ownedReplicaSets(client, deployment);
  const current = revisionOf(deployment) ?? revisionOf(sets[0] ?? {}) ?? 0;
  const available = sets.map(revisionOf).filter(r => r !== undefined);
  let target: k8s.V1ReplicaSet | undefined;
  if (toRevision !== undefined) {
    target = sets.find(rs => revisionOf(rs) === toRevision);
    if (!target) {
      throw new NotFoundError(
        `revision: ${describe(
          deployment,
        )} has no revision ${toRevision} (available: ${
          available.join(', ') || 'none'
        })`,
      );
    }
  } else {
    target = sets.find(rs => (revisionOf(rs) ?? 0) < current);
    if (!target) {
      throw new InputError(
        `${describe(
          deployment,
        )} has no revision before ${current} to roll back to`,
      );
    }
  }
  return { replicaSet: target, revision: revisionOf(target)! };
}

/**
 * `kubectl rollout undo` (and `kubectl argo rollouts undo`): put the target ReplicaSet's pod
 * template back on the Deployment or Rollout.
 */
export async function undoTo(
  client: ClusterClient,
  deployment: Workload,
  replicaSet: k8s.V1ReplicaSet,
  changeCause: string,
): Promise<Workload> {
  const template: k8s.V1PodTemplateSpec = JSON.parse(
    JSON.stringify(replicaSet.spec!.template),
  );
  if (template.metadata?.labels) {
    delete template.metadata.labels['pod-template-hash'];
    delete template.metadata.labels['rollouts-pod-template-hash'];
  }
  const body = changePatch(deployment, '/spec/template', template, changeCause);
  return patchWorkload(client, deployment, body);
}

export function images(template?: k8s.V1PodTemplateSpec): string[] {
  return (template?.spec?.containers ?? []).map(c => c.image ?? '');
}

/** kubectl's rollout-status logic. */
export function deploymentRolloutState(
  d: k8s.V1Deployment,
  minGeneration = 0,
): { state: 'complete' | 'progressing' | 'stalled'; message: string } {
  const generation = d.metadata?.generation ?? 0;
  const observed = d.status?.observedGeneration ?? 0;
  if (observed < Math.max(generation, minGeneration)) {
    return {
      state: 'progressing',
      message: 'waiting for the controller to observe the new spec',
    };
  }
  const progressing = d.status?.conditions?.find(c => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return {
      state: 'stalled',
      message: `ProgressDeadlineExceeded: ${progressing.message ?? ''}`.trim(),
    };
  }
  const desired = d.spec?.replicas ?? 1;
  const updated = d.status?.updatedReplicas ?? 0;
  const total = d.status?.replicas ?? 0;
  const available = d.status?.availableReplicas ?? 0;
  if (updated < desired) {
    return {
      state: 'progressing',
      message: `${updated} of ${desired} new replicas updated`,
    };
  }
  if (total > updated) {
    return {
      state: 'progressing',
      message: `${total - updated} old replicas pending termination`,
    };
  }
  if (available < updated) {
    return {
      state: 'progressing',
      message: `${available} of ${updated} updated replicas available`,
    };
  }
  return { state: 'complete', message: `${updated} replicas up to date` };
}

/** A pod's error (a waiting/terminated reason worth showing), if any. */
export function podError(
  pod: k8s.V1Pod,
): { reason: string; message?: string; container: string } | undefined {
  for (const cs of [
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.containerStatuses ?? []),
  ]) {
    const waiting = cs.state?.waiting;
    if (waiting?.reason && POD_ERROR_REASONS.includes(waiting.reason)) {
      return {
        reason: waiting.reason,
        message: waiting.message,
        container: cs.name,
      };
    }
    const terminated = cs.state?.terminated ?? cs.lastState?.terminated;
    if (terminated?.reason === 'OOMKilled') {
      return {
        reason: 'OOMKilled',
        message: terminated.message,
        container: cs.name,
      };
    }
  }
  return undefined;
}

export function podReady(pod: k8s.V1Pod): boolean {
  return !!pod.status?.conditions?.some(
    c => c.type === 'Ready' && c.status === 'True',
  );
}

/**
 * A workload's pods (those its selector matches) as the rollout status shows them. A pod is of
 * the `current` or `previous` revision when its `hashLabel` (the pod-template hash) is that
 * revision's, else `other`.
 */
export function podInfosOf(
  pods: k8s.V1Pod[],
  selector: Record<string, string>,
  hashLabel: string,
  hashes: { current?: string; previous?: string },
): PodInfo[] {
  return pods
    .filter(p =>
      Object.entries(selector).every(([k, v]) => p.metadata?.labels?.[k] === v),
    )
    .map(p => {
      const hash = p.metadata?.labels?.[hashLabel];
      let revision: PodInfo['revision'] = 'other';
      if (hash && hash === hashes.current) revision = 'current';
      else if (hash && hash === hashes.previous) revision = 'previous';
      return {
        name: p.metadata!.name!,
        phase: p.status?.phase,
        ready: podReady(p),
        restarts: (p.status?.containerStatuses ?? []).reduce(
          (n, c) => n + (c.restartCount ?? 0),
          0,
        ),
        node: p.spec?.nodeName,
        revision,
        error: podError(p),
      };
    });
}
