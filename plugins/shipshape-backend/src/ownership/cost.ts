import { Config } from '@backstage/config';
import { LoggerService } from '@backstage/backend-plugin-api';
import * as k8s from '@kubernetes/client-node';
import {
  ECOSYSTEM_ANNOTATIONS,
  EnvironmentCost,
  SHIPSHAPE_LABELS,
  UnitPrices,
} from '@shipshape/plugin-shipshape-common';
import { KubernetesClusters, listPages } from '../kubernetes/clusters';
import { ClusterClient } from '../kubernetes/types';
import {
  InventoryPage,
  ListPage,
  listCronJobsPage,
  listDeploymentsPage,
  listPodsPage,
  listServicesPage,
  listStatefulSetsPage,
} from '../kubernetes/inventory';
import { withDeadline } from '../http/deadline';
import { WorkloadRef, isLabelValue } from '../kubernetes/placement';

/** An environment where the one resolver places a service: its cluster and namespace. */
export interface Placed {
  environment: string;
  cluster: string;
  namespace: string;
}

/**
 * The pods among `pods` that run where `placed` puts the service, each named by the first
 * environment (in configuration order) placing it in its cluster and namespace; pods elsewhere
 * (a stray namespace carrying the label) are not the service's in any environment.
 */
export function placedPods(
  pods: PodRequests[],
  placed: Placed[],
): PodRequests[] {
  const kept: PodRequests[] = [];
  for (const pod of pods) {
    const match = placed.find(
      p => p.cluster === pod.cluster && p.namespace === pod.namespace,
    );
    if (match) kept.push({ ...pod, environment: match.environment });
  }
  return kept;
}

/** OpenCost's default on-demand prices, USD. */
export const DEFAULT_CPU_CORE_HOUR_USD = 0.031611;
export const DEFAULT_MEMORY_GIB_HOUR_USD = 0.004237;
export const HOURS_PER_MONTH = 730;

export type { UnitPrices };

/**
 * What the live pods of one service in one cluster, namespace and environment request, summed
 * (`pods` of them; one pod when absent), as read from the cluster.
 */
export interface PodRequests {
  cluster: string;
  namespace: string;
  /**
   * As read: the pod's `shipshape.dev/environment` label, else its namespace. An entity's view
   * keeps only the pods its placement puts in a configured environment and names that one
   * (`placedPods`).
   */
  environment: string;
  kubernetesId: string;
  cpuCores: number;
  memoryGib: number;
  pods?: number;
}

/** A labelled Kubernetes object that belongs to a service. */
export interface WorkloadObject {
  cluster: string;
  namespace: string;
  kind: string;
  name: string;
  kubernetesId: string;
  labels: Record<string, string>;
}

export interface ClusterSnapshot {
  pods: PodRequests[];
  objects: WorkloadObject[];
  /** Clusters that could not be read, with why (never a token). */
  errors: Array<{ cluster: string; message: string }>;
}

/** How long one page of a cluster's list may take before the estimate leaves the cluster out. */
export const CLUSTER_TIMEOUT_MS = 10_000;

/** Objects per Kubernetes list request (`limit`, then `continue`). */
export const CLUSTER_PAGE = 500;

/** Parses a Kubernetes CPU quantity (`250m`, `1`, `0.5`, `100u`) into cores. */
export function parseCpu(quantity: string | undefined): number {
  if (!quantity) return 0;
  const m = /^([0-9.]+)([num]?)$/.exec(quantity.trim());
  if (!m) return 0;
  const scale = { '': 1, m: 1e-3, u: 1e-6, n: 1e-9 }[m[2]] ?? 1;
  return Number(m[1]) * scale;
}

const BINARY = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const DECIMAL = {
  k: 1e3,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  m: 1e-3,
};

/** Parses a Kubernetes memory quantity (`64Mi`, `1G`, `128974848`, `1e3`) into GiB. */
export function parseMemoryGib(quantity: string | undefined): number {
  if (!quantity) return 0;
  const m = /^([0-9.]+(?:e[0-9]+)?)([KMGTPE]i|[kKMGTPEm])?$/.exec(
    quantity.trim(),
  );
  if (!m) return 0;
  const unit = m[2] ?? '';
  const scale =
    (BINARY as Record<string, number>)[unit] ??
    (DECIMAL as Record<string, number>)[unit] ??
    1;
  return (Number(m[1]) * scale) / 2 ** 30;
}

