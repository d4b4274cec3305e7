import {
  BackstageCredentials,
  AuthService,
} from '@backstage/backend-plugin-api';
import {
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  ECOSYSTEM_ANNOTATIONS,
  isDnsLabel,
  WORKLOAD_ANNOTATIONS,
} from '@shipshape/plugin-shipshape-common';
import * as k8s from '@kubernetes/client-node';
import { ClusterClient, EnvironmentConfig, EnvironmentSettings } from './types';

/** A Kubernetes label value (the kubernetes-id is one, on every workload of the entity). */
const LABEL_VALUE = /^[A-Za-z0-9]([-_.A-Za-z0-9]{0,61}[A-Za-z0-9])?$/;

/** Whether `value` is a Kubernetes label value (so it can go into a label selector as is). */
export function isLabelValue(value: string): boolean {
  return LABEL_VALUE.test(value);
}

/** What the catalog says about where an entity's workloads are (a claim, not a proof). */
export interface WorkloadRef {
  /** `backstage.io/kubernetes-id`: the label on its objects, and its Helm release's name. */
  kubernetesId: string;
  /** `backstage.io/kubernetes-namespace`, when the entity names one. */
  namespace?: string;
}

/** The entity's WorkloadRef; InputError when it has no kubernetes-id or one Kubernetes refuses. */
export function workloadRefOf(entity: Entity): WorkloadRef {
  const a = entity.metadata.annotations ?? {};
  const kubernetesId = a[ECOSYSTEM_ANNOTATIONS.kubernetesId];
  if (!kubernetesId) {
    throw new InputError(
      `${stringifyEntityRef(entity)} has no ${
        ECOSYSTEM_ANNOTATIONS.kubernetesId
      } annotation, so Shipshape cannot find its workloads`,
    );
  }
  if (!isLabelValue(kubernetesId)) {
    const annotation = ECOSYSTEM_ANNOTATIONS.kubernetesId;
    const shown = kubernetesId.slice(0, 100);
    throw new InputError(
      `${annotation} of ${stringifyEntityRef(
        entity,
      )} is '${shown}'; expected a Kubernetes label value: at most 63 letters, digits, '-', '_' or '.', beginning and ending with a letter or digit`,
    );
  }
  const namespace = a[ECOSYSTEM_ANNOTATIONS.kubernetesNamespace];
  return namespace ? { kubernetesId, namespace } : { kubernetesId };
}

/**
 * Where a service runs in one environment: (environment, workload) → cluster, namespace and
 * Helm release. The one rule every feature uses (rollout status, deploy/rollback, DR readiness,
 * cost):
 * - `namespacePerService: true` (the golden path: `helm upgrade --install <id> -n <id>`): the
 *   namespace the environment's `sharedNamespaces` lists the service in, else the entity's
 *   `backstage.io/kubernetes-namespace`, else its kubernetes-id (an entity naming another
 *   namespace than the one the admin listed it in does not run here);
 * - a fixed `namespace`: that one; an entity naming another namespace does not run here.
 * The release is the kubernetes-id (the chart's name, which the template sets to the service).
 */
export function resolvePlacement(
  env: EnvironmentSettings,
  workload: WorkloadRef,
): EnvironmentConfig {
  const annotation = ECOSYSTEM_ANNOTATIONS.kubernetesNamespace;
  if (workload.namespace !== undefined && !isDnsLabel(workload.namespace)) {
    throw new InputError(
      `${annotation} is '${workload.namespace}'; expected a Kubernetes namespace name (lowercase letters, digits and '-')`,
    );
  }
  let namespace: string;
  if (env.namespacePerService) {
    const shared = env.sharedNamespaces?.get(workload.kubernetesId);
    if (shared && workload.namespace && workload.namespace !== shared) {
      throw new InputError(
        `${annotation} is '${workload.namespace}', but environment ${env.name} runs ${workload.kubernetesId} in namespace '${shared}' (shipshape.environments[].sharedNamespaces)`,
      );
    }
    namespace = shared ?? workload.namespace ?? workload.kubernetesId;
  } else {
    namespace = env.namespace!;
    if (workload.namespace && workload.namespace !== namespace) {
      throw new InputError(
        `${annotation} is '${workload.namespace}', but environment ${env.name} runs every service in namespace '${namespace}' (shipshape.environments[].namespace)`,
      );
    }
  }
  return { ...env, namespace, release: workload.kubernetesId };
}

/** A workload as read from the cluster (Deployment or Argo Rollout). */
interface KubeObject {
  kind?: string;
  metadata?: k8s.V1ObjectMeta;
}

function describeObject(w: KubeObject): string {
  return `${w.kind ?? 'Deployment'} ${w.metadata?.namespace}/${
    w.metadata?.name
  }`;
}

/**
 * Whether the admin configuration lets the entity act in the environment: `allow` lists entity
 * refs and owner (group) refs. The owner is the catalog's `spec.owner`; the permission policy
 * already checked that the caller may act for it.
 */
