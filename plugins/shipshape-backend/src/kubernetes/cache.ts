import { LoggerService } from '@backstage/backend-plugin-api';
import * as k8s from '@kubernetes/client-node';
import { KubernetesClusters } from './clusters';
import {
  DEFAULT_WATCH_TIMINGS,
  ListWatch,
  WatchTimings,
  WatchedObject,
  WatchedResource,
  entityKey,
  workloadWatchTargets,
} from './watch';

/** One entity's objects in one namespace, as the rollout status reads them. */
export interface EntityObjects {
  deployments: k8s.V1Deployment[];
  /** Argo Rollouts (raw custom objects). */
  rollouts: any[];
  replicaSets: k8s.V1ReplicaSet[];
  pods: k8s.V1Pod[];
  /**
   * The AnalysisRuns its Rollouts own (raw custom objects, each metric's last measurement);
   * absent while their watch is not synced (then they are read from the cluster).
   */
  analysisRuns?: any[];
}

const RESOURCES: WatchedResource[] = [
  'deployments',
  'rollouts',
  'replicasets',
  'pods',
];

/**
 * An informer-style cache of what the Rollout card reads: every labelled
 * (`backstage.io/kubernetes-id`) Deployment, Argo Rollout, ReplicaSet and Pod in the clusters'
 * watched namespaces (`workloadWatchTargets`), and every Argo AnalysisRun there, each kind listed
 * and then watched (ListWatch: resourceVersion, a new list after a 410 or an error). Other
 * objects without the label are never held. Each watch indexes what it holds by entity
 * (`<namespace>/<kubernetes-id>`; AnalysisRuns by their owner's uid), so a read takes the
 * entity's objects without looking at the others. `entityObjects` answers from it only when the
 * four labelled kinds' watches covering the namespace are synced; otherwise the caller reads the
 * cluster (AnalysisRuns alone, when only their watch is not synced). Listeners hear of every
 * change (the workload signals).
 */
export class WorkloadCache {
  private readonly listeners: Array<
    (cluster: string, obj: WatchedObject) => void
  > = [];

  private constructor(private readonly watches: ListWatch[]) {}

  static create(
    deps: { clusters: KubernetesClusters; logger: LoggerService },
    timings: Partial<WatchTimings> = {},
  ): WorkloadCache {
    const { targets, skipped } = workloadWatchTargets(deps.clusters);
    for (const s of skipped) {
      deps.logger.info(`Workloads of ${s} are not watched`);
    }
    const full = {
      ...DEFAULT_WATCH_TIMINGS,
      requestTimeoutMs: deps.clusters.requestTimeoutMs,
      ...timings,
    };
    const watches: ListWatch[] = [];
    const cache = new WorkloadCache(watches);
    for (const t of targets) {
      watches.push(
        new ListWatch(
          t,
          obj => cache.listeners.forEach(l => l(t.client.cluster, obj)),
          deps.logger,
          full,
          true,
        ),
      );
    }
    return cache;
  }

  /** Calls `listener` for every object added, changed or deleted, after the cache holds it. */
  onChange(listener: (cluster: string, obj: WatchedObject) => void): void {
    this.listeners.push(listener);
  }

  /** The watches (for tests: how often each listed and connected, and whether it is synced). */
  get watchCount() {
    return this.watches.map(w => ({
      what: w.target.what,
      synced: w.synced,
      ...w.counts,
    }));
  }

  start(): void {
    this.watches.forEach(w => w.start());
  }

  async stop(): Promise<void> {
    await Promise.all(this.watches.map(w => w.stop()));
  }

  /**
   * The entity's labelled objects in `namespace` of `cluster`, or undefined when a kind there is
   * not watched or its watch is not synced (then read the cluster).
   */
  entityObjects(
    cluster: string,
    namespace: string,
    kubernetesId: string,
  ): EntityObjects | undefined {
    const watchOf = (resource: WatchedResource) =>
      this.watches.find(
        w =>
          w.target.resource === resource &&
          w.target.client.cluster === cluster &&
          (w.target.namespace === undefined ||
            w.target.namespace === namespace),
      );
    // in the API server's order (by name), as a list answers
    const byName = (items: WatchedObject[]) =>
      items.sort((a, b) => (a.metadata!.name! < b.metadata!.name! ? -1 : 1));
    const found: Partial<Record<WatchedResource, WatchedObject[]>> = {};
    for (const resource of RESOURCES) {
      const watch = watchOf(resource);
      if (!watch?.synced) return undefined;
      found[resource] = byName(
        watch.indexed(entityKey(namespace, kubernetesId)),
      );
    }
    const runs = watchOf('analysisruns');
    return {
      deployments: found.deployments as k8s.V1Deployment[],
      rollouts: found.rollouts!,
      replicaSets: found.replicasets as k8s.V1ReplicaSet[],
      pods: found.pods as k8s.V1Pod[],
      ...(runs?.synced
        ? {
            analysisRuns: byName(
              found.rollouts!.flatMap(r => runs.indexed(r.metadata!.uid!)),
            ),
          }
        : {}),
    };
  }
}