/** `shipshape.cost` unit prices, OpenCost's defaults where unset; 730 h a month. */
export function readUnitPrices(config: Config): UnitPrices {
  return {
    cpuCoreHourUsd:
      config.getOptionalNumber('shipshape.cost.cpuCoreHourUsd') ??
      DEFAULT_CPU_CORE_HOUR_USD,
    memoryGibHourUsd:
      config.getOptionalNumber('shipshape.cost.memoryGibHourUsd') ??
      DEFAULT_MEMORY_GIB_HOUR_USD,
    hoursPerMonth: HOURS_PER_MONTH,
  };
}

/** Monthly cost of the given requests. */
export function monthlyUsd(
  prices: UnitPrices,
  cpuCores: number,
  memoryGib: number,
): number {
  return (
    (cpuCores * prices.cpuCoreHourUsd + memoryGib * prices.memoryGibHourUsd) *
    prices.hoursPerMonth
  );
}

function round(n: number, digits = 4) {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** The cost of one entity's pods, per cluster/namespace (environment). */
export function costOfPods(prices: UnitPrices, pods: PodRequests[]) {
  const byEnv = new Map<string, Omit<EnvironmentCost, 'monthlyUsd'>>();
  for (const pod of pods) {
    const key = `${pod.cluster}/${pod.namespace}/${pod.environment}`;
    const row = byEnv.get(key) ?? {
      cluster: pod.cluster,
      namespace: pod.namespace,
      environment: pod.environment,
      pods: 0,
      cpuCores: 0,
      memoryGib: 0,
    };
    row.pods += pod.pods ?? 1;
    row.cpuCores += pod.cpuCores;
    row.memoryGib += pod.memoryGib;
    byEnv.set(key, row);
  }
  const environments = [...byEnv.values()]
    .map(row => ({
      ...row,
      cpuCores: round(row.cpuCores),
      memoryGib: round(row.memoryGib),
      monthlyUsd: round(monthlyUsd(prices, row.cpuCores, row.memoryGib), 2),
    }))
    .sort((a, b) =>
      `${a.cluster}/${a.namespace}`.localeCompare(
        `${b.cluster}/${b.namespace}`,
      ),
    );
  return {
    monthlyUsd: round(
      environments.reduce((sum, e) => sum + e.monthlyUsd, 0),
      2,
    ),
    environments,
  };
}

function labelsOf(meta: k8s.V1ObjectMeta | undefined) {
  return meta?.labels ?? {};
}

/**
 * Reads live pods and workload objects that carry `backstage.io/kubernetes-id` from the clusters
 * configured in `kubernetes.clusterLocatorMethods` (type `config`, service account token), through
 * the shared KubernetesClusters. Only those URLs are called; results are cached briefly.
 */
export class ClusterCostReader {
  private cached?: { expires: number; value: Promise<ClusterSnapshot> };
  private readonly reading = new Map<string, Promise<ClusterSnapshot>>();

  private constructor(
    private readonly placements: KubernetesClusters,
    private readonly clusters: ClusterClient[],
    private readonly skipped: Array<{ cluster: string; message: string }>,
    readonly prices: UnitPrices,
    private readonly logger: LoggerService,
    private readonly ttlMs: number,
    private readonly pageSize: number,
  ) {}

  static create(options: {
    /** The portal's one cluster configuration (plugin.ts builds it once). */
    clusters: KubernetesClusters;
    logger: LoggerService;
    /** Unit prices (`readUnitPrices`; plugin.ts reads them). */
    prices: UnitPrices;
    ttlMs?: number;
    /** Objects per list request (default CLUSTER_PAGE). */
    pageSize?: number;
  }): ClusterCostReader {
    const placements = options.clusters;
    const { readers, unreadable } = placements.allReaders();
    const skipped = unreadable.map(({ cluster }) => ({
      cluster,
      message: `cluster ${cluster}: the cost estimate needs authProvider serviceAccount with a serviceAccountToken`,
    }));
    return new ClusterCostReader(
      placements,
      readers,
      skipped,
      options.prices,
      options.logger,
      options.ttlMs ?? 30_000,
      options.pageSize ?? CLUSTER_PAGE,
    );
  }

  /** Whether any cluster is configured at all; if not, callers say so instead of showing zero. */
  get configured(): boolean {
    return this.clusters.length + this.skipped.length > 0;
  }

  /**
   * Where the entity's service runs, per configured environment, as the one resolver places it
   * (`KubernetesClusters.placement`, as the Rollout card reads it). An environment whose
   * placement refuses the entity (its `backstage.io/kubernetes-namespace` names another
   * namespace than the environment's) does not place it.
   */
  placementsOf(workload: WorkloadRef): Placed[] {
    const placed: Placed[] = [];
    for (const env of this.placements.environments()) {
      try {
        const { cluster, namespace } = this.placements.placement(
          env.name,
          workload,
        );
        placed.push({ environment: env.name, cluster, namespace });
      } catch {
        // not placed in this environment
      }
    }
    return placed;
  }

  /**
   * Everything labelled with a kubernetes-id in every configured cluster, kept `ttlMs` (the
   * catalog-wide summary's totals).
   */
  snapshot(): Promise<ClusterSnapshot> {
    const now = Date.now();
    if (this.cached && this.cached.expires > now) return this.cached.value;
    const value = this.read(ECOSYSTEM_ANNOTATIONS.kubernetesId);
    this.cached = { expires: now + this.ttlMs, value };
    value.catch(() => (this.cached = undefined));
    return value;
  }

  /**
   * What one service (`backstage.io/kubernetes-id=<kubernetesId>`) has in every configured
   * cluster, read now: the entity's card re-reads on the workload signals the Rollout card
   * uses, so this is never kept beyond the read (concurrent callers share the one under way).
   * An id that is not a label value labels nothing.
   */
  snapshotOf(kubernetesId: string): Promise<ClusterSnapshot> {
    if (!isLabelValue(kubernetesId)) {
      return Promise.resolve({
        pods: [],
        objects: [],
        errors: [...this.skipped],
      });
    }
    const running = this.reading.get(kubernetesId);
    if (running) return running;
    const value = this.read(
      `${ECOSYSTEM_ANNOTATIONS.kubernetesId}=${kubernetesId}`,
    ).finally(() => this.reading.delete(kubernetesId));
    this.reading.set(kubernetesId, value);
    return value;
  }

  private async read(labelSelector: string): Promise<ClusterSnapshot> {
    const idLabel = ECOSYSTEM_ANNOTATIONS.kubernetesId;
    const snapshot: ClusterSnapshot = {
      pods: [],
      objects: [],
      errors: [...this.skipped],
    };
    await Promise.all(
      this.clusters.map(async cluster => {
        // One page at a time, each with its deadline; the pods are summed per service and place
        // as they come, so memory grows with the services, not with the pods.
        const pages = <T extends { metadata?: k8s.V1ObjectMeta }>(
          list: (
            client: ClusterClient,
            page: InventoryPage,
          ) => Promise<ListPage<T>>,
          onPage: (items: T[]) => void,
        ) =>
          listPages(
            page =>
              withDeadline('the cluster', CLUSTER_TIMEOUT_MS, () =>
                list(cluster, { labelSelector, ...page }),
              ),
            onPage,
            this.pageSize,
          );
        const pods = new Map<string, PodRequests>();
        const objects: WorkloadObject[] = [];
        const add =
          (kind: string) => (items: Array<{ metadata?: k8s.V1ObjectMeta }>) => {
            for (const item of items) {
              const labels = labelsOf(item.metadata);
              objects.push({
                cluster: cluster.cluster,
                namespace: item.metadata?.namespace ?? 'default',
                kind,
                name: item.metadata?.name ?? '',
                kubernetesId: labels[idLabel],
                labels,
              });
            }
          };
        try {
          await Promise.all([
            pages(listPodsPage, items => {
              for (const pod of items) {
                const phase = pod.status?.phase;
                if (phase === 'Succeeded' || phase === 'Failed') continue;
                const labels = labelsOf(pod.metadata);
                const namespace = pod.metadata?.namespace ?? 'default';
                const kubernetesId = labels[idLabel];
                const environment =
                  labels[SHIPSHAPE_LABELS.environment] || namespace;
                const key = JSON.stringify([
                  namespace,
                  environment,
                  kubernetesId,
                ]);
                const sum = pods.get(key) ?? {
                  cluster: cluster.cluster,
                  namespace,
                  environment,
                  kubernetesId,
                  cpuCores: 0,
                  memoryGib: 0,
                  pods: 0,
                };
                for (const c of pod.spec?.containers ?? []) {
                  sum.cpuCores += parseCpu(c.resources?.requests?.cpu);
                  sum.memoryGib += parseMemoryGib(
                    c.resources?.requests?.memory,
                  );
                }
                sum.pods! += 1;
                pods.set(key, sum);
              }
            }),
            pages(listDeploymentsPage, add('Deployment')),
            pages(listStatefulSetsPage, add('StatefulSet')),
            pages(listCronJobsPage, add('CronJob')),
            pages(listServicesPage, add('Service')),
          ]);
          snapshot.pods.push(...pods.values());
          snapshot.objects.push(...objects);
        } catch (e) {
          const code = (e as { code?: number }).code;
          const message = `cluster ${cluster.cluster} could not be read${
            code ? ` (HTTP ${code})` : ''
          }: ${(e as Error).message?.split('\n')[0].slice(0, 200)}`;
          this.logger.warn(message);
          snapshot.errors.push({ cluster: cluster.cluster, message });
        }
      }),
    );
    return snapshot;
  }
}
