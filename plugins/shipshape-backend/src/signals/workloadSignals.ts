import { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { ECOSYSTEM_ANNOTATIONS } from '@shipshape/plugin-shipshape-common';
import { KubernetesClusters } from '../kubernetes/clusters';
import { resolvePlacement, workloadRefOf } from '../kubernetes/placement';
import { WatchedObject } from '../kubernetes/watch';

/** How long the catalog's answer for one kubernetes-id is kept. */
const ENTITY_CACHE_MS = 10_000;

/** `shipshape.kubernetes.watchWorkloads` (default true). */
export function watchWorkloadsEnabled(config: Config): boolean {
  return (
    config.getOptionalBoolean('shipshape.kubernetes.watchWorkloads') ?? true
  );
}

/**
 * `shipshape.kubernetes.statusFromWatches` (default true): the rollout status is read from the
 * watches' cache where they are synced (only where watchWorkloads is on).
 */
export function statusFromWatchesEnabled(config: Config): boolean {
  return (
    config.getOptionalBoolean('shipshape.kubernetes.statusFromWatches') ?? true
  );
}

/**
 * Is told of every change to what the Rollout card shows (the WorkloadCache's watches: labelled
 * `backstage.io/kubernetes-id` Deployments, Argo Rollouts, ReplicaSets and Pods, in each
 * environment's cluster and namespaces) and calls `changed(entityRef)` for every entity whose
 * card shows an object that changed, whoever changed it (`kubectl`, a release workflow's
 * `helm upgrade`, the rollout controller moving it on, a pod crash-looping). The entities are those the card reads the workload for: the catalog's entities with
 * that kubernetes-id whose placement in the environment (`resolvePlacement`) is the workload's
 * namespace. The label is only a claim: it picks the entities to tell, and the card then reads
 * through the permission-checked API; the signal itself carries nothing of the workload.
 */
export class WorkloadSignals {
  private readonly byId = new Map<
    string,
    { at: number; entities: Promise<Entity[]> }
  >();

  private constructor(
    private readonly deps: {
      clusters: KubernetesClusters;
      catalog: CatalogService;
      auth: AuthService;
      logger: LoggerService;
      changed: (entityRef: string) => void;
    },
  ) {}

  static create(deps: WorkloadSignals['deps']): WorkloadSignals {
    return new WorkloadSignals(deps);
  }

  /** Signals one object's change: the listener of `WorkloadCache.onChange`. */
  readonly workloadChanged = (cluster: string, obj: WatchedObject): void => {
    void this.signalChange(cluster, obj);
  };

  private async signalChange(cluster: string, obj: WatchedObject) {
    const kubernetesId =
      obj.metadata?.labels?.[ECOSYSTEM_ANNOTATIONS.kubernetesId];
    const namespace = obj.metadata?.namespace;
    if (!kubernetesId || !namespace) return;
    const envs = this.deps.clusters
      .environments()
      .filter(
        e =>
          e.cluster === cluster &&
          (e.namespacePerService || e.namespace === namespace),
      );
    if (!envs.length) return;
    try {
      for (const entity of await this.entitiesOf(kubernetesId)) {
        const shows = envs.some(env => {
          try {
            return (
              resolvePlacement(env, workloadRefOf(entity)).namespace ===
              namespace
            );
          } catch {
            return false; // an annotation Kubernetes refuses: its card reads nothing here
          }
        });
        if (shows) this.deps.changed(stringifyEntityRef(entity));
      }
    } catch (e) {
      this.deps.logger.warn(
        `Change of a workload with ${ECOSYSTEM_ANNOTATIONS.kubernetesId}=${kubernetesId} not signalled: ${e}`,
      );
    }
  }

  /** The catalog's entities with this kubernetes-id, asked once per id within the cache time. */
  private entitiesOf(kubernetesId: string): Promise<Entity[]> {
    const now = Date.now();
    const cached = this.byId.get(kubernetesId);
    if (cached && now - cached.at < ENTITY_CACHE_MS) return cached.entities;
    for (const [id, c] of this.byId) {
      if (now - c.at >= ENTITY_CACHE_MS) this.byId.delete(id);
    }
    const entities = (async () => {
      const { items } = await this.deps.catalog.getEntities(
        {
          filter: {
            [`metadata.annotations.${ECOSYSTEM_ANNOTATIONS.kubernetesId}`]:
              kubernetesId,
          },
          fields: [
            'kind',
            'metadata.name',
            'metadata.namespace',
            'metadata.annotations',
          ],
        },
        { credentials: await this.deps.auth.getOwnServiceCredentials() },
      );
      return items;
    })();
    this.byId.set(kubernetesId, { at: now, entities });
    entities.catch(() => this.byId.delete(kubernetesId)); // asked again next time
    return entities;
  }
}
