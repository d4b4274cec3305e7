import { KubernetesClusters } from '../kubernetes/clusters';
import {
  HelmRevision,
  readReleases,
  revisionOfRelease,
} from '../kubernetes/helm';
import { WorkloadRef } from '../kubernetes/placement';
import { withDeadline } from '../http/deadline';
import { Operation } from '../operations/store';
import { classify } from './status';

/** One release of the entity's Helm release, with the portal operation that made it, if any. */
export interface DeployHistoryEntry extends HelmRevision {
  operation?: {
    id: string;
    kind: string;
    status: string;
    requestedBy: string;
    reason?: string;
  };
}

export interface EnvironmentDeployHistory {
  environment: string;
  cluster: string;
  namespace: string;
  release: string;
  /** `not-helm`: no Helm release record there (workloads the portal patches directly). */
  status: 'ok' | 'not-helm' | 'forbidden' | 'unreachable' | 'error';
  error?: string;
  /** Newest first. */
  releases: DeployHistoryEntry[];
}

export interface DeployHistoryResponse {
  kubernetesId: string;
  environments: EnvironmentDeployHistory[];
}

/** The Helm revisions a deploy or rollback operation made (its own and an automatic rollback). */
function revisionsOf(op: Operation): number[] {
  const helm = (op.result as { helm?: Record<string, number> } | undefined)
    ?.helm;
  return [helm?.revision, helm?.rollbackRevision].filter(
    (r): r is number => typeof r === 'number',
  );
}

/**
 * Every environment's Helm history of the entity's release (read from Helm's release records
 * with the environment's operator credentials: the records hold values, which the read token
 * may not see), each within its own deadline. Only revision, status, description, time, chart
 * and images leave the backend, never values or manifests.
 */
export async function readDeployHistory(options: {
  clusters: KubernetesClusters;
  workload: WorkloadRef;
  timeoutMs: number;
  operations: Operation[];
}): Promise<DeployHistoryResponse> {
  const { clusters, workload } = options;
  const environments = await Promise.all(
    clusters
      .environments()
      .map(async (settings): Promise<EnvironmentDeployHistory> => {
        const base = {
          environment: settings.name,
          cluster: settings.cluster,
          namespace:
            settings.namespace ?? workload.namespace ?? workload.kubernetesId,
          release: workload.kubernetesId,
          releases: [],
        };
        try {
          const env = clusters.placement(settings.name, workload);
          base.namespace = env.namespace;
          const records = await withDeadline(
            `cluster ${env.cluster}`,
            options.timeoutMs,
            () =>
              readReleases(clusters.operator(env), env.namespace, env.release),
          );
          if (!records.length) return { ...base, status: 'not-helm' };
          const ops = options.operations.filter(
            op =>
              (op.input as { environment?: string })?.environment === env.name,
          );
          return {
            ...base,
            status: 'ok',
            releases: records.reverse().map(r => {
              const entry: DeployHistoryEntry = revisionOfRelease(r);
              const op = ops.find(o => revisionsOf(o).includes(r.version));
              if (op) {
                entry.operation = {
                  id: op.id,
                  kind: op.kind,
                  status: op.status,
                  requestedBy: op.requestedBy,
                  reason: op.reason,
                };
              }
              return entry;
            }),
          };
        } catch (e) {
          return { ...base, ...classify(e, 'operator') };
        }
      }),
  );
  return { kubernetesId: workload.kubernetesId, environments };
}
