import { InputError, NotFoundError } from '@backstage/errors';
import { KubernetesClusters } from '../kubernetes/clusters';
import { EnvironmentConfig } from '../kubernetes/types';
import {
  OwnershipCheck,
  WorkloadRef,
  isHelmManaged,
} from '../kubernetes/placement';
import {
  Workload,
  WorkloadKind,
  findUndoTarget,
  images,
  kindOf,
  listEntityWorkloads,
  pickContainer,
  revisionOf,
} from '../kubernetes/workloads';
import {
  imageRepository,
  parseImageReference,
  validateTag,
} from '../kubernetes/image';
import {
  HelmRelease,
  assertDeployableRelease,
  manifestImages,
  readReleases,
  rollbackTarget,
} from '../kubernetes/helm';

export interface RolloutTimings {
  /** New pods in error or un-Ready this long stall the rollout. */
  stallAfterMs: number;
  /** Longest a rollout (or its rollback) is followed. */
  timeoutMs: number;
  /** The `helm` binary (a path, or a name found on PATH; default `helm`). */
  helmBinary?: string;
}

/** One Deployment's (or Argo Rollout's) part in a deploy or rollback. */
export interface DeploymentChange {
  /** Absent in operations stored before Rollouts were targets: a Deployment. */
  kind?: WorkloadKind;
  name: string;
  container: string;
  containerIndex: number;
  fromImage: string;
  toImage: string;
  fromRevision?: number;
  toRevision?: number;
  /** For rollbacks: the revision whose template is restored. */
  targetRevision?: number;
  outcome?: 'complete' | 'stalled' | 'rolled-back' | 'failed';
  message?: string;
}

export interface RolloutOperationInput {
  environment: string;
  cluster: string;
  namespace: string;
  /** The Helm release the workloads belong to (absent in operations stored before). */
  release?: string;
  changes: DeploymentChange[];
  changeCause: string;
  autoRollback: boolean;
  /** Set when Helm manages the release: the change is a Helm revision (docs/operations.md). */
  helm?: HelmPlan;
}

/** A deploy or rollback through Helm: the release's newest revision and, for a rollback, the target. */
export interface HelmPlan {
  /** The release's newest revision when planned (an automatic rollback returns to it). */
  fromRevision: number;
  /** A rollback's revision (`helm rollback <release> <targetRevision>`). */
  targetRevision?: number;
  /** The chart of the newest revision, `<name>-<version>`. */
  chart: string;
}

export interface DeployRequest {
  workload: WorkloadRef;
  environment: string;
  image?: string;
  tag?: string;
  container?: string;
}

/**
 * The entity's Deployments and Argo Rollouts where it runs in an environment, once `check`
 * has accepted them (namespace, ownership evidence, claims); NotFoundError if none.
 */
export async function entityWorkloads(
  clusters: KubernetesClusters,
  environment: string,
  workload: WorkloadRef,
  check: OwnershipCheck,
): Promise<{
  env: EnvironmentConfig;
  client: ReturnType<KubernetesClusters['operator']>;
  workloads: Workload[];
}> {
  const env = clusters.placement(environment, workload);
  const client = clusters.operator(env);
  // The checks' own reads (namespace, catalog) run while the workloads are listed.
  const listing = listEntityWorkloads(
    client,
    env.namespace,
    workload.kubernetesId,
  );
  const [workloads] = await Promise.all([listing, check(client, env, listing)]);
  if (workloads.length === 0) {
    throw new NotFoundError(
      `No Deployment or Rollout labelled backstage.io/kubernetes-id=${workload.kubernetesId} in namespace ${env.namespace} of cluster ${env.cluster} (environment ${env.name})`,
    );
  }
  return { env, client, workloads };
}

/**
 * The entity's Argo Rollouts to pause or promote in an environment, once `check` accepted
 * everything the entity has there; NotFoundError if it has none.
 */
export async function planPauseOrPromote(
  clusters: KubernetesClusters,
  req: { workload: WorkloadRef; environment: string },
  check: OwnershipCheck,
): Promise<{
  env: EnvironmentConfig;
  client: ReturnType<KubernetesClusters['operator']>;
  rollouts: Workload[];
}> {
  const { env, client, workloads } = await entityWorkloads(
    clusters,
    req.environment,
    req.workload,
    check,
  );
  const rollouts = workloads.filter(w => kindOf(w) === 'Rollout');
  if (!rollouts.length) {
    throw new NotFoundError(
      `No Argo Rollout labelled backstage.io/kubernetes-id=${req.workload.kubernetesId} in namespace ${env.namespace} of cluster ${env.cluster} (environment ${env.name}); only Rollouts can be paused or promoted`,
    );
  }
  return { env, client, rollouts };
}