export function assertAllowed(env: EnvironmentSettings, entity: Entity): void {
  if (!env.allow) return;
  const entityRef = stringifyEntityRef(entity);
  const owner = entity.spec?.owner;
  const ownerRef =
    typeof owner === 'string'
      ? stringifyEntityRef(
          parseEntityRef(owner, {
            defaultKind: 'group',
            defaultNamespace: entity.metadata.namespace ?? 'default',
          }),
        )
      : undefined;
  if (env.allow.includes(entityRef)) return;
  if (ownerRef && env.allow.includes(ownerRef)) return;
  throw new NotAllowedError(
    `Environment ${env.name} allows only ${env.allow.join(
      ', ',
    )} (shipshape.environments[].allow); ${entityRef} (owner ${
      ownerRef ?? 'none'
    }) is not one of them`,
  );
}

/**
 * A workload the portal may act on for `entityRef` carries the evidence that only the deploy
 * identity writes: the chart's `shipshape.dev/entity` annotation naming the entity. Returns
 * whether Helm manages it as the resolved release (Helm's release annotations name that release
 * and namespace: a deploy is a Helm revision) or not at all (no Helm release annotation: the
 * guarded image patch, as before Helm). Throws NotAllowedError (another entity's, or unclaimed)
 * or ConflictError (the entity's, but another Helm release's).
 */
export function assertWorkloadBelongs(
  place: Pick<EnvironmentConfig, 'name' | 'namespace' | 'release'>,
  entityRef: string,
  w: KubeObject,
): boolean {
  const a = w.metadata?.annotations ?? {};
  const owner = a[WORKLOAD_ANNOTATIONS.entity];
  if (owner !== entityRef) {
    throw new NotAllowedError(
      owner
        ? `${describeObject(w)} belongs to ${owner} (annotation ${
            WORKLOAD_ANNOTATIONS.entity
          }), not to ${entityRef}; nothing was changed`
        : `${describeObject(w)} carries ${
            ECOSYSTEM_ANNOTATIONS.kubernetesId
          } but no ${
            WORKLOAD_ANNOTATIONS.entity
          } annotation, so nothing shows it belongs to ${entityRef}; the chart stamps it (values shipshape.entity); nothing was changed`,
    );
  }
  if (!isHelmManaged(w)) return false;
  const release = a[WORKLOAD_ANNOTATIONS.helmReleaseName];
  const releaseNs =
    a[WORKLOAD_ANNOTATIONS.helmReleaseNamespace] ?? w.metadata?.namespace;
  if (release !== place.release || releaseNs !== place.namespace) {
    throw new ConflictError(
      `${describeObject(
        w,
      )} is managed by Helm release ${releaseNs}/${release}, but ${entityRef} is released as ${
        place.namespace
      }/${place.release} in environment ${
        place.name
      }; the portal changes a Helm-managed workload only through the service's own release (so its history stays Helm's): release it as ${
        place.release
      } in namespace ${
        place.namespace
      } with the service's workflow, or uninstall the other release; nothing was changed`,
    );
  }
  return true;
}

/** Whether a Helm release manages the workload (it carries Helm's release-name annotation). */
export function isHelmManaged(w: KubeObject): boolean {
  return !!w.metadata?.annotations?.[WORKLOAD_ANNOTATIONS.helmReleaseName];
}

/**
 * The entity's workloads in one environment are either all its Helm release's or all outside
 * Helm: a deploy is one Helm revision or guarded image patches, never both (a Helm rollback could
 * not put the others back). Returns whether Helm manages them; ConflictError naming both kinds.
 */
export function assertWorkloadsBelong(
  place: Pick<EnvironmentConfig, 'name' | 'namespace' | 'release'>,
  entityRef: string,
  workloads: KubeObject[],
): boolean {
  const managed = workloads.map(w =>
    assertWorkloadBelongs(place, entityRef, w),
  );
  const helm = workloads.filter((_, i) => managed[i]);
  const other = workloads.filter((_, i) => !managed[i]);
  if (helm.length && other.length) {
    throw new ConflictError(
      `${helm.map(describeObject).join(', ')} ${
        helm.length > 1 ? 'are' : 'is'
      } managed by Helm release ${place.namespace}/${place.release}, ${other
        .map(describeObject)
        .join(', ')} ${
        other.length > 1 ? 'are' : 'is'
      } not (no meta.helm.sh/release-name annotation); one deploy of ${entityRef} in environment ${
        place.name
      } is either one Helm revision or guarded image patches, not both: add the others to the chart, or remove their ${
        ECOSYSTEM_ANNOTATIONS.kubernetesId
      } label; nothing was changed`,
    );
  }
  return helm.length > 0;
}

/**
 * Checks that the caller's entity may act on what a deploy, rollback or promotion would touch:
 * the environment's allow-list, the namespace (it exists; if the platform annotated it with an
 * owning entity, it is this one), every workload's evidence, and that no other catalog entity
 * claims the same kubernetes-id. Reads the catalog with the plugin's own credentials, so an
 * entity the caller cannot see still counts as a claim.
 */
export class WorkloadOwnership {
  private constructor(
    private readonly catalog: CatalogService,
    private readonly auth: AuthService,
  ) {}

  static create(deps: { catalog: CatalogService; auth: AuthService }) {
    return new WorkloadOwnership(deps.catalog, deps.auth);
  }

  /** A check bound to one entity, for the planners. */
  of(entity: Entity): OwnershipCheck {
    return (client, place, workloads) =>
      this.check(client, place, entity, workloads);
  }

  async check(
    client: ClusterClient,
    place: EnvironmentConfig,
    entity: Entity,
    workloads: Promise<KubeObject[]>,
  ): Promise<void> {
    const entityRef = stringifyEntityRef(entity);
    assertAllowed(place, entity);
    const [, claims, found] = await Promise.all([
      assertNamespace(client, place, entityRef),
      this.otherClaims(entity),
      workloads,
    ]);
    assertWorkloadsBelong(place, entityRef, found);
    if (claims.length) {
      throw new ConflictError(
        `${ECOSYSTEM_ANNOTATIONS.kubernetesId}=${
          workloadRefOf(entity).kubernetesId
        } is claimed by ${[entityRef, ...claims].join(
          ' and ',
        )}; refusing to act until only one entity claims it (the catalog flags the duplicate); nothing was changed`,
      );
    }
  }

  /** Other catalog entities with the same kubernetes-id annotation. */
  async otherClaims(
    entity: Entity,
    credentials?: BackstageCredentials,
  ): Promise<string[]> {
    const { kubernetesId } = workloadRefOf(entity);
    const entityRef = stringifyEntityRef(entity);
    const { items } = await this.catalog.getEntities(
      {
        filter: {
          [`metadata.annotations.${ECOSYSTEM_ANNOTATIONS.kubernetesId}`]:
            kubernetesId,
        },
        fields: ['kind', 'metadata.name', 'metadata.namespace'],
      },
      {
        credentials:
          credentials ?? (await this.auth.getOwnServiceCredentials()),
      },
    );
    return items
      .map(e => stringifyEntityRef(e))
      .filter(ref => ref !== entityRef)
      .sort();
  }
}

/**
 * Checks the workloads an operation would touch (given while they are being listed, so the
 * check's own reads run meanwhile); throws when it may not.
 */
export type OwnershipCheck = (
  client: ClusterClient,
  place: EnvironmentConfig,
  workloads: Promise<KubeObject[]>,
) => Promise<void>;

/** Where a missing namespace's name came from, and what to do about it. */
function missingNamespaceHelp(place: EnvironmentConfig): string {
  const key = `shipshape.environments[name=${place.name}]`;
  const create = `kubectl create namespace ${place.namespace}`;
  if (!place.namespacePerService) {
    return `${key}.namespace). Create it (${create}), or set ${key}.namespace to the namespace the environment's services run in`;
  }
  if (place.sharedNamespaces?.get(place.release) === place.namespace) {
    return `${key}.sharedNamespaces puts ${place.release} there). Create it (${create}), or change that entry`;
  }
  const from =
    place.namespace === place.release
      ? `the service's ${ECOSYSTEM_ANNOTATIONS.kubernetesId}`
      : `the entity's ${ECOSYSTEM_ANNOTATIONS.kubernetesNamespace}`;
  return `one namespace per service, ${key}.namespacePerService: named after ${from}). Release the service first with its workflow, which creates it (helm upgrade --install ${place.release} ./chart -n ${place.namespace} --create-namespace, as the template's release.yaml does), or create it (${create})`;
}

/** The namespace exists and, if the platform named its owning entity, that is `entityRef`. */
export async function assertNamespace(
  client: ClusterClient,
  place: EnvironmentConfig,
  entityRef: string,
): Promise<void> {
  let ns: k8s.V1Namespace;
  try {
    ns = await client.core.readNamespace({ name: place.namespace });
  } catch (e) {
    if ((e as { code?: number }).code === 404) {
      throw new NotFoundError(
        `Namespace '${place.namespace}' does not exist in cluster ${
          place.cluster
        } (environment ${place.name}, ${missingNamespaceHelp(
          place,
        )}; nothing was changed`,
      );
    }
    throw e;
  }
  const owner = ns.metadata?.annotations?.[WORKLOAD_ANNOTATIONS.entity];
  if (owner && owner !== entityRef) {
    throw new NotAllowedError(
      `Namespace '${place.namespace}' of cluster ${place.cluster} belongs to ${owner} (annotation ${WORKLOAD_ANNOTATIONS.entity}), not to ${entityRef}; nothing was changed`,
    );
  }
}