/** Validates a deploy and works out what would change; changes nothing. */
export async function planDeploy(
  clusters: KubernetesClusters,
  req: DeployRequest,
  check: OwnershipCheck,
): Promise<{
  env: EnvironmentConfig;
  changes: DeploymentChange[];
  helm?: HelmPlan;
  release?: HelmRelease;
}> {
  clusters.environment(req.environment);
  // exactly one of image or tag: checked by openapi.yaml (DeployRequest)
  if (req.image) parseImageReference(req.image, 'image');
  if (req.tag) validateTag(req.tag);
  const {
    env,
    client,
    workloads: deployments,
  } = await entityWorkloads(clusters, req.environment, req.workload, check);
  const changes = deployments.map(d => {
    const { index, container } = pickContainer(d, req.container);
    const fromImage = container.image ?? '';
    const toImage = req.image ?? `${imageRepository(fromImage)}:${req.tag}`;
    if (req.tag) parseImageReference(toImage, 'tag');
    return {
      kind: kindOf(d),
      name: d.metadata!.name!,
      container: container.name,
      containerIndex: index,
      fromImage,
      toImage,
      fromRevision: revisionOf(d),
    };
  });
  // Helm's when its release has records and manages the workloads (the check accepted them all
  // as that release's, or none as Helm's): else the guarded image patch.
  const records = deployments.some(isHelmManaged)
    ? await readReleases(client, env.namespace, env.release)
    : [];
  if (!records.length) return { env, changes };
  const release = assertDeployableRelease(env, records);
  const targets = [...new Set(changes.map(c => c.toImage))];
  if (targets.length > 1) {
    throw new InputError(
      `Helm release ${env.namespace}/${
        env.release
      } runs several images (${targets.join(
        ', ',
      )}); its chart sets one (image.repository/image.tag): give the full image instead of a tag`,
    );
  }
  return { env, changes, release, helm: helmPlanOf(release) };
}

function helmPlanOf(r: HelmRelease, target?: HelmRelease): HelmPlan {
  return {
    fromRevision: r.version,
    ...(target ? { targetRevision: target.version } : {}),
    chart: `${r.chart.metadata.name}-${r.chart.metadata.version}`,
  };
}

/** Validates a rollback (the revision must exist) and works out what would change. */
export async function planRollback(
  clusters: KubernetesClusters,
  req: { workload: WorkloadRef; environment: string; revision?: number },
  check: OwnershipCheck,
): Promise<{
  env: EnvironmentConfig;
  changes: DeploymentChange[];
  helm?: HelmPlan;
}> {
  const {
    env,
    client,
    workloads: deployments,
  } = await entityWorkloads(clusters, req.environment, req.workload, check);
  const records = deployments.some(isHelmManaged)
    ? await readReleases(client, env.namespace, env.release)
    : [];
  if (records.length) {
    // Helm's: a rollback is `helm rollback <release> <revision>`, to a revision Helm has.
    const latest = assertDeployableRelease(env, records);
    const target = rollbackTarget(env, records, req.revision);
    const targetImages = manifestImages(target.manifest);
    return {
      env,
      helm: helmPlanOf(latest, target),
      changes: deployments.map(d => ({
        kind: kindOf(d),
        name: d.metadata!.name!,
        container: '*',
        containerIndex: -1,
        fromImage: workloadImages(d),
        toImage: targetImages
          .filter(i => i.workload === d.metadata!.name)
          .map(i => i.image)
          .join(','),
        fromRevision: revisionOf(d),
      })),
    };
  }
  const changes: DeploymentChange[] = [];
  for (const d of deployments) {
    const target = await findUndoTarget(client, d, req.revision);
    changes.push({
      kind: kindOf(d),
      name: d.metadata!.name!,
      container: '*',
      containerIndex: -1,
      fromImage: images(d.spec?.template).join(','),
      toImage: images(target.replicaSet.spec?.template).join(','),
      fromRevision: revisionOf(d),
      targetRevision: target.revision,
    });
  }
  return { env, changes };
}

function workloadImages(d: Workload): string {
  return images(d.spec?.template).join(',');
}
